"""GeoJSON as text: compact dumps, and FeatureCollections spliced from feature text.

The database writes features as JSON text (``ST_AsGeoJSON``, ``json_build_object``); they are
joined into a collection as they are, never parsed and dumped again. The web layer only wraps
this text in a response (``api/geojson.py``).

Examples
--------
>>> dumps({"name": "树林召镇", "n": 1})
'{"name":"树林召镇","n":1}'
>>> collection(['{"type":"Feature"}'], numberReturned=1)
'{"type":"FeatureCollection","numberReturned":1,"features":[{"type":"Feature"}]}'
>>> collection([])
'{"type":"FeatureCollection","features":[]}'
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

#: The media type of GeoJSON (RFC 7946).
GEOJSON = "application/geo+json"


def dumps(obj: Any) -> str:
    """``obj`` as compact JSON, Chinese text kept as it is (not ``\\u`` escaped)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def collection(features: Iterable[str], **members: Any) -> str:
    """A FeatureCollection of ``features`` (each a Feature's JSON text) with the top-level
    ``members`` (paging, links, class breaks …) before them."""
    head = dumps({"type": "FeatureCollection", **members})
    return head[:-1] + ',"features":[' + ",".join(features) + "]}"
