"""Unit tests: event parsing (what goes to the DLQ and why) and offset bookkeeping."""

import json
import uuid

import pytest

from async_worker.events import PoisonMessage, parse, processed_payload
from async_worker.settings import Settings
from async_worker.worker import Worker

EID = str(uuid.uuid4())


def test_parses_a_comment_event():
    e = parse(json.dumps({"event_id": EID, "content_id": 7, "type": "comment.created"}).encode())
    assert (e.event_id, e.content_id, e.demo) == (EID, 7, False)
    assert json.loads(processed_payload(e)) == {"event_id": EID, "content_id": 7, "type": "comment.processed"}


def test_demo_event_like_the_original():
    assert parse(json.dumps({"event_id": EID, "content_id": 0, "type": "demo", "x": 303}).encode()).demo


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "empty message"),
        (b"", "empty message"),
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"content_id": 1}).encode(), "missing field event_id"),
        (json.dumps({"event_id": "abc", "content_id": 1}).encode(), "event_id is not a UUID"),
        (json.dumps({"event_id": EID}).encode(), "content_id must be"),
        (json.dumps({"event_id": EID, "content_id": "1"}).encode(), "content_id must be"),
        (json.dumps({"event_id": EID, "content_id": True}).encode(), "content_id must be"),
        (json.dumps({"event_id": EID, "content_id": -1}).encode(), "content_id must be"),
        (json.dumps({"event_id": EID, "content_id": 2**63}).encode(), "content_id must be"),
    ],
)
def test_poison_messages_carry_a_reason(value, reason):
    with pytest.raises(PoisonMessage, match=reason):
        parse(value)


class Msg:
    def __init__(self, partition, offset):
        self._p, self._o = partition, offset

    def topic(self):
        return "comments.created"

    def partition(self):
        return self._p

    def offset(self):
        return self._o


def test_commits_the_offset_after_the_last_message_of_each_partition():
    got = Worker._next_offsets([Msg(0, 5), Msg(1, 9), Msg(0, 7), Msg(0, 6)])
    assert sorted((tp.partition, tp.offset) for tp in got) == [(0, 8), (1, 10)]


def test_rewind_seeks_to_the_first_message_of_each_partition():
    seeks = []

    class Consumer:
        def seek(self, tp):
            seeks.append((tp.partition, tp.offset))

    w = Worker(Settings(), None, Consumer(), None)
    w._rewind([Msg(0, 5), Msg(1, 9), Msg(0, 3)])
    assert sorted(seeks) == [(0, 3), (1, 9)]
