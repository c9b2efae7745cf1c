"""Fixtures for the integration tests: real PostgreSQL and Kafka (test/servers/), the real
services run as processes. The `test:apps` task starts the servers and sets the TEST_* variables;
without them the integration tests are skipped with the reason."""

import contextlib
import json
import os
import socket
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SERVERS = REPO / "test" / "servers"
DB_URL = os.environ.get("TEST_DATABASE_URL")
KAFKA = os.environ.get("TEST_KAFKA_BOOTSTRAP")
API_PORT = int(os.environ.get("TEST_API_PORT", "18000"))
WORKER_PORT = int(os.environ.get("TEST_WORKER_PORT", "18001"))
API_BIN = Path(os.environ.get("API_REST_BIN", REPO / "apps/api_rest/.venv/bin/api-rest"))
WORKER_BIN = Path(os.environ.get("ASYNC_WORKER_BIN", REPO / "apps/async_worker/.venv/bin/async-worker"))
LOGS = Path(os.environ.get("TEST_LOG_DIR", "/tmp/shipay-apps-test"))


def http(method: str, url: str, body: dict | None = None, timeout: float = 5) -> tuple[int, dict | str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw, status = resp.read(), resp.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode()


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except OSError as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def server(script: str, action: str) -> None:
    subprocess.run([str(SERVERS / script), action], check=True, capture_output=True, timeout=120)


class Service:
    def __init__(self, name: str, argv: list[str], env: dict, port: int):
        self.name, self.argv, self.env, self.port = name, argv, env, port
        self.proc: subprocess.Popen | None = None
        self.log = LOGS / f"{name}.log"

    def start(self) -> "Service":
        LOGS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
            raise AssertionError(f"port {self.port} is already in use; stop what listens there first")
        out = open(self.log, "ab")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(self.argv, env=os.environ | self.env, stdout=out, stderr=subprocess.STDOUT)
        wait_for(lambda: self._alive() and http("GET", f"{self.url}/health")[0] == 200, 60, f"{self.name} /health")
        return self

    def _alive(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}; see {self.log}")
        return True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 15) -> float:
        """SIGTERM; return how long the process took to exit."""
        if not self.proc or self.proc.poll() is not None:
            return 0.0
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"{self.name} did not exit within {timeout}s of SIGTERM") from None
        return time.monotonic() - started


def common_env() -> dict:
    return {"DATABASE_URL": DB_URL, "KAFKA_BOOTSTRAP_SERVERS": KAFKA, "LOG_LEVEL": "INFO"}


@pytest.fixture(scope="session")
def servers():
    if not (DB_URL and KAFKA):
        pytest.skip("integration: run through `task test:apps` (sets TEST_DATABASE_URL and TEST_KAFKA_BOOTSTRAP)")
    return {"db": DB_URL, "kafka": KAFKA}


API_TLS_PORT = int(os.environ.get("TEST_API_TLS_PORT", "18443"))


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "tls.crt", d / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="session")
def api(servers, tls_cert):
    env = common_env() | {
        "API_PORT": str(API_PORT),
        "API_TLS_PORT": str(API_TLS_PORT),
        "API_TLS_CERT_FILE": str(tls_cert[0]),
        "API_TLS_KEY_FILE": str(tls_cert[1]),
    }
    svc = Service("api_rest", [str(API_BIN)], env, API_PORT).start()
    yield svc
    took = svc.stop()
    assert svc.proc.returncode == 0, f"api_rest exited {svc.proc.returncode} after SIGTERM; see {svc.log}"
    assert took < 25


def make_worker(**env) -> Service:
    return Service("async_worker", [str(WORKER_BIN)], common_env() | {"WORKER_HTTP_PORT": str(WORKER_PORT)} | env, WORKER_PORT)


@pytest.fixture(scope="session")
def worker(servers):
    svc = make_worker().start()
    yield svc
    svc.stop()


@pytest.fixture
def content_id() -> int:
    """A content id no other test (or earlier run) uses."""
    return uuid.uuid4().int % (2**62) + 1


def stats(worker: Service, content_id: int) -> int:
    status, body = http("GET", f"{worker.url}/stats/{content_id}")
    assert status == 200, body
    return body["comments"]
