"""Prometheus metrics (names fixed in docs/CONTRACT.md) and the ASGI middleware that records them.

With several server processes (API_WORKERS > 1) the supervisor sets PROMETHEUS_MULTIPROC_DIR
before the workers start: each worker writes its series to files there, and /metrics, whichever
worker answers, reports the whole server: counters and histograms summed over the workers (dead
ones included, so they never go backwards), the outbox gauges from the latest reading (every
worker reads the same database-wide backlog)."""

import os
import time

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

REQUESTS = Counter("api_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "api_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_PENDING = Gauge(
    "api_outbox_pending", "Outbox events not yet published to Kafka", multiprocess_mode="mostrecent"
)
OUTBOX_OLDEST = Gauge(
    "api_outbox_oldest_pending_seconds", "Age of the oldest unpublished outbox event", multiprocess_mode="mostrecent"
)
OUTBOX_PUBLISHED = Counter("api_outbox_published_total", "Outbox events published to Kafka")


def exposition() -> bytes:
    """The text format for /metrics: this process, or every worker's when several share the port."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


class MetricsMiddleware:
    """Pure ASGI (no per-request task like BaseHTTPMiddleware) to keep the hot path cheap."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            # The route template, never the raw path: raw paths would explode label cardinality.
            label = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            REQUESTS.labels(method, label, str(status)).inc()
            LATENCY.labels(method, label).observe(time.perf_counter() - start)
