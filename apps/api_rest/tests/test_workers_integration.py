"""Several server processes (API_WORKERS) on the real PostgreSQL and Kafka from test/servers:
both listeners served, requests spread over the workers and counted once in /metrics, a killed
worker replaced, SIGTERM letting an in-flight request finish, a worker that cannot start
stopping the server. Run through `task test:apps` (it sets TEST_DATABASE_URL and
TEST_KAFKA_BOOTSTRAP); skipped without them. The tests of one module-scoped server run in order."""

import contextlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest, multiprocess

pytestmark = pytest.mark.integration

DB_URL = os.environ.get("TEST_DATABASE_URL")
KAFKA = os.environ.get("TEST_KAFKA_BOOTSTRAP")
API_BIN = Path(os.environ.get("API_REST_BIN", Path(__file__).resolve().parents[1] / ".venv/bin/api-rest"))
POST_METRIC = 'api_http_requests_total{method="POST",route="/api/comment/new",status="201"}'
COMMENT = {"email": "workers@example.com", "comment": "from the workers test", "content_id": 424242}

if not (DB_URL and KAFKA):
    pytest.skip("integration: run through `task test:apps` (sets TEST_DATABASE_URL and TEST_KAFKA_BOOTSTRAP)",
                allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except OSError as exc:
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def request(url: str, body: dict | None = None, context=None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10, context=context) as resp:  # a new connection each time
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


class Api:
    """The real `api-rest` (supervisor and workers) as a process, its JSON log in a file."""

    def __init__(self, log: Path, **env: str):
        self.port = free_port()
        self.log = log
        self.env = {"DATABASE_URL": DB_URL, "KAFKA_BOOTSTRAP_SERVERS": KAFKA, "API_HOST": "127.0.0.1",
                    "API_PORT": str(self.port), "LOG_LEVEL": "INFO"} | env
        self.proc: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> "Api":
        out = open(self.log, "ab")  # noqa: SIM115 - lives as long as the process
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("API_", "PROMETHEUS_"))}
        self.proc = subprocess.Popen([str(API_BIN)], env=clean | self.env, stdout=out, stderr=subprocess.STDOUT)
        if wait:
            wait_for(lambda: self.alive() and request(f"{self.url}/health")[0] == 200, 90, "api /health")
        return self

    def alive(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"api-rest exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
        return True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lines(self, msg: str | None = None) -> list[dict]:
        entries = []
        for line in self.log.read_text().splitlines():
            with contextlib.suppress(ValueError):
                entries.append(json.loads(line))
        return [e for e in entries if msg is None or e.get("msg") == msg]

    def ready_workers(self) -> dict[int, int]:
        """worker index -> pid of the latest worker that logged "api ready"."""
        return {e["worker"]: e["pid"] for e in self.lines("api ready")}

    def stop(self, timeout: float = 40) -> int:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise AssertionError(f"api-rest did not exit within {timeout}s of SIGTERM") from None
        return self.proc.returncode


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "tls.crt", d / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def multi(tmp_path_factory, tls_cert):
    d = tmp_path_factory.mktemp("workers")
    api = Api(d / "api.log", API_WORKERS="2", API_TLS_PORT=str(free_port()), API_TLS_CERT_FILE=str(tls_cert[0]),
              API_TLS_KEY_FILE=str(tls_cert[1]), PROMETHEUS_MULTIPROC_DIR=str(d / "metrics"))
    api.metrics_dir = d / "metrics"
    api.start()
    wait_for(lambda: len(api.ready_workers()) == 2, 60, "both workers ready")
    yield api
    api.stop()


def posts_counted(url: str) -> float:
    status, text = request(f"{url}/metrics")
    assert status == 200
    for line in text.splitlines():
        if line.startswith(POST_METRIC + " "):
            return float(line.split()[-1])
    return 0.0


def test_two_workers_serve_http_and_https(multi, tls_cert):
    started = multi.lines("started workers")
    assert started and started[0]["workers"] == 2
    assert sorted(multi.ready_workers()) == [0, 1]
    assert request(f"{multi.url}/ready")[0] == 200
    ctx = ssl.create_default_context(cafile=str(tls_cert[0]))
    status, body = request(f"https://127.0.0.1:{multi.env['API_TLS_PORT']}/ready", context=ctx)
    assert (status, json.loads(body)["checks"]) == (200, {"postgres": "ok"})


def test_requests_spread_over_workers_and_metrics_count_them_all(multi, tmp_path):
    for _ in range(40):
        assert request(f"{multi.url}/api/comment/new", COMMENT)[0] == 201
    # Whichever worker answers /metrics reports the whole server.
    assert {posts_counted(multi.url) for _ in range(6)} == {40.0}
    per_worker = {}
    for pid in multi.ready_workers().values():  # each worker's own series, read from its file alone
        alone = tmp_path / str(pid)
        alone.mkdir()
        shutil.copy(multi.metrics_dir / f"counter_{pid}.db", alone)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(alone))
        text = generate_latest(registry).decode()
        per_worker[pid] = sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(POST_METRIC))
    assert sum(per_worker.values()) == 40
    assert all(n > 0 for n in per_worker.values()), f"one worker took every connection: {per_worker}"


