"""Per-content statistics, updated idempotently: an event id already recorded changes nothing."""

from psycopg_pool import ConnectionPool

from .events import Event

APPLY = """
WITH ins AS (
    INSERT INTO worker_processed_events (event_id, content_id)
    SELECT * FROM unnest(%s::uuid[], %s::bigint[])
    ON CONFLICT (event_id) DO NOTHING
    RETURNING content_id
)
INSERT INTO content_stats (content_id, comments, updated_at)
SELECT content_id, count(*), now() FROM ins GROUP BY content_id
ON CONFLICT (content_id) DO UPDATE
SET comments = content_stats.comments + EXCLUDED.comments, updated_at = EXCLUDED.updated_at
"""


def apply_batch(pool: ConnectionPool, events: list[Event]) -> None:
    """One statement, one transaction: durable when this returns."""
    unique = {e.event_id: e.content_id for e in events}  # a batch may carry a redelivery twice
    if not unique:
        return
    with pool.connection() as conn:
        conn.execute(APPLY, (list(unique), list(unique.values())))


def stats(pool: ConnectionPool, content_id: int) -> dict:
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT comments, updated_at FROM content_stats WHERE content_id = %s", (content_id,)
        ).fetchone()
    comments, updated_at = row if row else (0, None)
    return {"content_id": content_id, "comments": comments, "updated_at": updated_at.isoformat() if updated_at else None}


def ping(pool: ConnectionPool) -> None:
    with pool.connection(timeout=3) as conn:
        conn.execute("SELECT 1")
