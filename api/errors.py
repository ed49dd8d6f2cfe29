"""One table from domain exceptions to HTTP statuses, registered once on the app.

Every error body has the same shape::

    {"detail": "lon: must be a finite number, got nan",
     "errors": [{"where": "query", "field": "lon", "message": "must be a finite number, got nan"}]}
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException

from api import inputs
from api.auth import LoginRequired
from cases.errors import IdempotencyInProgress, IdempotencyKeyMissing, IdempotencyKeyReused
from geo.errors import (
    DatabaseSetupError,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    OutsideCoverage,
    RateLimited,
    WanggeError,
)
from geo.plans.errors import (
    Detailed,
    PlanConflict,
    TopologyRefused,
    VersionConflict,
    VersionRequired,
)

log = logging.getLogger(__name__)

#: Most specific class first; the first match wins.
STATUS: dict[type[WanggeError], int] = {
    NotAuthenticated: 401,
    Forbidden: 403,
    RateLimited: 429,
    IdempotencyKeyMissing: 400,
    IdempotencyKeyReused: 422,
    IdempotencyInProgress: 409,
    VersionRequired: 428,
    VersionConflict: 412,
    PlanConflict: 409,
    TopologyRefused: 422,
    InvalidInput: 422,
    OutsideCoverage: 404,
    NotFound: 404,
    DatabaseSetupError: 503,
    WanggeError: 400,
}


def status_for(exc: WanggeError) -> int:
    return next(code for cls, code in STATUS.items() if isinstance(exc, cls))


def error_body(
    detail: str, errors: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or [], **extra}


def headers_for(exc: Exception) -> dict[str, str]:
    """The headers an error answer carries in every format: how to sign in after a 401, when
    to retry after a 429, and what an HTTPException asked for."""
    if isinstance(exc, NotAuthenticated):
        return {"WWW-Authenticate": 'Bearer realm="wangge"'}
    if isinstance(exc, RateLimited):
        return {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, HTTPException) and exc.headers:
        return dict(exc.headers)
    return {}


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WanggeError)
    if isinstance(exc, LoginRequired):
        return RedirectResponse(exc.location, status_code=303)
    if isinstance(exc, DatabaseSetupError):  # paths and log tails are for the log only
        log.error("database set-up failed on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse(error_body("the database is unavailable, try again"), status_code=503)
    extra: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    if isinstance(exc, InvalidInput):
        where = exc.where or (
            "header"
            if isinstance(exc, IdempotencyKeyMissing | IdempotencyKeyReused)
            else ("body" if request.method in ("POST", "PUT", "PATCH") else "query")
        )
        errors.append({"where": where, "field": exc.field, "message": exc.problem})
    if isinstance(exc, OutsideCoverage):
        extra["nearest"] = {"code": exc.nearest_code, "distance_m": exc.distance_m}
    if isinstance(exc, Detailed):
        extra.update(exc.details)
    return JSONResponse(
        error_body(exc.message, errors, **extra),
        status_code=status_for(exc),
        headers=headers_for(exc),
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        where, field = (loc[0], ".".join(loc[1:])) if len(loc) > 1 else ("request", ".".join(loc))
        errors.append({"where": where, "field": field, "message": err.get("msg", "invalid")})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    return JSONResponse(error_body(detail, errors), status_code=422)


async def _database_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DBAPIError)
    refused = inputs.translate(exc)
    if refused is not None:  # a value no check caught before it reached the database
        log.warning("database refused a value on %s %s", request.method, request.url.path)
        return await _domain_error(request, refused)
    log.error("database error on %s %s: %s", request.method, request.url.path, exc)
    if isinstance(exc, OperationalError):
        return JSONResponse(error_body("the database is unavailable, try again"), status_code=503)
    return JSONResponse(error_body("internal error"), status_code=500)


def status_and_description(request: Request, exc: Exception) -> tuple[int, str]:
    """Status and client-facing description of ``exc`` for the edges with their own error
    formats (Open311, OGC API); what went wrong inside is logged, not told."""
    where = f"{request.method} {request.url.path}"
    if isinstance(exc, DBAPIError):
        exc = inputs.translate(exc) or exc
    if isinstance(exc, DatabaseSetupError | OperationalError):
        log.error("database unavailable on %s: %s", where, exc)
        return 503, "the database is unavailable, try again"
    if isinstance(exc, InvalidInput):
        return 400, exc.message
    if isinstance(exc, WanggeError):
        return status_for(exc), exc.message
    if isinstance(exc, RequestValidationError):
        problems = [
            f"{'.'.join(str(p) for p in err.get('loc', ())[1:])}: {err.get('msg', 'invalid')}"
            for err in exc.errors()
        ]
        return 400, "; ".join(problems) or "invalid request"
    if isinstance(exc, HTTPException):
        return exc.status_code, str(exc.detail)
    if isinstance(exc, DBAPIError):
        log.error("database error on %s: %s", where, exc)
    else:
        log.error("unexpected error on %s", where, exc_info=exc)
    return 500, "internal error"


def register(app: FastAPI) -> None:
    """Install the handlers that turn exceptions into the error body above."""
    app.add_exception_handler(WanggeError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DBAPIError, _database_error)