def test_a_killed_worker_is_replaced_and_counters_never_go_back(multi):
    before = multi.ready_workers()
    os.kill(before[0], signal.SIGKILL)
    wait_for(lambda: multi.ready_workers().get(0) not in (None, before[0]), 90, "a new worker 0")
    assert multi.lines("worker died; starting another")[0]["exitcode"] == -signal.SIGKILL
    assert multi.proc.poll() is None
    for _ in range(10):  # connections hashed to the new worker's socket are served too
        assert request(f"{multi.url}/health")[0] == 200
    assert posts_counted(multi.url) == 40  # the dead worker's requests still count


def in_flight_post(port: int) -> tuple[socket.socket, bytes]:
    """Send the headers and half the body of a POST; return the socket and the other half."""
    body = json.dumps(COMMENT).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (f"POST /api/comment/new HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    sock.sendall(head + body[:10])
    return sock, body[10:]


def drain(api: Api) -> None:
    sock, rest = in_flight_post(api.port)
    time.sleep(1)  # the worker has parsed the headers: the request is in flight
    api.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: refused(api.port), 15, "the listener to close after SIGTERM")
    assert api.proc.poll() is None, "exited with a request in flight"
    sock.sendall(rest)
    reply = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            reply += chunk
    sock.close()
    assert reply.startswith(b"HTTP/1.1 201"), reply[:300]
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["comment"] == COMMENT["comment"]
    assert api.proc.wait(40) == 0, api.log.read_text()[-3000:]


def test_sigterm_lets_an_in_flight_request_finish_with_two_workers(multi):
    drain(multi)
    assert multi.lines("stopped")[-1]["exitcode"] == 0


def test_sigterm_lets_an_in_flight_request_finish_with_one_process(tmp_path):
    api = Api(tmp_path / "api.log", API_WORKERS="1").start()
    try:
        drain(api)
        assert not api.lines("started workers")  # one worker: no supervisor
    finally:
        api.stop()


def test_a_worker_that_cannot_start_stops_the_server(tmp_path):
    api = Api(tmp_path / "api.log", API_WORKERS="2", API_TLS_PORT=str(free_port()),
              API_TLS_CERT_FILE=str(tmp_path / "missing.crt"), API_TLS_KEY_FILE=str(tmp_path / "missing.key"))
    api.start(wait=False)
    try:
        code = api.proc.wait(120)
    finally:
        api.stop()
    assert code == 1, api.log.read_text()[-3000:]
    assert api.lines("worker failed to start; stopping")
    assert api.lines("the HTTPS listener failed")
