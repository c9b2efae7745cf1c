"""The original app's routes, kept as they were, plus liveness, readiness and metrics."""

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from ..db import note_database_error
from ..metrics import exposition

router = APIRouter()


@router.get("/")
async def root() -> dict[str, str]:
    return {"Hello": "Shipay"}


@router.get("/health", summary="Liveness: the process answers; checks no dependency")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="Readiness: 200 only when PostgreSQL answers",
    responses={503: {"description": "A dependency is down; the body names it"}},
)
async def ready(request: Request) -> JSONResponse:
    try:
        async with asyncio.timeout(3):
            async with request.app.state.pool.connection() as conn:
                await conn.execute("SELECT 1")
        checks = {"postgres": "ok"}
    except Exception as exc:  # noqa: BLE001 - any failure means not ready, and says why
        note_database_error()
        checks = {"postgres": f"error: {type(exc).__name__}: {exc}"[:300]}
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)


@router.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None) -> dict:
    return {"item_id": item_id, "q": q}


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
