"""OGC API - Tiles Part 1 under /ogc: the WebMercatorQuad tile matrix set, the dataset
tileset and the collections' tilesets.

The tile matrix set is compared with morecantile's own definition and parsed by its model;
the tileset limits are computed independently with morecantile from the sample files' bounds
of the caller's scope; the ``item`` template is filled in and the tile decoded.
"""

from __future__ import annotations

import mapbox_vector_tile
import morecantile
import pytest
from fastapi.testclient import TestClient

from api.tilesets import TileMatrixSets, TileSet, TileSets

TMS = morecantile.tms.get("WebMercatorQuad")
REL = "http://www.opengis.net/def/rel/ogc/1.0"
LEVELS = ("micro_grid", "grid", "village", "township")
SEAT13 = (6600, 3089)


@pytest.fixture(scope="module")
def township(client, auth, privacy_scan):
    signed = TestClient(client.app, raise_server_exceptions=False, headers=auth("township"))
    signed.event_hooks = {"request": [], "response": [privacy_scan.response]}
    return signed


def _bounds(sample_areas, levels, prefix: str) -> tuple[float, float, float, float]:
    boxes = []
    for level in levels:
        frame = sample_areas[level]
        boxes.append(frame[frame["code"].str.startswith(prefix)].total_bounds)
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _limits(bounds) -> list[dict]:
    """Per zoom 0..22, the rows and columns of the tiles at the box's corners (morecantile)."""
    west, south, east, north = bounds
    found = []
    for z in range(23):
        first, last = TMS.tile(west, north, z), TMS.tile(east, south, z)
        found.append(
            {
                "tileMatrix": str(z),
                "minTileRow": first.y,
                "maxTileRow": last.y,
                "minTileCol": first.x,
                "maxTileCol": last.x,
            }
        )
    return found


def _rels(links) -> dict:
    return {link.rel: link for link in links}


def test_tile_matrix_sets_are_public_and_are_morecantiles_definition(anon):
    listed = TileMatrixSets.model_validate(anon.get("/ogc/tileMatrixSets").json())
    assert [t.id for t in listed.tileMatrixSets] == ["WebMercatorQuad"]
    ref = listed.tileMatrixSets[0]
    assert ref.uri == "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    href = _rels(ref.links)[f"{REL}/tiling-scheme"].href
    response = anon.get(href)
    assert response.status_code == 200, response.text
    served = morecantile.TileMatrixSet.model_validate(response.json())
    assert served == TMS
    assert [m.id for m in served.tileMatrices] == [str(z) for z in range(25)]
    missing = anon.get("/ogc/tileMatrixSets/WorldCRS84Quad")
    assert missing.status_code == 404
    assert "WebMercatorQuad" in missing.json()["description"]


def test_landing_and_collections_link_the_tilesets(township):
    landing = township.get("/ogc").json()
    links = {link["rel"]: link["href"] for link in landing["links"]}
    assert links[f"{REL}/tilesets-vector"] == "http://testserver/ogc/tiles"
    assert links[f"{REL}/tiling-schemes"] == "http://testserver/ogc/tileMatrixSets"
    grids = township.get("/ogc/collections/grids").json()
    assert {link["rel"]: link["href"] for link in grids["links"]}[f"{REL}/tilesets-vector"] == (
        "http://testserver/ogc/collections/grids/tiles"
    )


def test_dataset_tileset_limits_are_the_scopes_tiles(township, sample_areas):
    listed = TileSets.model_validate(township.get("/ogc/tiles").json())
    assert len(listed.tilesets) == 1
    summary = listed.tilesets[0]
    assert summary.crs == "http://www.opengis.net/def/crs/EPSG/0/3857"
    assert summary.tileMatrixSetURI == TMS.uri
    href = _rels(summary.links)["self"].href
    assert href == "http://testserver/ogc/tiles/WebMercatorQuad"
    tileset = TileSet.model_validate(township.get(href).json())
    bounds = _bounds(sample_areas, LEVELS, "150621001")
    assert [m.model_dump() for m in tileset.tileMatrixSetLimits] == _limits(bounds)
    assert tileset.boundingBox.lowerLeft == pytest.approx(list(bounds[:2]), abs=1e-7)
    assert tileset.boundingBox.upperRight == pytest.approx(list(bounds[2:]), abs=1e-7)
    assert [(lay.id, lay.minTileMatrix, lay.maxTileMatrix) for lay in tileset.layers] == [
        ("township", "0", "22"),
        ("village", "9", "22"),
        ("grid", "11", "22"),
        ("micro_grid", "13", "22"),
    ]
    item = _rels(tileset.links)["item"]
    assert item.templated is True and item.type == "application/vnd.mapbox-vector-tile"
    assert item.href == ("http://testserver/tiles/areas/{tileMatrix}/{tileCol}/{tileRow}.pbf")
    x, y = SEAT13
    tile = township.get(item.href.format(tileMatrix=13, tileCol=x, tileRow=y))
    assert tile.status_code == 200, tile.text
    decoded = mapbox_vector_tile.decode(tile.content)
    assert sorted(decoded) == sorted(LEVELS)
    assert all(f["properties"]["code"].startswith("150621001") for f in decoded["grid"]["features"])


@pytest.mark.parametrize(
    ("collection", "layer"),
    [("townships", "township"), ("micro_grids", "micro_grid"), ("incident_counts", "incidents")],
)
def test_collection_tileset_is_its_layer(township, sample_areas, collection, layer):
    listed = TileSets.model_validate(township.get(f"/ogc/collections/{collection}/tiles").json())
    href = _rels(listed.tilesets[0].links)["self"].href
    assert href == f"http://testserver/ogc/collections/{collection}/tiles/WebMercatorQuad"
    tileset = TileSet.model_validate(township.get(href, params={"generation": 1}).json())
    level = "micro_grid" if layer == "incidents" else layer
    bounds = _bounds(sample_areas, [level], "150621001")
    assert [m.model_dump() for m in tileset.tileMatrixSetLimits] == _limits(bounds)
    assert [lay.id for lay in tileset.layers] == [layer]
    fields = set(tileset.layers[0].propertiesSchema["properties"])
    template = _rels(tileset.links)["item"].href
    assert template == (
        f"http://testserver/tiles/{layer}/{{tileMatrix}}/{{tileCol}}/{{tileRow}}.pbf?generation=1"
    )
    x, y = SEAT13
    decoded = mapbox_vector_tile.decode(
        township.get(template.format(tileMatrix=13, tileCol=x, tileRow=y)).content
    )
    assert list(decoded) == [layer]
    assert set().union(*(f["properties"] for f in decoded[layer]["features"])) == fields


def test_bad_input_and_signed_out(township, anon):
    cases = [
        ("/ogc/tiles/WorldCRS84Quad", {}, 404, None),
        ("/ogc/collections/members/tiles", {}, 404, None),
        ("/ogc/tiles/WebMercatorQuad", {"zoom": "3"}, 400, "zoom"),
        ("/ogc/tiles/WebMercatorQuad", {"generation": "999"}, 400, "generation"),
        ("/ogc/tiles", {"f": "xml"}, 400, "f"),
    ]
    for path, params, status, field in cases:
        response = township.get(path, params=params)
        assert response.status_code == status, (path, response.text)
        if field:
            assert response.json()["description"].startswith(f"{field}:"), response.text
    for path in ("/ogc/tiles", "/ogc/tiles/WebMercatorQuad", "/ogc/collections/grids/tiles"):
        assert anon.get(path).status_code == 401
