"""Transactional outbox relay: publish pending outbox rows to Kafka, then mark them sent.

Rows are claimed with FOR UPDATE SKIP LOCKED (replicas never publish the same row at once) and
marked sent only after the broker acknowledged them (acks=all, idempotent producer). A crash
between the two republishes the row; consumers deduplicate by event_id, so the effect is once."""

import asyncio
import logging

import psycopg
from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from psycopg_pool import AsyncConnectionPool

from .db import note_database_error
from .metrics import OUTBOX_OLDEST, OUTBOX_PENDING, OUTBOX_PUBLISHED
from .settings import Settings

log = logging.getLogger("api_rest.outbox")

TOPIC = "comments.created"
DELIVERY_TIMEOUT_MS = 15_000
# Under load every POST wakes the relay, so cycles would run back to back with a few rows each;
# a cycle that published starts the next one no sooner than this: fewer, fuller batches (a batch
# costs a transaction and a produce request whatever its size), at most this much later on Kafka.
MIN_CYCLE_SECONDS = 0.05


def ensure_topics(settings: Settings, topics: list[str], timeout: float = 10) -> None:
    admin = AdminClient(
        {"bootstrap.servers": settings.kafka_bootstrap_servers, "logger": logging.getLogger("api_rest.kafka")}
    )
    existing = admin.list_topics(timeout=timeout).topics
    missing = [t for t in topics if t not in existing]
    if not missing:
        return
    new = [NewTopic(t, settings.kafka_topic_partitions, settings.kafka_topic_replication_factor) for t in missing]
    for topic, future in admin.create_topics(new, operation_timeout=timeout).items():
        try:
            future.result()
            log.info("created topic", extra={"topic": topic})
        except KafkaException as exc:
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise


class OutboxRelay:
    def __init__(self, settings: Settings, pool: AsyncConnectionPool):
        self.settings = settings
        self.pool = pool
        self.wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None
        self.producer = Producer(
            {
                "bootstrap.servers": settings.kafka_bootstrap_servers,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 5,
                "message.timeout.ms": DELIVERY_TIMEOUT_MS,
                "client.id": "api-rest-outbox",
                "logger": logging.getLogger("api_rest.kafka"),
            }
        )

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")
        # Separate from publishing, which can wait on a down broker for DELIVERY_TIMEOUT_MS.
        self._backlog_task = asyncio.create_task(self._watch_backlog(), name="outbox-backlog")

    async def stop(self) -> None:
        self._stopping = True
        self.wake.set()
        if self._task:
            await self._task
        self._backlog_task.cancel()
        await asyncio.to_thread(self.producer.flush, 5)

    async def _run(self) -> None:
        topics_ready = False
        delay = 0.5
        loop = asyncio.get_running_loop()
        while not self._stopping:
            started = loop.time()
            try:
                if not topics_ready:
                    await asyncio.to_thread(ensure_topics, self.settings, [TOPIC])
                    topics_ready = True
                published = await self.publish_once()
                delay = 0.5
                if published >= self.settings.outbox_batch_size:
                    continue
            except Exception as exc:  # noqa: BLE001 - the relay must outlive any outage
                if isinstance(exc, psycopg.Error):
                    note_database_error()
                log.warning("outbox relay failed; will retry", extra={"error": str(exc), "retry_in": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
                continue
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), self.settings.outbox_poll_interval_seconds)
            except TimeoutError:
                pass
            rest = started + MIN_CYCLE_SECONDS - loop.time() if published else 0
            if rest > 0 and not self._stopping:
                await asyncio.sleep(rest)

    async def publish_once(self) -> int:
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT id, event_id::text, topic, key, payload::text FROM outbox"
                " WHERE sent_at IS NULL ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                (self.settings.outbox_batch_size,),
            )
            rows = await cur.fetchall()
            if not rows:
                return 0
            delivered: list[int] = []
            errors: list[str] = []

            def on_delivery(row_id):
                def callback(err, _msg):
                    if err is None:
                        delivered.append(row_id)
                    else:
                        errors.append(str(err))

                return callback

            for row_id, event_id, topic, key, payload in rows:
                self.producer.produce(
                    topic,
                    value=payload.encode(),
                    key=key.encode() if key else None,
                    headers=[("event_id", event_id.encode())],
                    on_delivery=on_delivery(row_id),
                )
            # Every message resolves (acked or timed out) within message.timeout.ms.
            await asyncio.to_thread(self.producer.flush, DELIVERY_TIMEOUT_MS / 1000 + 5)
            if delivered:
                await conn.execute("UPDATE outbox SET sent_at = now() WHERE id = ANY(%s)", (delivered,))
                OUTBOX_PUBLISHED.inc(len(delivered))
            if errors:
                log.warning(
                    "some outbox events were not delivered; they stay pending",
                    extra={"failed": len(errors), "first_error": errors[0]},
                )
            return len(delivered)

    async def _watch_backlog(self) -> None:
        while True:
            try:
                await self._update_backlog()
            except Exception as exc:  # noqa: BLE001 - a metric must never stop the relay
                log.debug("backlog query failed", extra={"error": str(exc)})
            await asyncio.sleep(1)

    async def _update_backlog(self) -> None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)"
                " FROM outbox WHERE sent_at IS NULL"
            )
            pending, oldest = await cur.fetchone()
        OUTBOX_PENDING.set(pending)
        OUTBOX_OLDEST.set(float(oldest))
