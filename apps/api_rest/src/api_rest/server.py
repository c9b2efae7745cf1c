"""`api-rest`: serve HTTP (and HTTPS when a certificate and key are given) with uvicorn.

SIGTERM/SIGINT stop accepting, let in-flight requests finish (up to
API_SHUTDOWN_TIMEOUT_SECONDS), then run the lifespan shutdown (relay, pool)."""

import asyncio
import contextlib
import logging
import signal
import sys

import uvicorn

from .logs import setup_logging, uvicorn_log_config
from .main import create_app
from .settings import get_settings

log = logging.getLogger("api_rest.server")


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # serve() below owns the signals for both listeners
        yield


def _config(app, settings, port: int, **extra) -> uvicorn.Config:
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


async def serve() -> int:
    settings = get_settings()
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
    elif settings.api_tls_cert_file or settings.api_tls_key_file:
        log.error("set both API_TLS_CERT_FILE and API_TLS_KEY_FILE, or neither")
        return 2

    loop = asyncio.get_running_loop()

    def on_signal(sig: int) -> None:
        log.info("shutting down", extra={"signal": signal.Signals(sig).name})
        if tls:
            tls.should_exit = True
        else:
            plain.should_exit = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)

    plain_task = asyncio.create_task(plain.serve())
    while not plain.started:
        if plain_task.done():
            try:
                await plain_task
            except SystemExit as exc:  # uvicorn exits this way when it cannot bind or start up
                return int(exc.code or 1)
            return 1
        await asyncio.sleep(0.05)
    if tls:
        await tls.serve()  # returns after a signal; then the plain listener drains and shuts down
        plain.should_exit = True
    await plain_task
    return 0 if plain.started else 1


def main() -> None:
    settings = get_settings()
    setup_logging(settings.log_level)
    sys.exit(asyncio.run(serve()))
