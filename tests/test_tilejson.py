"""GET /tiles/{layer}.json and /tiles/areas.json: TileJSON 3.0.0 of the vector tiles.

Expected bounds come from the committed sample files (geopandas), the centre's zoom from
morecantile's WebMercatorQuad, and the layers and fields from tiles fetched through the
document's own URL template and decoded with mapbox_vector_tile.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess

import httpx
import mapbox_vector_tile
import morecantile
import pytest
from fastapi.testclient import TestClient

from api.tilesets import TileJSON

#: Tiles over the banner seat (树林召镇, 110.04E 40.40N).
SEAT = {13: (6600, 3089), 12: (3300, 1544), 10: (825, 386)}
LEVELS = ("micro_grid", "grid", "village", "township")
AREA_FIELDS = {"code", "name", "level", "parent_code"}
TMS = morecantile.tms.get("WebMercatorQuad")


@pytest.fixture(scope="module")
def as_(client, auth, privacy_scan):
    """``as_("township")``: the session's app signed in as that demo account."""

    def make(username: str) -> TestClient:
        signed = TestClient(client.app, raise_server_exceptions=False, headers=auth(username))
        signed.event_hooks = {"request": [], "response": [privacy_scan.response]}
        return signed

    return make


def _bounds(sample_areas, levels, prefix: str = "") -> list[float]:
    """The union of the sample files' boxes of ``levels``, codes starting with ``prefix``."""
    boxes = []
    for level in levels:
        frame = sample_areas[level]
        boxes.append(frame[frame["code"].str.startswith(prefix)].total_bounds)
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def _centre_zoom(bounds: list[float]) -> int:
    """The largest zoom whose one tile is as wide and as high as the box, by morecantile."""
    west, south, east, north = bounds
    low, high = TMS.xy(west, south), TMS.xy(east, north)
    for z in range(22, -1, -1):
        tile = TMS.xy_bounds(morecantile.Tile(0, 0, z))
        width, height = tile.right - tile.left, tile.top - tile.bottom
        if high.x - low.x <= width + 1e-6 and high.y - low.y <= height + 1e-6:  # metres
            return z
    raise AssertionError("no zoom fits")


def _doc(client, path: str, **params) -> TileJSON:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "private, max-age=60"
    assert response.headers["vary"] == "Authorization, Cookie"
    return TileJSON.model_validate(response.json())


def test_combined_document_is_exact_for_the_command_centre(as_, sample_areas):
    doc = _doc(as_("command"), "/tiles/areas.json")
    assert doc.tilejson == "3.0.0" and doc.scheme == "xyz"
    assert doc.tiles == ["http://testserver/tiles/areas/{z}/{x}/{y}.pbf"]
    assert (doc.minzoom, doc.maxzoom) == (0, 22)
    expected = _bounds(sample_areas, LEVELS)
    assert doc.bounds == pytest.approx(expected, abs=1e-7)
    west, south, east, north = expected
    assert doc.center[:2] == pytest.approx([(west + east) / 2, (south + north) / 2], abs=1e-6)
    assert doc.center[2] == _centre_zoom(expected) == 7
    assert [(v.id, v.minzoom, v.maxzoom) for v in doc.vector_layers] == [
        ("micro_grid", 13, 22),
        ("grid", 11, 22),
        ("village", 9, 22),
        ("township", 0, 22),
    ]
    assert all(set(v.fields) == AREA_FIELDS for v in doc.vector_layers)
    assert doc.vector_layers[0].fields["code"].startswith("区划代码")
    assert doc.name == "网格 Wangge：区域边界（组合切片）"


def test_a_township_document_has_the_township_bounds(as_, sample_areas):
    doc = _doc(as_("township"), "/tiles/micro_grid.json")
    expected = _bounds(sample_areas, ["micro_grid"], "150621001")
    assert doc.bounds == pytest.approx(expected, abs=1e-7)
    assert doc.center[2] == _centre_zoom(expected)
    assert doc.center[2] > 7  # one township: nearer than the banner
    peer = _doc(as_("township_peer"), "/tiles/micro_grid.json")
    assert peer.bounds == pytest.approx(
        _bounds(sample_areas, ["micro_grid"], "150621002"), abs=1e-7
    )


@pytest.mark.parametrize("layer", ["township", "village", "grid", "micro_grid"])
def test_a_tile_from_the_template_holds_the_declared_layer_and_fields(as_, layer):
    client = as_("command")
    doc = _doc(client, f"/tiles/{layer}.json")
    assert doc.tiles == [f"http://testserver/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf"]
    assert [(v.id, v.minzoom, v.maxzoom) for v in doc.vector_layers] == [(layer, 0, 22)]
    x, y = SEAT[13]
    response = client.get(doc.tiles[0].format(z=13, x=x, y=y))
    assert response.status_code == 200, response.text
    decoded = mapbox_vector_tile.decode(response.content)
    assert list(decoded) == [v.id for v in doc.vector_layers]
    for feature in decoded[layer]["features"]:
        assert set(feature["properties"]) == set(doc.vector_layers[0].fields)


