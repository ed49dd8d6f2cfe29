"""OGC API - Features at the HTTP edge: response models, parameters, responses and errors.

Under ``/ogc`` an error is ``{"code": "InvalidParameterValue", "description": "..."}`` with
400 for a bad or unknown query parameter (the standard's status, instead of the 422 of
``/api/v1``) and 404 for an unknown collection, feature or path. :class:`OGCRoute` renders it
for the OGC router's routes only; statuses otherwise come from the table in ``api/errors.py``.
A query parameter the route does not declare is refused, as Part 1 requires
(``/req/core/query-param-unknown``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api.deps import GenerationDep
from api.errors import headers_for, status_and_description
from api.schemas import Strict
from geo import geojson, ogc, ogc_filter
from geo.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)

# --- response models ---------------------------------------------------------------------


class Link(Strict):
    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class LandingPage(Strict):
    title: str
    description: str
    links: list[Link]


class Conformance(Strict):
    conformsTo: list[str]


class SpatialExtent(Strict):
    bbox: list[list[float]]
    crs: str


class Extent(Strict):
    spatial: SpatialExtent


class Collection(Strict):
    id: str
    title: str
    description: str
    itemType: Literal["feature"]
    extent: Extent
    crs: list[str]
    storageCrs: str
    links: list[Link]


class Collections(Strict):
    links: list[Link]
    collections: list[Collection]


class Feature(Strict):
    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: dict[str, Any]
    links: list[Link] | None = None


class FeatureCollection(Strict):
    type: Literal["FeatureCollection"]
    numberMatched: int
    numberReturned: int
    timeStamp: str
    links: list[Link]
    features: list[Feature]


class Exception_(BaseModel):
    """The standard's exception body (``exception.yaml``): a code and a description."""

    code: str
    description: str


