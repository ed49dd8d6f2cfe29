"""One table from domain exceptions to HTTP statuses, registered once on the app.

Every error body of the native API has the same shape::

    {"detail": "lon: must be a finite number, got nan", "code": "invalid",
     "errors": [{"where": "query", "field": "lon", "message": "must be a finite number, got nan"}]}

``detail`` is English, for API clients; ``code`` follows from the status alone (:data:`CODES`)
and is what pages translate into Chinese. The plan routes (:data:`PLAN_ROUTES`) add
``message_zh``, the refusal in Chinese for the planner's page (:mod:`geo.plans.messages`).
Open311 and OGC API answer in their own formats.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from psycopg import Error as DriverError
from psycopg import OperationalError as DriverOperationalError
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from api import inputs
from api.auth import LoginRequired
from cases.errors import (
    ActionNotAllowed,
    IdempotencyInProgress,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
)
from cases.indicators.errors import AlreadyDone
from cases.loop.attachments import AttachmentTooLarge, StoreError
from geo.errors import (
    Busy,
    DatabaseSetupError,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    OutsideCoverage,
    RateLimited,
    WanggeError,
)
from geo.plans import messages as plan_messages
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
    ActionNotAllowed: 409,
    AlreadyDone: 409,
    TopologyRefused: 422,
    AttachmentTooLarge: 413,
    InvalidInput: 422,
    OutsideCoverage: 404,
    NotFound: 404,
    DatabaseSetupError: 503,
    Busy: 503,
    StoreError: 503,
    WanggeError: 400,
}


#: The machine-readable ``code`` of an error body, by status.
CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "version_mismatch",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    428: "version_required",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}


#: Paths whose error bodies also carry ``message_zh``.
PLAN_ROUTES = "/api/v1/plans"


def _zh(
    request: Request, exc: WanggeError | None, status: int, field: str | None = None
) -> dict[str, str]:
    """``{"message_zh": ...}`` on a plan route (for ``exc``, or for a refused ``field``), else
    nothing."""
    if not request.url.path.startswith(PLAN_ROUTES):
        return {}
    if exc is not None:
        return {"message_zh": plan_messages.error_zh(exc, status)}
    if field is not None:
        return {"message_zh": plan_messages.field_zh(field)}
    return {"message_zh": plan_messages.STATUS_ZH.get(status, plan_messages.STATUS_ZH[400])}


def status_for(exc: WanggeError) -> int:
    return next(code for cls, code in STATUS.items() if isinstance(exc, cls))


def code_for(status: int) -> str:
    """The error ``code`` of ``status``; one outside :data:`CODES` by its class.

    Examples
    --------
    >>> code_for(412), code_for(418), code_for(502)
    ('version_mismatch', 'bad_request', 'internal')
    """
    return CODES.get(status, "bad_request" if status < 500 else "internal")


def error_body(
    detail: str, errors: list[dict[str, Any]] | None = None, *, status: int, **extra: Any
) -> dict[str, Any]:
    """The native API's error body for an answer with ``status``."""
    return {"detail": detail, "code": code_for(status), "errors": errors or [], **extra}


def headers_for(exc: Exception) -> dict[str, str]:
    """The headers an error answer carries in every format: how to sign in after a 401, when
    to retry after a 429, and what an HTTPException asked for."""
    if isinstance(exc, NotAuthenticated):
        return {"WWW-Authenticate": 'Bearer realm="wangge"'}
    if isinstance(exc, RateLimited | Busy):
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
        body = error_body("the database is unavailable, try again", status=503)
        return JSONResponse(body, status_code=503)
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
    status = status_for(exc)
    extra |= _zh(request, exc, status)
    # ``extra`` may hold a ``status`` of its own (a case's state, on a refused action).
    body = error_body(exc.message, errors, status=status) | extra
    return JSONResponse(body, status_code=status, headers=headers_for(exc))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        where, field = (loc[0], ".".join(loc[1:])) if len(loc) > 1 else ("request", ".".join(loc))
        message = err.get("msg", "invalid")
        if err.get("type") == "json_invalid":  # its loc is (body, character): no field to name
            where, field = "body", "body"
            message = f"not valid JSON at character {loc[1] if len(loc) > 1 else 0}"
        errors.append({"where": where, "field": field, "message": message})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    zh = _zh(request, None, 422, errors[0]["field"].split(".")[0] if errors else None)
    return JSONResponse(error_body(detail, errors, status=422) | zh, status_code=422)


def allowed_methods(request: Request) -> str:
    """The ``Allow`` header of the request's path: the methods of every route serving it (and
    OPTIONS), where Starlette names only those of the first route it found."""
    methods = {"OPTIONS"}
    for route in iter_route_contexts(request.app.routes):
        path = route.path or ""
        if ":path}" in path or not route.methods:  # a catch-all answers 404 or 405 itself
            continue
        if compile_path(path)[0].match(request.url.path):
            methods |= route.methods
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route, method not allowed) in the same body; OPTIONS
    of an existing path is answered with its ``Allow``."""
    assert isinstance(exc, HTTPException)
    headers = headers_for(exc)
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=headers)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=headers)
    body = error_body(str(exc.detail), status=exc.status_code) | _zh(request, None, exc.status_code)
    return JSONResponse(body, status_code=exc.status_code, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """Anything else: 500 in the same body; Starlette logs the traceback after answering."""
    return JSONResponse(error_body("internal error", status=500), status_code=500)


async def _database_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DBAPIError)
    refused = inputs.translate(exc)
    if refused is not None:  # a value no check caught before it reached the database
        log.warning("database refused a value on %s %s", request.method, request.url.path)
        return await _domain_error(request, refused)
    log.error("database error on %s %s: %s", request.method, request.url.path, exc)
    if isinstance(exc, OperationalError):
        body = error_body("the database is unavailable, try again", status=503)
        return JSONResponse(body, status_code=503)
    return JSONResponse(error_body("internal error", status=500), status_code=500)


async def _driver_error(request: Request, exc: Exception) -> Response:
    """A psycopg error from the read pool (``geo.db.make_read_pool``: no SQLAlchemy around
    it), answered as :func:`_database_error` answers the engine's."""
    log.error("database error on %s %s: %s", request.method, request.url.path, exc)
    if isinstance(exc, DriverOperationalError):
        body = error_body("the database is unavailable, try again", status=503)
        return JSONResponse(body, status_code=503)
    return JSONResponse(error_body("internal error", status=500), status_code=500)


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
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(DriverError, _driver_error)
    app.add_exception_handler(Exception, _unexpected)
