"""Comments: store a comment and its outbox event in one transaction; list them oldest first."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from ..outbox import TOPIC
from ..schemas import PG_BIGINT_MAX, CommentIn, CommentOut, CommentPage, ErrorBody, ValidationErrorBody

router = APIRouter(
    prefix="/api/comment",
    tags=["comments"],
    responses={
        422: {"model": ValidationErrorBody, "description": "A field broke a rule; the body names both"},
        503: {"model": ErrorBody, "description": "PostgreSQL is unavailable"},
    },
)

COLUMNS = "id, email, comment, content_id, created_at"

# One statement, so comment and event are atomic without an explicit transaction round-trip.
INSERT = f"""
WITH c AS (
    INSERT INTO comments (content_id, email, comment) VALUES (%(content_id)s, %(email)s, %(comment)s)
    RETURNING {COLUMNS}
), o AS (
    INSERT INTO outbox (event_id, topic, key, payload)
    SELECT %(event_id)s::uuid, %(topic)s, c.content_id::text, jsonb_build_object(
        'event_id', %(event_id)s::text, 'type', 'comment.created', 'comment_id', c.id,
        'content_id', c.content_id, 'email', c.email, 'comment', c.comment, 'created_at', c.created_at)
    FROM c
)
SELECT {COLUMNS} FROM c
"""


def _row(r) -> dict:
    return dict(zip(("id", "email", "comment", "content_id", "created_at"), r, strict=True))


@router.post(
    "/new",
    status_code=201,
    response_model=CommentOut,
    responses={
        400: {"model": ErrorBody, "description": "Body is not decodable (e.g. invalid UTF-8)"},
        413: {"model": ErrorBody, "description": "Body over the size limit"},
        415: {"model": ErrorBody, "description": "Body is not application/json"},
    },
)
async def create_comment(body: CommentIn, request: Request) -> dict:
    params = body.model_dump() | {"event_id": str(uuid.uuid4()), "topic": TOPIC}
    async with request.app.state.pool.connection() as conn:
        cur = await conn.execute(INSERT, params)
        row = await cur.fetchone()
    relay = getattr(request.app.state, "relay", None)
    if relay is not None:
        relay.wake.set()
    return _row(row)


@router.get("/list/{content_id}", response_model=CommentPage)
async def list_comments(
    request: Request,
    content_id: Annotated[int, Path(gt=0, le=PG_BIGINT_MAX)],
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    cursor: Annotated[int, Query(ge=0, le=PG_BIGINT_MAX, description="next_cursor of the previous page")] = 0,
) -> dict:
    async with request.app.state.pool.connection() as conn:
        cur = await conn.execute(
            f"SELECT {COLUMNS} FROM comments WHERE content_id = %s AND id > %s ORDER BY id LIMIT %s",
            (content_id, cursor, limit + 1),
        )
        rows = await cur.fetchall()
    page = [_row(r) for r in rows[:limit]]
    return {"content_id": content_id, "comments": page, "next_cursor": page[-1]["id"] if len(rows) > limit else None}


