"""GeoJSON responses assembled from feature text the database already produced (the text
itself is built by :mod:`geo.geojson`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from geo.areas import FeaturePage
from geo.geojson import GEOJSON, collection, dumps
from geo.heat import FeatureSet


def feature_collection(request: Request, page: FeaturePage) -> Response:
    """A FeatureCollection with OGC-style paging members and a ``next`` link when more remain."""
    links = [{"rel": "self", "href": str(request.url), "type": GEOJSON}]
    if page.next_after is not None:
        links.append(
            {
                "rel": "next",
                "href": str(request.url.include_query_params(after=page.next_after)),
                "type": GEOJSON,
            }
        )
    body = collection(
        page.features,
        numberMatched=page.number_matched,
        numberReturned=len(page.features),
        links=links,
    )
    return Response(content=body, media_type=GEOJSON)


def feature_response(feature: dict[str, Any]) -> Response:
    return Response(content=dumps(feature), media_type=GEOJSON)


def feature_set(features: FeatureSet) -> Response:
    """A FeatureCollection of ``features`` with their top-level members (breaks, totals …)."""
    return Response(content=collection(features.features, **features.members), media_type=GEOJSON)


def geojson_body(body: bytes) -> Response:
    """GeoJSON text already encoded (:func:`geo.heat.areas`, :func:`geo.hotspots.hotspots`)."""
    return Response(content=body, media_type=GEOJSON)
