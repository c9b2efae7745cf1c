"""Produce N comment events and time until the worker reports them processed (end to end).

Usage: worker_e2e.py BOOTSTRAP WORKER_URL N  -> prints JSON {events, seconds, events_per_second}"""

import json
import re
import sys
import time
import urllib.request
import uuid

from confluent_kafka import Producer


def processed(url: str) -> float:
    text = urllib.request.urlopen(f"{url}/metrics", timeout=5).read().decode()
    m = re.search(r"^worker_events_processed_total (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def main() -> None:
    bootstrap, url, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    before = processed(url)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "enable.idempotence": True})
    started = time.monotonic()
    for i in range(n):
        content_id = i % 1000 + 1
        value = json.dumps({"event_id": str(uuid.uuid4()), "type": "comment.created", "content_id": content_id})
        while True:
            try:
                producer.produce("comments.created", value.encode(), key=str(content_id).encode())
                break
            except BufferError:
                producer.poll(0.05)
        if i % 1000 == 0:
            producer.poll(0)
    producer.flush(60)
    produced = time.monotonic() - started
    deadline = started + 300
    while processed(url) < before + n:
        if time.monotonic() > deadline:
            sys.exit(f"worker processed {processed(url) - before:.0f}/{n} within 300 s")
        time.sleep(0.1)
    seconds = time.monotonic() - started
    print(json.dumps({"events": n, "produce_seconds": round(produced, 2), "seconds": round(seconds, 2),
                      "events_per_second": round(n / seconds)}))


if __name__ == "__main__":
    main()
