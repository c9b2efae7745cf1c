"""`async-worker`: wait for PostgreSQL and Kafka (logging each retry), then consume until SIGTERM."""

import json
import logging
import signal
import threading
import time
import uuid

import psycopg
from psycopg_pool import ConnectionPool

from . import kafka_io, migrations
from .http import WorkerHTTP
from .logs import setup_logging
from .settings import Settings
from .worker import Worker

log = logging.getLogger("async_worker")


def retry(what: str, fn, stopping: threading.Event) -> bool:
    delay = 0.5
    while not stopping.is_set():
        try:
            fn()
            return True
        except Exception as exc:  # noqa: BLE001 - dependencies may come up after us
            log.warning(f"{what} not ready; retrying", extra={"error": str(exc)[:300], "retry_in": delay})
            stopping.wait(delay)
            delay = min(delay * 2, 10)
    return False


def demo_loop(settings: Settings, stopping: threading.Event) -> None:
    """The original worker's heartbeat: a synthetic event on a timer ({"x": 303})."""
    producer = kafka_io.make_producer(settings, "async-worker-demo")
    while not stopping.wait(settings.worker_demo_interval_seconds):
        event = {"event_id": str(uuid.uuid4()), "type": "demo", "content_id": 0, "x": 303}
        producer.produce(kafka_io.CREATED, json.dumps(event).encode(), key=b"0")
        producer.poll(0)
        log.info("demo event sent", extra={"event_id": event["event_id"]})
    producer.flush(3)


def main() -> None:
    settings = Settings()
    setup_logging(settings.log_level)
    stopping = threading.Event()
    worker: Worker | None = None

    def on_signal(sig, _frame):
        log.info("shutting down", extra={"signal": signal.Signals(sig).name})
        stopping.set()
        if worker:
            worker.stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    pool = ConnectionPool(
        settings.dsn, min_size=1, max_size=4, open=False, timeout=5,
        kwargs={"connect_timeout": 5}, check=ConnectionPool.check_connection, name="worker",
    )
    pool.open(wait=False)
    started = time.monotonic()
    http = WorkerHTTP(settings, pool, lambda: worker.heartbeat if worker else started)
    http.start()
    try:
        if not retry("PostgreSQL", lambda: log.info("schema up to date", extra={"applied": migrations.migrate(settings.dsn)}), stopping):
            return
        if not retry("Kafka", lambda: kafka_io.ensure_topics(settings), stopping):
            return
        if settings.worker_demo_interval_seconds > 0:
            threading.Thread(target=demo_loop, args=(settings, stopping), name="demo", daemon=True).start()
        worker = Worker(settings, pool, kafka_io.make_consumer(settings), kafka_io.make_producer(settings, "async-worker"))
        if stopping.is_set():
            worker.stopping.set()
        log.info("consuming", extra={"topic": kafka_io.CREATED, "group": settings.kafka_consumer_group})
        worker.run()
    except psycopg.Error as exc:
        log.error("fatal database error", extra={"error": str(exc)})
        raise
    finally:
        http.stop()
        pool.close()
        log.info("worker stopped")