def errors_doc(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": Exception_} for status in statuses}


# --- errors ------------------------------------------------------------------------------

_CODES = {
    400: "InvalidParameterValue",
    404: "NotFound",
    405: "MethodNotAllowed",
    500: "ServerError",
    503: "ServiceUnavailable",
}


def error_response(request: Request, exc: Exception) -> JSONResponse:
    """``exc`` as the standard's exception body; what went wrong inside is logged, not told."""
    status, description = status_and_description(request, exc)
    code = _CODES.get(status, "InvalidRequest" if status < 500 else "ServerError")
    return JSONResponse(
        {"code": code, "description": description}, status_code=status, headers=headers_for(exc)
    )


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route declares, its dependencies' included."""
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


class OGCRoute(APIRoute):
    """A route whose errors leave in the OGC format and whose unknown parameters are 400."""

    #: How an error leaves (a subclass may add to the OGC body: api.ogc_edit.EditRoute).
    error = staticmethod(error_response)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        known = _query_names(self.dependant)

        async def answer(request: Request) -> Response:
            try:
                unknown = sorted(set(request.query_params) - known)
                if unknown:
                    takes = ", ".join(sorted(known)) or "no parameters"
                    raise InvalidInput(
                        unknown[0], f"unknown query parameter; this resource takes {takes}"
                    )
                return await handler(request)
            except Exception as exc:
                return self.error(request, exc)

        return answer


# --- parameters --------------------------------------------------------------------------

_JSON_FORMATS = {"json", "geojson", "application/json", "application/geo+json"}


def json_only(
    f: Annotated[str | None, Query(description="Output format: only `json` is offered.")] = None,
) -> None:
    if f is not None and f.lower() not in _JSON_FORMATS:
        raise InvalidInput("f", f"unsupported format {f!r}; this service answers json only")


def get_collection(
    collection_id: Annotated[str, Path(alias="collectionId", description="Collection id.")],
) -> ogc.CollectionId:
    return ogc.parse_collection(collection_id)


CollectionDep = Annotated[ogc.CollectionId, Depends(get_collection)]


def get_crs(
    crs: Annotated[
        str | None,
        Query(description="CRS of the response: CRS84 (default, lon/lat) or EPSG:4490 (lat/lon)."),
    ] = None,
) -> ogc.Crs:
    return ogc.parse_crs(crs, "crs")


CrsDep = Annotated[ogc.Crs, Depends(get_crs)]


def get_filter(
    filter: Annotated[
        str | None,
        Query(description="A CQL2 filter (OGC API - Features Part 3) on the queryables."),
    ] = None,
    filter_lang: Annotated[
        str | None,
        Query(
            alias="filter-lang",
            description="`cql2-text` (default) or `cql2-json`.",
            json_schema_extra={"enum": [*ogc_filter.LANGS, ogc_filter.GDAL_TEXT]},
        ),
    ] = None,
    filter_crs: Annotated[
        str | None,
        Query(alias="filter-crs", description="CRS of the filter's geometries; default CRS84."),
    ] = None,
) -> ogc_filter.Cql2 | None:
    crs = ogc.parse_crs(filter_crs, "filter-crs")
    if filter is None:
        for name, value in (("filter-lang", filter_lang), ("filter-crs", filter_crs)):
            if value is not None:
                raise InvalidInput(name, "is only meaningful with filter")
        return None
    return ogc_filter.parse(filter, filter_lang, lat_first=crs.lat_first)


Cql2Dep = Annotated[ogc_filter.Cql2 | None, Depends(get_filter)]


def get_items_query(
    generation: GenerationDep,
    crs: CrsDep,
    bbox: Annotated[
        str | None,
        Query(description="minx,miny,maxx,maxy in `bbox-crs`, in that CRS's axis order."),
    ] = None,
    bbox_crs: Annotated[
        str | None, Query(alias="bbox-crs", description="CRS of `bbox`; default CRS84.")
    ] = None,
    limit: Annotated[
        int,
        Query(ge=1, le=ogc.MAX_LIMIT, description=f"Page size, at most {ogc.MAX_LIMIT:,}."),
    ] = ogc.DEFAULT_LIMIT,
    after: Annotated[
        str | None, Query(description="Last code of the previous page (from `next` links).")
    ] = None,
    datetime: Annotated[
        str | None,
        Query(description="Checked and ignored: areas carry no time (choose `generation`)."),
    ] = None,
    cql2: Cql2Dep = None,
) -> ogc.ItemsQuery:
    if datetime is not None:
        ogc.check_datetime(datetime)
    box_crs = ogc.parse_crs(bbox_crs, "bbox-crs")
    if bbox_crs is not None and bbox is None:
        raise InvalidInput("bbox-crs", "is only meaningful with bbox")
    return ogc.ItemsQuery(
        generation=generation,
        crs=crs,
        bbox=ogc.parse_bbox(bbox, box_crs) if bbox is not None else None,
        limit=limit,
        after=after,
        filter=cql2,
    )


ItemsQueryDep = Annotated[ogc.ItemsQuery, Depends(get_items_query)]


# --- responses ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Urls:
    """Where ``/ogc``, the OpenAPI document and the API documentation are, for links."""

    base: str
    openapi: str
    docs: str


def urls(request: Request) -> Urls:
    return Urls(
        base=str(request.url_for("ogc_landing")).rstrip("/"),
        openapi=str(request.url_for("openapi")),
        docs=str(request.url_for("swagger_ui")),
    )


UrlsDep = Annotated[Urls, Depends(urls)]


def json_response(document: dict[str, Any]) -> Response:
    return Response(geojson.dumps(document), media_type=ogc.JSON)


def _crs_header(crs: ogc.Crs) -> dict[str, str]:
    return {"Content-Crs": f"<{crs.value}>"}


def items_response(
    request: Request,
    base: str,
    collection: ogc.CollectionId,
    q: ogc.ItemsQuery,
    page: ogc.ItemsPage,
) -> Response:
    """The page as a FeatureCollection; the ``next`` link pins the generation it was read in."""
    links = [
        {"href": str(request.url), "rel": "self", "type": ogc.GEOJSON, "title": "this page"},
        {
            "href": f"{base}/collections/{collection.value}",
            "rel": "collection",
            "type": ogc.JSON,
            "title": collection.label,
        },
    ]
    if page.next_after is not None:
        # the generation the walk started in, by number (``at`` would name it a second time)
        pinned = request.url.remove_query_params("at")
        href = pinned.include_query_params(after=page.next_after, generation=q.generation)
        links.append({"href": str(href), "rel": "next", "type": ogc.GEOJSON, "title": "next page"})
    body = geojson.collection(
        page.features,
        numberMatched=page.number_matched,
        numberReturned=len(page.features),
        timeStamp=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        links=links,
    )
    return Response(body, media_type=ogc.GEOJSON, headers=_crs_header(q.crs))


def feature_response(
    request: Request, base: str, collection: ogc.CollectionId, feature: str, crs: ogc.Crs
) -> Response:
    """One feature with its ``self`` and ``collection`` links spliced in."""
    links = [
        {"href": str(request.url), "rel": "self", "type": ogc.GEOJSON, "title": "this feature"},
        {
            "href": f"{base}/collections/{collection.value}",
            "rel": "collection",
            "type": ogc.JSON,
            "title": collection.label,
        },
    ]
    body = feature[:-1] + ',"links":' + geojson.dumps(links) + "}"
    return Response(body, media_type=ogc.GEOJSON, headers=_crs_header(crs))


def schema_type(request: Request) -> str:
    """``application/schema+json`` (Part 3's type for queryables), or ``application/json`` for
    a client that accepts only that (GDAL's OAPIF driver, which refuses any other type)."""
    accept = request.headers.get("accept", "")
    if ogc.JSON in accept and ogc.SCHEMA not in accept and "*/*" not in accept:
        return ogc.JSON
    return ogc.SCHEMA


def not_found(path: str) -> NotFound:
    return NotFound(f"/ogc/{path}: no such OGC API resource")
