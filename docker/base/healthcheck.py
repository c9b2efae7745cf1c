#!/usr/bin/env python3
"""HEALTHCHECK helper: GET http://127.0.0.1:<port><path>, exit 0 on HTTP 2xx, 1 otherwise.

Usage: healthcheck PORT_VARIABLE DEFAULT_PORT PATH (the port is read from the environment so
that the image's HEALTHCHECK follows API_PORT / WORKER_HTTP_PORT overrides; no curl needed).
"""

import os
import sys
import urllib.request

variable, default, path = sys.argv[1:4]
url = f"http://127.0.0.1:{os.environ.get(variable) or default}{path}"
try:
    with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 (fixed local URL)
        sys.exit(0 if 200 <= response.status < 300 else 1)
except Exception as error:  # noqa: BLE001 (any failure means unhealthy)
    print(f"healthcheck: {url}: {error}", file=sys.stderr)
    sys.exit(1)
