"""Unit tests of the multi-process pieces that need no database: API_WORKERS, the CPU count,
start-up errors, the email cache and metrics summed over worker processes."""

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest
from pydantic import ValidationError

from api_rest.schemas import CommentIn
from api_rest.settings import MAX_WORKERS, Settings, available_cpus


def run_api(env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    """`api-rest` in a subprocess (this interpreter), with a database that is never reached."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("API_", "PROMETHEUS_"))}
    return subprocess.run(
        [sys.executable, "-c", "from api_rest.server import main; main()"],
        env=base | {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"} | env,
        capture_output=True, text=True, timeout=timeout, check=False,
    )


@pytest.mark.parametrize(("value", "expected"), [("auto", None), ("", None), ("AUTO", None), ("3", 3), (" 2 ", 2), ("64", 64)])
def test_api_workers_accepts_auto_and_counts(monkeypatch, value, expected):
    monkeypatch.setenv("API_WORKERS", value)
    assert Settings().api_workers == expected


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "two", "65", "true"])
def test_api_workers_rejects_anything_else_with_the_rule(monkeypatch, value):
    monkeypatch.setenv("API_WORKERS", value)
    with pytest.raises(ValidationError) as err:
        Settings()
    assert f"must be 'auto' or a whole number from 1 to {MAX_WORKERS}" in str(err.value)


def test_auto_workers_is_the_available_cpus(monkeypatch):
    monkeypatch.delenv("API_WORKERS", raising=False)
    assert Settings().workers == min(available_cpus(), MAX_WORKERS)
    assert Settings(api_workers=3).workers == 3


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"cpu.max": "max 100000\n"}, None),  # no limit: the affinity
        ({"cpu.max": "50000 100000\n"}, 1),  # 500m (the chart's limit) -> 1
        ({"cpu.max": "150000 100000\n"}, 2),  # 1.5 CPUs -> 2
        ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1),  # cgroup v1
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({}, None),
    ],
)
def test_available_cpus_honours_a_cgroup_quota(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    affinity = len(os.sched_getaffinity(0))
    assert available_cpus(tmp_path) == (min(affinity, expected) if expected else affinity)


def test_bad_api_workers_exits_2_naming_the_variable():
    res = run_api({"API_WORKERS": "zero"})
    assert res.returncode == 2, res.stdout + res.stderr
    line = json.loads(res.stdout.strip().splitlines()[-1])
    assert line["msg"] == "invalid settings"
    assert line["problems"][0]["variable"] == "API_WORKERS"
    assert "whole number" in line["problems"][0]["error"]


def test_half_tls_settings_exit_2():
    res = run_api({"API_WORKERS": "2", "API_TLS_CERT_FILE": "/nonexistent.crt"})
    assert res.returncode == 2
    assert "set both API_TLS_CERT_FILE and API_TLS_KEY_FILE" in res.stdout


def test_port_in_use_exits_1_before_starting_workers():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = run_api({"API_WORKERS": "2", "API_HOST": "127.0.0.1", "API_PORT": str(port)})
    assert res.returncode == 1, res.stdout + res.stderr
    assert "cannot listen" in res.stdout
    assert "started workers" not in res.stdout


def test_email_cache_keeps_the_rules_and_the_errors():
    for _ in range(2):  # the second time from the cache
        assert CommentIn(email="A@EXAMPLE.COM", comment="x", content_id=1).email == "A@example.com"
        with pytest.raises(ValidationError) as err:  # failures are never cached
            CommentIn(email="nope", comment="x", content_id=1)
        assert err.value.errors()[0]["type"] == "value_error"
    assert CommentIn.model_json_schema()["properties"]["email"] == {
        "format": "email", "maxLength": 254, "title": "Email", "type": "string"
    }


# Two "workers" write their series, a third process answers /metrics as a worker would.
WRITER = textwrap.dedent("""
    import sys
    from api_rest.metrics import OUTBOX_PENDING, OUTBOX_PUBLISHED, REQUESTS, LATENCY
    n = int(sys.argv[1])
    REQUESTS.labels("POST", "/api/comment/new", "201").inc(n)
    LATENCY.labels("POST", "/api/comment/new").observe(0.002)
    OUTBOX_PUBLISHED.inc(n)
    OUTBOX_PENDING.set(int(sys.argv[2]))
""")
READER = "import sys; from api_rest.metrics import exposition; sys.stdout.write(exposition().decode())"


def test_metrics_are_summed_over_worker_processes(tmp_path):
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for n, pending in ((3, 40), (4, 7)):  # the second worker read the backlog last
        subprocess.run([sys.executable, "-c", WRITER, str(n), str(pending)], env=env, check=True)
    text = subprocess.run([sys.executable, "-c", READER], env=env, check=True, capture_output=True, text=True).stdout
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    assert values['api_http_requests_total{method="POST",route="/api/comment/new",status="201"}'] == 7
    assert values['api_http_request_duration_seconds_count{method="POST",route="/api/comment/new"}'] == 2
    assert values["api_outbox_published_total"] == 7
    assert values["api_outbox_pending"] == 7  # the latest reading, not a sum nor one series per pid
    assert not any("pid=" in name for name in values)
