"""Every error is JSON: validation errors name the field and the rule; outages are 503."""

import logging

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException

from .db import note_database_error

log = logging.getLogger("api_rest.errors")


def _field(loc: tuple) -> tuple[str, str]:
    location = str(loc[0]) if loc else "request"
    rest = [str(p) for p in loc[1:]]
    return (".".join(rest) or location), location


async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    for err in exc.errors():
        field, location = _field(tuple(err.get("loc", ())))
        if err.get("type") == "json_invalid":
            field = "body"  # the loc's second item is a character offset, not a field
        errors.append({"field": field, "location": location, "rule": err.get("type", "invalid"), "message": err.get("msg", "")})
    return JSONResponse({"error": "validation_failed", "errors": errors}, status_code=422)


async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
    names = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}
    return JSONResponse(
        {"error": names.get(exc.status_code, "http_error"), "detail": str(exc.detail)},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def database_unavailable(_: Request, exc: Exception) -> JSONResponse:
    note_database_error()
    log.warning("PostgreSQL unavailable", extra={"error": str(exc)})
    return JSONResponse(
        {"error": "service_unavailable", "detail": "the database is unavailable; retry later"},
        status_code=503,
        headers={"Retry-After": "5"},
    )


async def unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
    return JSONResponse({"error": "internal_error", "detail": "unexpected server error"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(psycopg.OperationalError, database_unavailable)
    app.add_exception_handler(PoolTimeout, database_unavailable)
    app.add_exception_handler(Exception, unexpected)
