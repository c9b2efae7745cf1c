"""The PostgreSQL connection pool (psycopg 3) and the start-up migration with retries."""

import asyncio
import logging
import time

import psycopg
from psycopg_pool import AsyncConnectionPool

from . import migrations
from .settings import Settings

log = logging.getLogger("api_rest.db")

# After a database error, connections are checked at checkout for a while: a PostgreSQL restart
# leaves every pooled connection dead. Checking always would cost a round trip per request.
CHECK_AFTER_ERROR_SECONDS = 30
_last_error = -float("inf")


def note_database_error() -> None:
    global _last_error
    _last_error = time.monotonic()


async def _check_if_recent_error(conn) -> None:
    if time.monotonic() - _last_error < CHECK_AFTER_ERROR_SECONDS:
        await AsyncConnectionPool.check_connection(conn)


def make_pool(settings: Settings) -> AsyncConnectionPool:
    return AsyncConnectionPool(
        settings.dsn,
        min_size=settings.api_db_pool_min,
        max_size=settings.api_db_pool_max,
        timeout=3,  # a request waits this long for a connection before it gets 503
        open=False,
        # Autocommit: every statement the request path sends is atomic on its own (the POST is one
        # CTE), so no BEGIN/COMMIT round trips; the relay opens explicit transactions.
        kwargs={"connect_timeout": 3, "autocommit": True},
        check=_check_if_recent_error,
        name="api",
    )


async def migrate_with_retry(settings: Settings, wait_seconds: float = 60) -> None:
    deadline = time.monotonic() + wait_seconds
    delay = 0.5
    while True:
        try:
            applied = await asyncio.to_thread(migrations.run, settings.dsn)
            log.info("schema up to date", extra={"applied": applied})
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise
            log.warning("PostgreSQL not reachable yet; retrying", extra={"error": str(exc), "retry_in": delay})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5)
