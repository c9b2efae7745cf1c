#!/usr/bin/env bash
# The toolkit's own npm dependencies, exactly as locked.
set -euo pipefail
cd "$(dirname "$0")/../.."
npm ci --no-audit --no-fund --loglevel=error
