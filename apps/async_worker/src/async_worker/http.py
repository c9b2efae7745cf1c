"""The worker's small HTTP port: /health, /ready, /metrics, /stats/{content_id}."""

import json
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import kafka_io, store
from .events import PG_BIGINT_MAX

log = logging.getLogger("async_worker.http")
STATS = re.compile(r"^/stats/(\d{1,19})$")
LIVENESS_STALL_SECONDS = 120


class WorkerHTTP:
    def __init__(self, settings, pool, heartbeat):
        self.settings, self.pool, self.heartbeat = settings, pool, heartbeat
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_):  # probes every few seconds would flood the log
                pass

            def _send(self, status: int, body, ctype: str = "application/json") -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802 - the http.server API
                try:
                    outer.route(self)
                except Exception as exc:  # noqa: BLE001
                    log.warning("http handler failed", extra={"path": self.path, "error": str(exc)})
                    self._send(503, {"error": "service_unavailable", "detail": str(exc)[:200]})

        self.server = ThreadingHTTPServer((settings.worker_http_host, settings.worker_http_port), Handler)
        self.server.daemon_threads = True

    def route(self, req) -> None:
        path = req.path.split("?", 1)[0]
        if path == "/health":
            stalled = time.monotonic() - self.heartbeat() > LIVENESS_STALL_SECONDS
            req._send(503 if stalled else 200, {"status": "stalled" if stalled else "ok"})
        elif path == "/ready":
            checks = {}
            for name, check in (("postgres", lambda: store.ping(self.pool)),
                                ("kafka", lambda: kafka_io.kafka_reachable(self.settings))):
                try:
                    check()
                    checks[name] = "ok"
                except Exception as exc:  # noqa: BLE001 - report, never raise
                    checks[name] = f"error: {type(exc).__name__}: {exc}"[:300]
            ok = all(v == "ok" for v in checks.values())
            req._send(200 if ok else 503, {"status": "ready" if ok else "unavailable", "checks": checks})
        elif path == "/metrics":
            req._send(200, generate_latest(), CONTENT_TYPE_LATEST)
        elif (m := STATS.match(path)) and int(m.group(1)) <= PG_BIGINT_MAX:
            req._send(200, store.stats(self.pool, int(m.group(1))))
        elif path.startswith("/stats/"):
            req._send(400, {"error": "validation_failed", "detail": "content_id must be a non-negative integer"})
        else:
            req._send(404, {"error": "not_found", "detail": f"no route {path}"})

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, name="http", daemon=True).start()
        log.info("http listening", extra={"port": self.settings.worker_http_port})

    def stop(self) -> None:
        self.server.shutdown()
