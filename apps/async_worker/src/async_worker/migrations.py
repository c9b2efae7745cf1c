"""The worker's own tables, created idempotently under an advisory lock (replicas never race)."""

import psycopg

LOCK_KEY = 7_300_002  # distinct from the API's

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE worker_processed_events (
            event_id     uuid        PRIMARY KEY,
            content_id   bigint      NOT NULL,
            processed_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE content_stats (
            content_id  bigint      PRIMARY KEY,
            comments    bigint      NOT NULL,
            updated_at  timestamptz NOT NULL
        );
        """,
    ),
]


def migrate(dsn: str) -> list[int]:
    applied: list[int] = []
    with psycopg.connect(dsn, connect_timeout=5, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS worker_schema_migrations ("
                " version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r[0] for r in conn.execute("SELECT version FROM worker_schema_migrations")}
            for version, sql in MIGRATIONS:
                if version not in done:
                    with conn.transaction():
                        conn.execute(sql)
                        conn.execute("INSERT INTO worker_schema_migrations (version) VALUES (%s)", (version,))
                    applied.append(version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return applied
