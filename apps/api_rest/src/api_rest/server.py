"""`api-rest`: serve HTTP (and HTTPS when a certificate and key are given) with uvicorn, in
API_WORKERS processes.

One worker: this process serves. Several: this process is a supervisor. It binds one
SO_REUSEPORT socket per worker and port, spawns the workers (each a whole app with its own pool
and outbox relay), starts a new one when a worker dies after it was up, stops everything when one
fails to start, and passes SIGTERM/SIGINT on and waits for every worker.
SIGTERM/SIGINT stop accepting, let in-flight requests finish (up to API_SHUTDOWN_TIMEOUT_SECONDS),
then run the lifespan shutdown (relay, pool)."""

import asyncio
import contextlib
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait

import uvicorn
import uvloop
from pydantic import ValidationError

from .logs import setup_logging, uvicorn_log_config
from .settings import Settings, get_settings

log = logging.getLogger("api_rest.server")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Beyond the drain timeout: the lifespan shutdown (relay flush up to 5 s, pool close).
SHUTDOWN_GRACE_SECONDS = 15


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # serve() below owns the signals for both listeners
        yield


def _config(app, settings: Settings, port: int, **extra) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.api_host,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=uvicorn_log_config(),
        timeout_graceful_shutdown=settings.api_shutdown_timeout_seconds,
        server_header=False,
        **extra,
    )


async def serve(
    settings: Settings,
    sockets: tuple[socket.socket, socket.socket | None] | None = None,
    on_started: Callable[[], None] | None = None,
) -> int:
    """Serve until SIGTERM/SIGINT; bind the ports unless `sockets` (plain, tls) are given.

    With `sockets` (a worker of run_workers), also shut down gracefully if the supervisor is gone."""
    from .main import create_app  # here: the supervisor process never builds the app

    app = create_app(settings)
    plain = _Server(_config(app, settings, settings.api_port))
    tls = None
    if settings.tls_enabled:
        # Lifespan runs once, on the plain listener; the TLS listener shares the same app state.
        tls = _Server(
            _config(
                app,
                settings,
                settings.api_tls_port,
                lifespan="off",
                ssl_certfile=settings.api_tls_cert_file,
                ssl_keyfile=settings.api_tls_key_file,
            )
        )
    plain_socks = [sockets[0]] if sockets else None
    tls_socks = [sockets[1]] if sockets and sockets[1] is not None else None

    loop = asyncio.get_running_loop()

    def on_signal(sig: int) -> None:
        log.info("shutting down", extra={"signal": signal.Signals(sig).name})
        if tls:
            tls.should_exit = True
        else:
            plain.should_exit = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    orphan_watch = asyncio.create_task(_watch_parent(on_signal)) if sockets else None

    plain_task = asyncio.create_task(plain.serve(sockets=plain_socks))
    while not plain.started:
        if plain_task.done():
            try:
                await plain_task
            except SystemExit as exc:  # uvicorn exits this way when it cannot bind or start up
                return int(exc.code or 1)
            return 1
        await asyncio.sleep(0.05)
    if tls:
        tls_task = asyncio.create_task(tls.serve(sockets=tls_socks))
        while not tls.started and not tls_task.done():
            await asyncio.sleep(0.05)
        if tls.started and on_started:
            on_started()
        try:
            await tls_task  # returns after a signal; then the plain listener drains and shuts down
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - e.g. an unreadable certificate
            log.error("the HTTPS listener failed", extra={"error": repr(exc)})
        plain.should_exit = True
    elif on_started:
        on_started()
    await plain_task
    if orphan_watch:
        orphan_watch.cancel()
    return 0 if plain.started and (tls is None or tls.started) else 1


async def _watch_parent(stop: Callable[[int], None]) -> None:
    parent = os.getppid()
    while os.getppid() == parent:
        await asyncio.sleep(1)
    log.warning("the supervisor process is gone")
    stop(signal.SIGTERM)


def _run(coro) -> int:
    # uvicorn's loop="uvloop" only applies to uvicorn.run(); serve() runs on the loop made here.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def _listeners(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` sockets on one port with SO_REUSEPORT, one per worker: the kernel spreads new
    connections evenly over them (a single shared socket lets whichever worker wakes first
    accept a whole burst). The parent keeps them open, so a restarted worker finds its queue."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:  # without SO_REUSEPORT: fails if anyone listens
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            sock.listen(2048)  # uvicorn's backlog; connections queue while the workers start
            sock.set_inheritable(True)
    except OSError:
        for sock in socks:
            sock.close()
        raise
    return socks


def _worker_main(index: int, sockets: tuple[socket.socket, socket.socket | None], ready: Connection) -> None:
    """Entry point of a spawned worker process; says b"ready" on `ready` once it serves."""
    settings = get_settings()
    setup_logging(settings.log_level, worker=index)
    sys.exit(_run(serve(settings, sockets, on_started=lambda: ready.send_bytes(b"ready"))))


