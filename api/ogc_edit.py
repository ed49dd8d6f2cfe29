"""OGC API - Features Part 4 at the HTTP edge: the plan collections' parameters and errors.

The domain is :mod:`geo.ogc_edit`. Errors leave in the OGC exception format of
:mod:`api.ogc` (``{"code", "description"}``), with the statuses Part 4 and HTTP give the
write conditions, which ``/ogc``'s read routes never meet: 412 for a stale ``If-Match``, 428
for none, 405 (with ``Allow``) for a plan that is no longer a draft, 415 for a body that is
not GeoJSON (or, for PATCH, a JSON merge patch). A refused field is named in ``field``, and
what the planner's API adds to a refusal (the current ``version`` of a stale area, the
``children`` an area still holds) is added here too.

A plan collection is seen only by a caller who may plan, inside their scope: anyone else gets
the 404 of a collection that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from access.accounts import Permission
from api.auth import Principal, Reader
from api.errors import headers_for, status_and_description
from api.ogc import CrsDep, OGCRoute
from geo import ogc, ogc_edit
from geo.errors import InvalidInput, NotFound
from geo.geojson import GEOJSON
from geo.plans.errors import Detailed, VersionRequired

MERGE_PATCH = "application/merge-patch+json"
_FEATURE_TYPES = (GEOJSON, ogc.JSON)

_CODES = {
    400: "InvalidParameterValue",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    412: "PreconditionFailed",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    428: "PreconditionRequired",
}


class UnsupportedMediaType(InvalidInput):
    """The body's ``Content-Type`` is not one the route reads (415)."""


def edit_error(request: Request, exc: Exception) -> JSONResponse:
    """``exc`` as the OGC exception body with the status Part 4 gives it."""
    headers = headers_for(exc)
    if isinstance(exc, VersionRequired):
        status, description = 428, exc.message
    elif isinstance(exc, UnsupportedMediaType):
        status, description = 415, exc.message
    elif isinstance(exc, ogc_edit.ReadOnly):
        status, description = 405, exc.message
        headers["Allow"] = ", ".join(exc.allow)
    else:
        status, description = status_and_description(request, exc)
    body: dict[str, Any] = {"code": _CODES.get(status, "ServerError"), "description": description}
    if isinstance(exc, InvalidInput):
        body["field"] = exc.field
    if isinstance(exc, Detailed):
        body |= exc.details
    return JSONResponse(body, status_code=status, headers=headers)


class EditRoute(OGCRoute):
    """A plan collection route: errors by :func:`edit_error`, unknown parameters are 400."""

    error = staticmethod(edit_error)


# --- dependencies ------------------------------------------------------------------------


def get_plan_collection(
    principal: Reader,
    plan_level: Annotated[
        str,
        Path(
            alias="planLevel",
            description="The plan's id and a level its draft holds: `7-micro_grids`, "
            "`7-grids`, `7-villages` (the collection id is `plan-7-micro_grids`).",
        ),
    ],
) -> ogc_edit.PlanCollection:
    """The plan collection of the path; NotFound for a caller who may not plan."""
    found = ogc_edit.parse_plan_collection(f"plan-{plan_level}")
    if found is None or not principal.can(Permission.PLAN):
        raise NotFound(f"no collection 'plan-{plan_level}'")
    return found


PlanCollectionDep = Annotated[ogc_edit.PlanCollection, Depends(get_plan_collection)]


def get_draft_query(
    crs: CrsDep,
    bbox: Annotated[
        str | None, Query(description="minx,miny,maxx,maxy in `bbox-crs`, in its axis order.")
    ] = None,
    bbox_crs: Annotated[
        str | None, Query(alias="bbox-crs", description="CRS of `bbox`; default CRS84.")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=ogc.MAX_LIMIT, description=f"Page size, at most {ogc.MAX_LIMIT:,}.")
    ] = ogc.DEFAULT_LIMIT,
    after: Annotated[
        str | None, Query(description="Last ref of the previous page (from `next` links).")
    ] = None,
) -> ogc_edit.DraftQuery:
    box_crs = ogc.parse_crs(bbox_crs, "bbox-crs")
    if bbox_crs is not None and bbox is None:
        raise InvalidInput("bbox-crs", "is only meaningful with bbox")
    return ogc_edit.DraftQuery(
        crs=crs,
        bbox=ogc.parse_bbox(bbox, box_crs) if bbox is not None else None,
        limit=limit,
        after=after,
    )


DraftQueryDep = Annotated[ogc_edit.DraftQuery, Depends(get_draft_query)]


def get_content_crs(
    content_crs: Annotated[
        str | None,
        Header(
            alias="Content-Crs",
            description="CRS of the body's coordinates: `<http://www.opengis.net/def/crs/OGC/"
            "1.3/CRS84>` (default, lon/lat) or EPSG:4490 (lat/lon); brackets optional.",
        ),
    ] = None,
) -> ogc.Crs:
    value = content_crs.strip().removeprefix("<").removesuffix(">") if content_crs else None
    return ogc.parse_crs(value, "Content-Crs")


ContentCrsDep = Annotated[ogc.Crs, Depends(get_content_crs)]


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def feature_body(request: Request) -> None:
    """Refuse a POST or PUT body that is not a GeoJSON Feature by its Content-Type."""
    if _media_type(request) not in _FEATURE_TYPES:
        raise UnsupportedMediaType(
            "Content-Type", f"send the feature as {GEOJSON}, got {_media_type(request)!r}"
        )


def patch_body(request: Request) -> None:
    """Refuse a PATCH body that is not a JSON merge patch (RFC 7396) by its Content-Type."""
    if _media_type(request) not in (MERGE_PATCH, *_FEATURE_TYPES):
        raise UnsupportedMediaType(
            "Content-Type",
            f"send a JSON merge patch as {MERGE_PATCH}, got {_media_type(request)!r}",
        )


def can_plan(principal: Principal) -> bool:
    return principal.can(Permission.PLAN)


# --- responses ---------------------------------------------------------------------------


def etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


def feature_response(
    feature: str, version: int, crs: ogc.Crs, status_code: int = 200, **headers: str
) -> Response:
    """A draft area as GeoJSON with its ETag and the CRS of its coordinates."""
    return Response(
        feature,
        status_code,
        headers={"Content-Crs": f"<{crs.value}>", **etag(version), **headers},
        media_type=GEOJSON,
    )


def feature_doc(description: str, *, patch: bool = False) -> dict[str, Any]:
    """The OpenAPI request body of a write (the route reads the raw body itself)."""
    types = (MERGE_PATCH,) if patch else _FEATURE_TYPES
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "geometry": {"type": "object", "description": "GeoJSON Polygon or MultiPolygon."},
            "properties": {"type": "object", "description": "name, parent_ref, kind, version."},
            "id": {"type": ["string", "integer"]},
            "bbox": {"type": "array", "items": {"type": "number"}},
            "links": {"type": "array", "items": {"type": "object"}},
        },
        "additionalProperties": False,  # any other member is refused (geo.ogc_edit.MEMBERS)
    }
    if not patch:
        schema["required"] = ["type", "geometry", "properties"]
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {t: {"schema": schema} for t in types},
        }
    }
