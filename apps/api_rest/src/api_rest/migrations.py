"""Schema migrations: idempotent, ordered, serialised across replicas by an advisory lock.

Run at start-up by the API and alone by `api-rest-migrate` (init container or job)."""

import logging
import sys

import psycopg

from .logs import setup_logging
from .settings import get_settings

log = logging.getLogger("api_rest.migrations")

# Fixed key so every replica contends for the same lock; distinct from the worker's.
LOCK_KEY = 7_300_001

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE comments (
            id          bigserial PRIMARY KEY,
            content_id  bigint      NOT NULL,
            email       text        NOT NULL,
            comment     text        NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX comments_content_id_id_idx ON comments (content_id, id);
        CREATE TABLE outbox (
            id          bigserial PRIMARY KEY,
            event_id    uuid        NOT NULL UNIQUE,
            topic       text        NOT NULL,
            key         text,
            payload     jsonb       NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now(),
            sent_at     timestamptz
        );
        CREATE INDEX outbox_pending_idx ON outbox (id) WHERE sent_at IS NULL;
        """,
    ),
]


def migrate(conn: psycopg.Connection) -> list[int]:
    """Apply pending migrations; return the versions applied (empty when up to date)."""
    applied: list[int] = []
    conn.autocommit = True
    conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS api_schema_migrations ("
            " version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r[0] for r in conn.execute("SELECT version FROM api_schema_migrations")}
        for version, sql in MIGRATIONS:
            if version in done:
                continue
            with conn.transaction():
                conn.execute(sql)
                conn.execute("INSERT INTO api_schema_migrations (version) VALUES (%s)", (version,))
            log.info("applied migration", extra={"version": version})
            applied.append(version)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return applied


def run(dsn: str) -> list[int]:
    with psycopg.connect(dsn, connect_timeout=10) as conn:
        return migrate(conn)


def main() -> None:
    settings = get_settings()
    setup_logging(settings.log_level)
    try:
        applied = run(settings.dsn)
    except psycopg.OperationalError as exc:
        log.error("cannot reach PostgreSQL; check DATABASE_URL / POSTGRES_*", extra={"error": str(exc)})
        sys.exit(1)
    log.info("schema up to date", extra={"applied": applied})
