"""The relay's cadence, without PostgreSQL or Kafka: publish_once and the topic check are stubbed."""

import asyncio

import pytest

from api_rest import outbox
from api_rest.outbox import MIN_CYCLE_SECONDS, OutboxRelay
from api_rest.settings import Settings


class StubRelay(OutboxRelay):
    def __init__(self, rows_per_cycle: int):
        super().__init__(Settings(kafka_bootstrap_servers="127.0.0.1:1", outbox_poll_interval_seconds=5), pool=None)
        self.rows, self.cycles = rows_per_cycle, []

    async def publish_once(self) -> int:
        self.cycles.append(asyncio.get_running_loop().time())
        return self.rows


async def run_while_posting(relay: StubRelay, seconds: float) -> None:
    relay.start()
    end = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < end:  # a POST every 2 ms wakes the relay
        relay.wake.set()
        await asyncio.sleep(0.002)
    relay._stopping = True
    relay.wake.set()
    await relay._task
    relay._backlog_task.cancel()


@pytest.fixture(autouse=True)
def no_kafka(monkeypatch):
    monkeypatch.setattr(outbox, "ensure_topics", lambda *_: None)


def test_busy_relay_batches_instead_of_cycling_per_post():
    relay = StubRelay(rows_per_cycle=3)
    asyncio.run(run_while_posting(relay, 0.5))
    gaps = [b - a for a, b in zip(relay.cycles, relay.cycles[1:], strict=False)]
    assert 3 <= len(relay.cycles) <= 12, relay.cycles
    assert min(gaps) >= MIN_CYCLE_SECONDS * 0.95


def test_idle_relay_answers_a_wake_at_once():
    relay = StubRelay(rows_per_cycle=0)  # nothing published: no minimum cycle
    asyncio.run(run_while_posting(relay, 0.3))
    assert len(relay.cycles) > 20
