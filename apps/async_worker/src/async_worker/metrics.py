"""Prometheus metrics (names fixed in docs/CONTRACT.md)."""

from prometheus_client import Counter, Gauge

PROCESSED = Counter("worker_events_processed_total", "Events whose effect is durable and offset committed")
FAILED = Counter("worker_events_failed_total", "Events in batches that failed and will be retried")
DLQ = Counter("worker_dlq_messages_total", "Unparseable messages sent to comments.dlq")
LAG = Gauge("worker_consumer_lag", "Messages behind the end of the partition", ["partition"])
