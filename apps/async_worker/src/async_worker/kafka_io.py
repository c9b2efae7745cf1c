"""Kafka topics and client configuration (confluent-kafka / librdkafka)."""

import logging

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from .settings import Settings

log = logging.getLogger("async_worker.kafka")

CREATED = "comments.created"
PROCESSED = "comments.processed"
DLQ = "comments.dlq"
TOPICS = (CREATED, PROCESSED, DLQ)


def _base(settings: Settings) -> dict:
    return {"bootstrap.servers": settings.kafka_bootstrap_servers, "logger": logging.getLogger("async_worker.rdkafka")}


def ensure_topics(settings: Settings, timeout: float = 10) -> None:
    admin = AdminClient(_base(settings))
    existing = admin.list_topics(timeout=timeout).topics
    new = [
        NewTopic(t, settings.kafka_topic_partitions, settings.kafka_topic_replication_factor)
        for t in TOPICS
        if t not in existing
    ]
    if not new:
        return
    for topic, future in admin.create_topics(new, operation_timeout=timeout).items():
        try:
            future.result()
            log.info("created topic", extra={"topic": topic})
        except KafkaException as exc:
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise


def kafka_reachable(settings: Settings, timeout: float = 2) -> None:
    AdminClient(_base(settings)).list_topics(timeout=timeout)


def make_producer(settings: Settings, client_id: str) -> Producer:
    return Producer(
        _base(settings)
        | {
            "client.id": client_id,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 5,
            "message.timeout.ms": 8000,
        }
    )


def make_consumer(settings: Settings) -> Consumer:
    return Consumer(
        _base(settings)
        | {
            "group.id": settings.kafka_consumer_group,
            "client.id": "async-worker",
            "enable.auto.commit": False,  # offsets are committed only after the effect is durable
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 10000,
            "fetch.wait.max.ms": 100,
        }
    )
