"""GeoReport v2 at the HTTP edge: the spec's response models and its error format.

Under ``/open311`` an error is a list of ``{"code": <HTTP status>, "description": "..."}``, as
the spec says. :class:`GeoReportRoute` renders it for the routes of the Open311 router only, so
``/api/v1`` keeps its own error body. Statuses come from the one table in ``api/errors.py``,
except that bad input answers 400, the spec's status for a bad argument, instead of 422.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from api.errors import headers_for, status_and_description
from api.schemas import Strict

log = logging.getLogger(__name__)


class GeoReportError(Strict):
    code: int
    description: str


class Endpoint(Strict):
    specification: str
    url: str
    changeset: str
    type: Literal["production", "test"]
    formats: list[str]


class Discovery(Strict):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Service(Strict):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class ServiceDefinition(Strict):
    service_code: str
    attributes: list[dict[str, Any]]


class ServiceRequestCreated(Strict):
    service_request_id: str
    service_notice: str
    account_id: str | None


class ServiceRequest(Strict):
    """A request as a caller in whose scope it lies reads it: nothing in it names or reaches a
    person."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str
    service_notice: str
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str
    address: str
    lat: float
    long: float
    media_url: str | None


def errors_doc(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these statuses, all in the spec's error format."""
    return {status: {"model": list[GeoReportError]} for status in statuses}


def error_response(request: Request, exc: Exception) -> JSONResponse:
    """``exc`` as the spec's error list; what went wrong inside is logged, not told. A 401
    says how to sign in and a 429 when to retry, as on the native API."""
    status, description = status_and_description(request, exc)
    return JSONResponse(
        [{"code": status, "description": description}],
        status_code=status,
        headers=headers_for(exc),
    )


class GeoReportRoute(APIRoute):
    """A route whose every error leaves in the GeoReport format (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                return error_response(request, exc)

        return answer
