"""End to end on the real servers: api_rest and async_worker as processes, PostgreSQL, Kafka."""

import json
import os
import re
import ssl
import subprocess
import urllib.request
import time
import uuid

import pytest
from confluent_kafka import Consumer, Producer

from conftest import API_BIN, API_TLS_PORT, KAFKA, REPO, http, server, stats, wait_for

pytestmark = pytest.mark.integration


def producer() -> Producer:
    return Producer({"bootstrap.servers": KAFKA, "linger.ms": 20, "enable.idempotence": True})


def event(content_id: int, event_id: str | None = None) -> bytes:
    return json.dumps(
        {"event_id": event_id or str(uuid.uuid4()), "type": "comment.created", "content_id": content_id}
    ).encode()


def post_comment(api, content_id: int, text: str) -> dict:
    status, body = http("POST", f"{api.url}/api/comment/new", {"email": "e2e@example.com", "comment": text, "content_id": content_id})
    assert status == 201, body
    return body


def metric(url: str, name: str) -> float:
    status, text = http("GET", f"{url}/metrics")
    assert status == 200
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def test_post_then_worker_updates_stats(api, worker, content_id):
    for i in range(3):
        post_comment(api, content_id, f"comment {i}")
    wait_for(lambda: stats(worker, content_id) == 3, 30, "stats == 3")


def test_same_event_twice_counts_once(worker, content_id):
    p = producer()
    dup = str(uuid.uuid4())
    for value in (event(content_id, dup), event(content_id, dup), event(content_id)):
        p.produce("comments.created", value, key=str(content_id).encode())
    assert p.flush(10) == 0
    wait_for(lambda: stats(worker, content_id) == 2, 30, "stats == 2")
    time.sleep(1.5)
    assert stats(worker, content_id) == 2


def test_poison_goes_to_dlq_and_later_messages_flow(worker, content_id):
    dlq_before = metric(worker.url, "worker_dlq_messages_total")
    key = f"poison-{content_id}".encode()
    p = producer()
    # Same key, so the same partition: the valid event sits behind the poison one.
    p.produce("comments.created", b"{not json", key=key)
    p.produce("comments.created", event(content_id), key=key)
    assert p.flush(10) == 0
    wait_for(lambda: stats(worker, content_id) == 1, 30, "the event behind the poison message")
    # The stats commit comes before the DLQ produce and the offset commit; the counter follows those.
    wait_for(lambda: metric(worker.url, "worker_dlq_messages_total") >= dlq_before + 1, 15, "the DLQ counter")

    c = Consumer({"bootstrap.servers": KAFKA, "group.id": f"dlq-check-{uuid.uuid4()}", "auto.offset.reset": "earliest"})
    c.subscribe(["comments.dlq"])
    try:
        def found():
            for m in c.consume(100, timeout=1):
                if not m.error() and m.key() == key:
                    return m
            return None

        msg = wait_for(found, 30, "the poison message in comments.dlq", interval=0)
    finally:
        c.close()
    headers = dict(msg.headers())
    assert msg.value() == b"{not json"
    assert headers["dlq_reason"].startswith(b"not JSON")


def test_kafka_down_delays_but_never_loses(api, worker, content_id):
    server("kafka.sh", "stop")
    try:
        for i in range(10):
            post_comment(api, content_id, f"while kafka is down {i}")
        wait_for(lambda: metric(api.url, "api_outbox_pending") >= 10, 15, "outbox backlog >= 10")
        assert stats(worker, content_id) == 0
    finally:
        server("kafka.sh", "start")
    wait_for(lambda: stats(worker, content_id) == 10, 120, "all 10 comments processed after Kafka is back")
    time.sleep(2)
    assert stats(worker, content_id) == 10


def test_sigterm_mid_batch_loses_nothing(worker, content_id):
    n = 30_000
    p = producer()
    for i in range(n):
        p.produce("comments.created", event(content_id), key=str(i % 7).encode())
        if i % 5000 == 0:
            p.poll(0)
    assert p.flush(30) == 0
    wait_for(lambda: stats(worker, content_id) > 0, 30, "the worker to start on the events")
    took = worker.stop()
    seen = stats_from_db(content_id)
    assert took < 10, f"worker took {took:.1f}s to exit after SIGTERM"
    assert worker.proc.returncode == 0
    assert 0 < seen < n, f"SIGTERM did not land mid-stream ({seen}/{n}); raise n"
    worker.start()
    wait_for(lambda: stats(worker, content_id) == n, 120, f"all {n} events after the restart")
    time.sleep(1)
    assert stats(worker, content_id) == n


def stats_from_db(content_id: int) -> int:
    import psycopg

    with psycopg.connect(os.environ["TEST_DATABASE_URL"]) as conn:
        row = conn.execute("SELECT comments FROM content_stats WHERE content_id = %s", (content_id,)).fetchone()
    return row[0] if row else 0


def test_db_down_ready_503_then_back_200(api, worker, content_id):
    server("postgres.sh", "stop")
    try:
        wait_for(lambda: http("GET", f"{api.url}/ready")[0] == 503, 15, "api /ready 503")
        wait_for(lambda: http("GET", f"{worker.url}/ready")[0] == 503, 15, "worker /ready 503")
        status, body = http(
            "POST", f"{api.url}/api/comment/new", {"email": "a@example.com", "comment": "x", "content_id": content_id}, 15
        )
        assert status == 503 and body["error"] == "service_unavailable", body
        assert http("GET", f"{api.url}/health")[0] == 200  # liveness ignores dependencies
    finally:
        server("postgres.sh", "start")
    wait_for(lambda: http("GET", f"{api.url}/ready")[0] == 200, 30, "api /ready 200")
    wait_for(lambda: http("GET", f"{worker.url}/ready")[0] == 200, 30, "worker /ready 200")
    post_comment(api, content_id, "after the outage")
    wait_for(lambda: stats(worker, content_id) == 1, 30, "processing resumes")


def test_curl_walkthrough(api):
    script = REPO / "apps/api_rest/scripts/walkthrough.sh"
    res = subprocess.run([str(script)], env=os.environ | {"API_URL": api.url}, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "walkthrough: ok" in res.stdout


def test_schemathesis_finds_no_5xx_nor_schema_violation(api):
    st = REPO / "apps/api_rest/.venv/bin/schemathesis"
    res = subprocess.run(
        [str(st), "run", f"{api.url}/openapi.json",
         "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
         "--max-examples", "40", "--seed", "1", "--no-color"],
        capture_output=True, text=True, timeout=300,
    )
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]


def test_https_listener_serves_the_same_app(api, tls_cert):
    ctx = ssl.create_default_context(cafile=str(tls_cert[0]))
    with urllib.request.urlopen(f"https://127.0.0.1:{API_TLS_PORT}/ready", context=ctx, timeout=5) as resp:
        assert resp.status == 200
        assert json.loads(resp.read())["checks"] == {"postgres": "ok"}


def test_migrate_command_is_idempotent_and_safe_in_parallel(servers):
    env = os.environ | {"DATABASE_URL": servers["db"]}
    procs = [subprocess.Popen([str(API_BIN.with_name("api-rest-migrate"))], env=env, stdout=subprocess.PIPE) for _ in range(3)]
    outs = [p.communicate(timeout=60)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    assert all("schema up to date" in o for o in outs)