@pytest.mark.parametrize("z", [13, 12, 10])
def test_combined_tile_from_the_template_holds_the_layers_drawn_at_its_zoom(as_, z):
    client = as_("command")
    doc = _doc(client, "/tiles/areas.json")
    x, y = SEAT[z]
    decoded = mapbox_vector_tile.decode(client.get(doc.tiles[0].format(z=z, x=x, y=y)).content)
    assert list(decoded) == [v.id for v in doc.vector_layers if v.minzoom <= z]


@pytest.mark.parametrize("layer", ["incidents", "coverage"])
def test_count_layers_declare_exactly_the_fields_their_tiles_carry(as_, sample_areas, layer):
    client = as_("command")
    doc = _doc(client, f"/tiles/{layer}.json")
    assert doc.bounds == pytest.approx(_bounds(sample_areas, ["micro_grid"]), abs=1e-7)
    x, y = SEAT[12]
    decoded = mapbox_vector_tile.decode(client.get(doc.tiles[0].format(z=12, x=x, y=y)).content)
    assert list(decoded) == [layer]
    seen = set().union(*(f["properties"] for f in decoded[layer]["features"]))
    assert seen == set(doc.vector_layers[0].fields)  # every field declared is in the tile


def test_the_query_is_passed_on_to_the_tiles(as_):
    client = as_("command")
    since = "2024-01-01T00:00:00+08:00"
    doc = _doc(client, "/tiles/incidents.json", category="0103", since=since, generation=1)
    assert doc.tiles == [
        "http://testserver/tiles/incidents/{z}/{x}/{y}.pbf"
        "?category=0103&since=2024-01-01T00%3A00%3A00%2B08%3A00&generation=1"
    ]
    x, y = SEAT[12]
    filtered = client.get(doc.tiles[0].format(z=12, x=x, y=y))
    direct = client.get(
        f"/tiles/incidents/12/{x}/{y}.pbf", params={"category": "0103", "since": since}
    )
    assert filtered.status_code == 200 and filtered.content == direct.content
    grid = _doc(client, "/tiles/grid.json", generation=1, category="01")  # not a grid filter
    assert grid.tiles == ["http://testserver/tiles/grid/{z}/{x}/{y}.pbf?generation=1"]


def test_bad_input_is_4xx_naming_it(as_, anon):
    client = as_("command")
    unknown = client.get("/tiles/members.json")
    assert unknown.status_code == 404
    assert "micro_grid" in unknown.json()["detail"]
    cases = [
        ("/tiles/incidents.json", {"category": "1"}, "category"),
        ("/tiles/incidents.json", {"since": "2024-01-01T00:00:00"}, "since"),
        ("/tiles/grid.json", {"generation": "999"}, "generation"),
        ("/tiles/areas.json", {"generation": "0"}, "generation"),
        ("/tiles/areas.json", {"generation": str(2**63)}, "generation"),
        ("/tiles/gr%00id.json", {}, "layer"),
    ]
    for path, params, field in cases:
        response = client.get(path, params=params)
        assert response.status_code == 422, (path, params, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field]
    for path in ("/tiles/areas.json", "/tiles/grid.json"):
        assert anon.get(path).status_code == 401


def test_centre_zoom_is_the_largest_one_tile_zoom():
    from geo.tilejson import WORLD, center_zoom

    for bounds in ([109.3, 39.7, 110.9, 40.6], [110.0, 40.0, 110.001, 40.001], list(WORLD)):
        assert center_zoom(tuple(bounds)) == _centre_zoom(bounds)
    assert math.isclose(WORLD[3], TMS.bbox.top, abs_tol=1e-9)


def test_gdal_reads_a_tile_from_the_template_with_the_declared_fields(live_server, auth, tmp_path):
    """Debian's ogrinfo (GDAL's MVT driver) on the template's tile, signed in by a header file."""
    headers = auth("command")
    doc = TileJSON.model_validate(
        httpx.get(f"{live_server}/tiles/grid.json", headers=headers).json()
    )
    x, y = SEAT[12]
    url = "MVT:" + doc.tiles[0].format(z=12, x=x, y=y)
    header_file = tmp_path / "gdal-headers.txt"
    header_file.write_text("".join(f"{k}: {v}\n" for k, v in headers.items()))
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.fail("ogrinfo is missing: install Debian's gdal-bin (make setup does)", False)
    done = subprocess.run(
        [ogrinfo, "-ro", "-so", url, "grid"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "GDAL_HTTP_HEADER_FILE": str(header_file)},
    )
    assert done.returncode == 0, done.stderr
    fields = re.findall(r"^(\w+): (?:String|Integer|Integer64|Real)", done.stdout, re.M)
    assert set(fields) - {"mvt_id"} == set(doc.vector_layers[0].fields)
    tile = httpx.get(doc.tiles[0].format(z=12, x=x, y=y), headers=headers).content
    count = len(mapbox_vector_tile.decode(tile)["grid"]["features"])
    assert f"\nFeature Count: {count}\n" in done.stdout and count > 20
