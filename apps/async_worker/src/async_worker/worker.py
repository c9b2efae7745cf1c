"""The consume loop: batch -> durable effect in PostgreSQL -> produce results/DLQ -> commit offsets.

At-least-once delivery with idempotent effects. Any failure rewinds the batch's partitions and
backs off, so nothing is skipped and the loop keeps polling (the group never evicts us)."""

import logging
import threading
import time

from confluent_kafka import KafkaError, TopicPartition

from . import kafka_io, metrics, store
from .events import Event, PoisonMessage, parse, processed_payload

log = logging.getLogger("async_worker")
LAG_REFRESH_SECONDS = 5


class BatchFailed(Exception):
    pass


class Worker:
    def __init__(self, settings, pool, consumer, producer):
        self.settings, self.pool, self.consumer, self.producer = settings, pool, consumer, producer
        self.stopping = threading.Event()
        self.heartbeat = time.monotonic()
        self._lag_at = 0.0

    def run(self) -> None:
        self.consumer.subscribe([kafka_io.CREATED])
        delay = 0.5
        while not self.stopping.is_set():
            self.heartbeat = time.monotonic()
            msgs = self.consumer.consume(num_messages=self.settings.worker_batch_size, timeout=0.5)
            msgs = [m for m in msgs if self._usable(m)]
            if msgs:
                try:
                    self.handle(msgs)
                    delay = 0.5
                except Exception as exc:  # noqa: BLE001 - every failure is retried, and logged
                    metrics.FAILED.inc(len(msgs))
                    log.warning(
                        "batch failed; rewinding and retrying",
                        extra={"error": f"{type(exc).__name__}: {exc}"[:500], "events": len(msgs), "retry_in": delay},
                    )
                    self._rewind(msgs)
                    self.stopping.wait(delay)
                    delay = min(delay * 2, 10)
            self._refresh_lag()
        log.info("stopping: leaving the consumer group")
        self.consumer.close()
        self.producer.flush(3)

    def _usable(self, msg) -> bool:
        err = msg.error()
        if err is None:
            return True
        if err.code() != KafkaError._PARTITION_EOF:
            log.warning("consumer error", extra={"error": str(err)})
        return False

    def handle(self, msgs) -> None:
        events: list[Event] = []
        poison: list[tuple[object, str]] = []
        for m in msgs:
            try:
                events.append(parse(m.value()))
            except PoisonMessage as exc:
                poison.append((m, str(exc)))
        store.apply_batch(self.pool, events)  # durable before anything is acknowledged
        errors: list[str] = []

        def on_delivery(err, _msg):
            if err is not None:
                errors.append(str(err))

        for m, reason in poison:
            self.producer.produce(
                kafka_io.DLQ,
                value=m.value(),
                key=m.key(),
                headers=[
                    ("dlq_reason", reason.encode()),
                    ("source", f"{m.topic()}/{m.partition()}/{m.offset()}".encode()),
                ],
                on_delivery=on_delivery,
            )
        for e in events:
            self.producer.produce(
                kafka_io.PROCESSED, value=processed_payload(e), key=str(e.content_id).encode(), on_delivery=on_delivery
            )
            if e.demo:
                log.info("demo event processed", extra={"event_id": e.event_id})
        if self.producer.flush(10) or errors:
            raise BatchFailed(errors[0] if errors else "produce timed out")
        self.consumer.commit(offsets=self._next_offsets(msgs), asynchronous=False)
        metrics.PROCESSED.inc(len(events))
        if poison:
            metrics.DLQ.inc(len(poison))
            log.warning("sent poison messages to the DLQ", extra={"count": len(poison), "first_reason": poison[0][1]})

    @staticmethod
    def _next_offsets(msgs) -> list[TopicPartition]:
        last: dict[tuple[str, int], int] = {}
        for m in msgs:
            key = (m.topic(), m.partition())
            last[key] = max(last.get(key, -1), m.offset())
        return [TopicPartition(t, p, o + 1) for (t, p), o in last.items()]

    def _rewind(self, msgs) -> None:
        first: dict[tuple[str, int], int] = {}
        for m in msgs:
            key = (m.topic(), m.partition())
            first[key] = min(first.get(key, m.offset()), m.offset())
        for (t, p), o in first.items():
            try:
                self.consumer.seek(TopicPartition(t, p, o))
            except Exception as exc:  # noqa: BLE001 - a revoked partition is re-read by its new owner
                log.warning("rewind failed", extra={"partition": p, "error": str(exc)})

    def _refresh_lag(self) -> None:
        now = time.monotonic()
        if now - self._lag_at < LAG_REFRESH_SECONDS:
            return
        self._lag_at = now
        try:
            for tp in self.consumer.position(self.consumer.assignment()):
                _low, high = self.consumer.get_watermark_offsets(tp, timeout=1, cached=False)
                if tp.offset >= 0:
                    metrics.LAG.labels(str(tp.partition)).set(max(high - tp.offset, 0))
        except Exception as exc:  # noqa: BLE001 - a metric must never stop the loop
            log.debug("lag refresh failed", extra={"error": str(exc)})
