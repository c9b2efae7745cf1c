"""Parse `comments.created` messages; anything unusable gets a reason for the DLQ."""

import json
import uuid
from dataclasses import dataclass

PG_BIGINT_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    content_id: int
    demo: bool


class PoisonMessage(ValueError):
    """The message can never be processed; the text is the reason recorded in the DLQ."""


def parse(value: bytes | None) -> Event:
    if not value:
        raise PoisonMessage("empty message")
    try:
        data = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PoisonMessage(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PoisonMessage("not a JSON object")
    try:
        event_id = str(uuid.UUID(str(data["event_id"])))
    except KeyError:
        raise PoisonMessage("missing field event_id") from None
    except ValueError:
        raise PoisonMessage("event_id is not a UUID") from None
    content_id = data.get("content_id")
    if type(content_id) is not int or not 0 <= content_id <= PG_BIGINT_MAX:
        raise PoisonMessage("content_id must be a non-negative integer")
    return Event(event_id, content_id, data.get("type") == "demo")


def processed_payload(event: Event) -> bytes:
    return json.dumps({"event_id": event.event_id, "content_id": event.content_id, "type": "comment.processed"}).encode()
