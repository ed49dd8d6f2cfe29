"""GeoJSON responses assembled from feature text the database already produced."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request, Response

from geo.areas import FeaturePage
from geo.heat import FeatureSet

GEOJSON = "application/geo+json"


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


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
    head = dumps(
        {
            "type": "FeatureCollection",
            "numberMatched": page.number_matched,
            "numberReturned": len(page.features),
            "links": links,
        }
    )
    body = head[:-1] + ',"features":[' + ",".join(page.features) + "]}"
    return Response(content=body, media_type=GEOJSON)


def feature_response(feature: dict[str, Any]) -> Response:
    return Response(content=dumps(feature), media_type=GEOJSON)


def feature_set(features: FeatureSet) -> Response:
    """A FeatureCollection of ``features`` with their top-level members (breaks, totals …)."""
    head = dumps({"type": "FeatureCollection", **features.members})
    body = head[:-1] + ',"features":[' + ",".join(features.features) + "]}"
    return Response(content=body, media_type=GEOJSON)