def _metrics_dir() -> tuple[str, bool]:
    """The folder the workers share their metrics through; (path, created here)."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        os.makedirs(given, exist_ok=True)
        for name in os.listdir(given):  # files of an earlier run would add to this run's counters
            if name.endswith(".db"):
                os.unlink(os.path.join(given, name))
        return given, False
    return tempfile.mkdtemp(prefix="api-rest-metrics-"), True


def run_workers(settings: Settings, count: int) -> int:
    """Bind the listeners, run `count` worker processes on them, supervise until a signal."""
    plain: list[socket.socket] = []
    tls: list[socket.socket] = []
    try:
        plain = _listeners(settings.api_host, settings.api_port, count)
        if settings.tls_enabled:
            tls = _listeners(settings.api_host, settings.api_tls_port, count)
    except OSError as exc:
        for sock in plain:
            sock.close()
        log.error("cannot listen", extra={"error": str(exc)})
        return 1

    def close_listeners() -> None:
        for sock in plain + tls:
            sock.close()

    metrics_dir, own_dir = _metrics_dir()
    # Set before the workers import prometheus_client: each then writes its series to files there
    # and /metrics in any worker sums them (counters, histograms) or takes the latest (gauges).
    os.environ[MULTIPROC_ENV] = metrics_dir
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited loop or threads
    workers: dict[int, tuple] = {}  # index -> (process, the read end of its "ready" pipe)
    ready: set[int] = set()

    def start(index: int) -> None:
        reader, writer = ctx.Pipe(duplex=False)  # a pipe, not an Event: no semaphore in /dev/shm
        sockets = (plain[index], tls[index] if tls else None)
        proc = ctx.Process(target=_worker_main, args=(index, sockets, writer), name=f"api-rest-worker-{index}")
        proc.start()
        writer.close()
        ready.discard(index)
        workers[index] = (proc, reader)

    def note_ready() -> None:
        for index, (_, reader) in workers.items():
            if index not in ready and reader.poll():
                with contextlib.suppress(EOFError):  # EOF: it exited without saying ready
                    reader.recv_bytes()
                    ready.add(index)

    stop_signal: list[int] = []

    def on_signal(sig: int, _frame) -> None:
        stop_signal.append(sig)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)

    for i in range(count):
        start(i)
    listening = [f"http :{settings.api_port}"] + ([f"https :{settings.api_tls_port}"] if tls else [])
    log.info(
        "started workers",
        extra={"workers": count, "pids": [p.pid for p, _ in workers.values()], "listening": listening},
    )

    code = 0
    deadline: float | None = None
    try:
        while workers:
            if stop_signal and deadline is None:
                log.info("shutting down workers", extra={"signal": signal.Signals(stop_signal[0]).name})
                # Our copies closed, each socket closes when its worker stops accepting.
                close_listeners()
                for proc, _ in workers.values():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(proc.pid, signal.SIGTERM)
                deadline = time.monotonic() + settings.api_shutdown_timeout_seconds + SHUTDOWN_GRACE_SECONDS
            if deadline is not None and time.monotonic() > deadline:
                log.error("workers did not stop in time; killing them", extra={"pids": [p.pid for p, _ in workers.values()]})
                for proc, _ in workers.values():
                    proc.kill()
                code = 1
                deadline = float("inf")
            wait([proc.sentinel for proc, _ in workers.values()], timeout=0.2)
            note_ready()
            for index, (proc, reader) in list(workers.items()):
                if proc.exitcode is None:
                    continue
                proc.join()
                reader.close()
                del workers[index]
                _mark_dead(proc.pid)
                exitcode = proc.exitcode
                if deadline is not None:
                    # Killed by the forwarded signal before its handlers were installed: nothing was in flight.
                    if exitcode not in (0, -signal.SIGTERM, -signal.SIGINT):
                        log.error("worker exited with an error", extra={"worker": index, "exitcode": exitcode})
                        code = code or 1
                elif index not in ready:
                    log.error("worker failed to start; stopping", extra={"worker": index, "exitcode": exitcode})
                    code = exitcode if exitcode and exitcode > 0 else 1
                    stop_signal.append(signal.SIGTERM)
                else:
                    log.error("worker died; starting another", extra={"worker": index, "exitcode": exitcode})
                    start(index)
    finally:
        close_listeners()
        if own_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    log.info("stopped", extra={"exitcode": code})
    return code


def _mark_dead(pid: int) -> None:
    from prometheus_client import multiprocess

    with contextlib.suppress(OSError):
        multiprocess.mark_process_dead(pid)


def main() -> None:
    try:
        settings = get_settings()
    except ValidationError as exc:
        setup_logging("INFO")
        problems = [{"variable": str(e["loc"][0]).upper(), "error": e["msg"]} for e in exc.errors()]
        log.error("invalid settings", extra={"problems": problems})
        sys.exit(2)
    setup_logging(settings.log_level)
    if (settings.api_tls_cert_file or settings.api_tls_key_file) and not settings.tls_enabled:
        log.error("set both API_TLS_CERT_FILE and API_TLS_KEY_FILE, or neither")
        sys.exit(2)
    workers = settings.workers
    if workers == 1:
        sys.exit(_run(serve(settings)))
    sys.exit(run_workers(settings, workers))
