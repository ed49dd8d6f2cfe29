"""/ogc: OGC API - Features Part 1 Core and Part 2 CRS, checked by hand and by GDAL itself.

Expected areas come from the committed sample files (``sample_areas``), read with shapely,
not from the database.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.ogc import (
    Collection,
    Collections,
    Conformance,
    Exception_,
    Feature,
    FeatureCollection,
    LandingPage,
)
from cases.models import CLOSED_STATUSES, IncidentStatus
from geo import ogc
from geo.heat import HeatFilter, micro_grid_counts
from geo.scope import WHOLE_BANNER, Scope

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"
LEVELS = {
    "townships": "township",
    "villages": "village",
    "grids": "grid",
    "micro_grids": "micro_grid",
    "incident_counts": "micro_grid",
    "coverage": "micro_grid",
}
MAJORS = [f"0{i}" for i in range(1, 8)]
#: Around the banner seat (树林召镇): dozens of micro-grids, several villages, cut edges.
SEAT_BOX = (110.0, 40.36, 110.08, 40.42)
#: The figures below are Dalad's: the collections are read as its command centre, whose scope
#: is the banner (the admin sees the second place, Haibowan, as well: tests/test_places.py).
DALAD = Scope(area_prefix="150621")


@pytest.fixture(scope="module")
def client(client, auth, privacy_scan):
    """The session's app, signed in as Dalad's command centre."""
    dalad = TestClient(client.app, raise_server_exceptions=False, headers=auth("command"))
    dalad.event_hooks = {"request": [], "response": [privacy_scan.response]}
    return dalad


@pytest.fixture(scope="module")
def admin_headers(auth):
    """GDAL reads the collections as Dalad's command centre too."""
    return auth("command")


#: OGC API - Tiles Part 1 classes (tests/test_ogc_tiles.py tests them).
TILES_CLASSES = ("core", "tileset", "tilesets-list", "dataset-tilesets", "geodata-tilesets", "mvt")


def _rels(links: list) -> dict[str, str]:
    return {link.rel: link.href for link in links}


def _items(client, collection: str, **params):
    response = client.get(f"/ogc/collections/{collection}/items", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    return response, FeatureCollection.model_validate(response.json())


def test_landing_page_links_everything(client):
    response = client.get("/ogc", params={"f": "json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    rels = _rels(LandingPage.model_validate(response.json()).links)
    assert set(rels) == {"self", "service-desc", "service-doc", "conformance", "data"} | {
        "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
        "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
    }
    assert rels["conformance"].endswith("/ogc/conformance")
    assert rels["data"].endswith("/ogc/collections")
    api = client.get(rels["service-desc"]).json()
    assert "/ogc/collections/{collectionId}/items" in api["paths"]
    assert client.get("/ogc/").json() == response.json()


def test_conformance_declares_core_geojson_oas30_and_crs(client):
    body = Conformance.model_validate(client.get("/ogc/conformance").json())
    assert set(body.conformsTo) == {
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    } | {f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{c}" for c in TILES_CLASSES} | {
        c for c in body.conformsTo if "/ogcapi-features-3/" in c or "/cql2/" in c
    }


def test_collections_describe_each_level_with_extent_and_crs(client, sample_areas):
    body = Collections.model_validate(client.get("/ogc/collections").json())
    assert [c.id for c in body.collections] == list(LEVELS)
    for c in body.collections:
        assert c.crs == [CRS84, EPSG4490] and c.storageCrs == EPSG4490
        assert c.extent.spatial.crs == CRS84
        expected = sample_areas[LEVELS[c.id]].total_bounds
        assert c.extent.spatial.bbox == [pytest.approx(list(expected), abs=1e-7)]
        assert _rels(c.links)["items"].endswith(f"/ogc/collections/{c.id}/items")
        one = client.get(f"/ogc/collections/{c.id}")
        assert Collection.model_validate(one.json()) == c
    counts = next(c for c in body.collections if c.id == "incident_counts")
    assert "open_07/total_07 生态保护" in counts.description


def test_paging_walks_every_micro_grid_exactly_once(client, sample_areas):
    seen: list[str] = []
    url: str | None = "/ogc/collections/micro_grids/items?limit=1000"
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        page = FeatureCollection.model_validate(response.json())
        assert page.numberMatched == 6300 and page.numberReturned == len(page.features)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", page.timeStamp)
        seen += [f.id for f in page.features]
        url = _rels(page.links).get("next")
        pages += 1
    assert pages == 7
    assert len(seen) == len(set(seen)) == 6300
    assert seen == sorted(sample_areas["micro_grid"]["code"])


def test_limit_defaults_to_100_and_the_next_link_keeps_the_query(client):
    _, page = _items(client, "villages", bbox=",".join(map(str, SEAT_BOX)))
    assert page.numberReturned == page.numberMatched < 100
    assert "next" not in _rels(page.links)
    _, first = _items(client, "grids", datetime="2024-01-01T00:00:00Z/..")
    assert first.numberReturned == 100 and first.numberMatched == 528
    nxt = _rels(first.links)["next"]
    assert "limit" not in nxt and "after=" in nxt and "generation=1" in nxt


@pytest.mark.parametrize("collection", ["micro_grids", "villages", "incident_counts"])
def test_bbox_selects_what_shapely_selects(client, sample_areas, collection):
    areas = sample_areas[LEVELS[collection]]
    expected = sorted(areas.loc[areas.intersects(shapely.box(*SEAT_BOX)), "code"])
    assert len(expected) > 5
    _, page = _items(client, collection, bbox=",".join(map(str, SEAT_BOX)), limit=10_000)
    assert [f.id for f in page.features] == expected
    assert page.numberMatched == len(expected)
    west, south, east, north = SEAT_BOX  # EPSG:4490 is latitude first, so is its bbox
    _, same = _items(
        client, collection, bbox=f"{south},{west},{north},{east}", **{"bbox-crs": EPSG4490}
    )
    assert [f.id for f in same.features] == expected[:100]


def test_epsg_4490_is_served_latitude_first_and_says_so(client, sample_areas):
    code = sample_areas["township"]["code"].min()
    plain = client.get(f"/ogc/collections/townships/items/{code}")
    flipped = client.get(f"/ogc/collections/townships/items/{code}", params={"crs": EPSG4490})
    assert plain.headers["content-crs"] == f"<{CRS84}>"
    assert flipped.headers["content-crs"] == f"<{EPSG4490}>"
    a, b = (Feature.model_validate(r.json()) for r in (plain, flipped))
    assert a.properties == b.properties and a.id == b.id == code
    lonlat = a.geometry["coordinates"][0][0]
    latlon = b.geometry["coordinates"][0][0]
    assert latlon == [[lat, lon] for lon, lat in lonlat]
    assert all(39 < lat < 41 and 108 < lon < 111 for lat, lon in latlon)
    original = sample_areas["township"].set_index("code").geometry[code]
    assert shapely.geometry.shape(a.geometry).symmetric_difference(original).area < 1e-12
    assert {link.rel for link in a.links or []} == {"self", "collection"}
    response, page = _items(client, "micro_grids", crs=EPSG4490, limit=3)
    assert response.headers["content-crs"] == f"<{EPSG4490}>"
    assert 39 < page.features[0].geometry["coordinates"][0][0][0][0] < 41


def test_incident_counts_are_counts_only_and_agree_with_heat(client, conn):
    response, page = _items(client, "incident_counts", limit=10_000, generation=1)
    assert page.numberReturned == 6300
    fields = {"code", "name", "township_code", "population", "open_count", "total_count"}
    fields |= {f"{kind}_{major}" for kind in ("open", "total") for major in MAJORS}
    assert all(set(f.properties) == fields for f in page.features)
    phones = set(
        conn.execute(
            text("SELECT reporter_phone FROM incident WHERE reporter_phone IS NOT NULL")
        ).scalars()
    )
    numbers = set(re.findall(r"\d+", response.text))
    assert phones and not phones & numbers
    assert not [n for n in numbers if re.fullmatch(r"1[3-9]\d{9}", n)]  # no phone at all
    assert "DLT-" not in response.text  # no incident code
    by_code = {f.id: f.properties for f in page.features}
    open_statuses = tuple(s.value for s in IncidentStatus if s not in CLOSED_STATUSES)
    for major in ("01", "03"):
        total = micro_grid_counts(conn, HeatFilter(category=major), generation=1, scope=DALAD)
        still_open = micro_grid_counts(
            conn, HeatFilter(category=major, statuses=open_statuses), generation=1, scope=DALAD
        )
        assert {r.code: r.count for r in total} == {
            c: p[f"total_{major}"] for c, p in by_code.items()
        }
        assert {r.code: r.count for r in still_open} == {
            c: p[f"open_{major}"] for c, p in by_code.items()
        }
    placed = conn.execute(
        text(
            "SELECT count(*) FROM incident WHERE micro_grid_id IN "
            "(SELECT id FROM area WHERE code LIKE '150621%')"
        )
    ).scalar_one()
    assert sum(p["total_count"] for p in by_code.values()) == placed
    one = client.get(f"/ogc/collections/incident_counts/items/{page.features[0].id}").json()
    assert one["properties"] == page.features[0].properties


def test_incident_counts_after_a_redraw_follow_heat(conn):
    """Two micro-grids merge in a new generation: their incidents count for the merged one."""
    a = conn.execute(
        text(
            "SELECT a.id, a.code FROM area a JOIN incident i ON i.micro_grid_id = a.id "
            "GROUP BY a.id ORDER BY count(*) DESC, a.code LIMIT 1"
        )
    ).one()
    b = conn.execute(
        text(
            "SELECT b.id FROM area a, area b WHERE a.id = :a AND b.level = 'micro_grid' "
            "AND b.id <> a.id AND b.generation_high IS NULL AND b.parent_id = a.parent_id "
            "AND ST_Dimension(ST_Intersection(a.geom, b.geom)) = 1 ORDER BY b.code LIMIT 1"
        ),
        {"a": a.id},
    ).scalar_one()
    # an explicit id: a rolled-back nextval() would leave a gap other tests do not expect
    g = conn.execute(
        text(
            "INSERT INTO generation (id, description, activated_at) "
            "SELECT max(id) + 1, '合并', now() FROM generation RETURNING id"
        )
    ).scalar_one()
    merged = a.code[:14] + "99"
    conn.execute(
        text(
            "INSERT INTO area (code, name, level, parent_id, generation_low, geom) "
            "SELECT :code, '合并微网格', 'micro_grid', a.parent_id, :g, "
            "ST_Multi(ST_Union(a.geom, b.geom)) FROM area a, area b WHERE a.id = :a AND b.id = :b"
        ),
        {"code": merged, "g": g, "a": a.id, "b": b},
    )
    conn.execute(
        text("UPDATE area SET generation_high = :g - 1 WHERE id IN (:a, :b)"),
        {"g": g, "a": a.id, "b": b},
    )
    page = ogc.items(
        conn,
        ogc.CollectionId.INCIDENT_COUNTS,
        ogc.ItemsQuery(generation=g, limit=10_000),
        scope=WHOLE_BANNER,
        closed=[s.value for s in CLOSED_STATUSES],
    )
    assert page.number_matched == 6299 + 240  # everything: Dalad's less one, Haibowan's 240
    by_code = {f["id"]: f["properties"] for f in map(json.loads, page.features)}
    assert by_code[merged]["total_count"] > 1
    for major in MAJORS:
        heat = micro_grid_counts(conn, HeatFilter(category=major), generation=g)
        assert {r.code: r.count for r in heat} == {
            c: p[f"total_{major}"] for c, p in by_code.items()
        }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 10_001}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"bbox": "110,40,111"}, "bbox"),
        ({"bbox": "110,40,east,41"}, "bbox"),
        ({"bbox": "110,41,111,40"}, "bbox"),
        ({"bbox": "110,40,111,91"}, "bbox"),
        ({"bbox": "110,40,111,41", "bbox-crs": "EPSG:4326"}, "bbox-crs"),
        ({"crs": "http://www.opengis.net/def/crs/EPSG/0/4326"}, "crs"),
        ({"generation": 99}, "generation"),
        ({"f": "html"}, "f"),
        ({"datetime": "yesterday"}, "datetime"),
        ({"datetime": "../.."}, "datetime"),
        ({"offset": 10}, "offset"),
    ],
)
def test_bad_parameters_are_400_naming_them(client, params, field):
    response = client.get("/ogc/collections/micro_grids/items", params=params)
    assert response.status_code == 400, response.text
    body = Exception_.model_validate(response.json())
    assert body.code == "InvalidParameterValue"
    assert body.description.startswith(f"{field}: "), body.description


@pytest.mark.parametrize(
    "path",
    [
        "/ogc/collections/parcels",
        "/ogc/collections/parcels/items",
        "/ogc/collections/townships/items/150621999",
        "/ogc/collections/townships/items/1506210010010101",  # a micro-grid, not a township
        "/ogc/styles",
    ],
)
def test_unknown_collections_features_and_paths_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert Exception_.model_validate(response.json()).code == "NotFound"


def _gdal_env(headers: dict[str, str], folder: Path) -> dict[str, str]:
    """The environment for a GDAL child process that signs in with ``headers``.

    A header file: pyogrio's GDAL (3.12) drops ``GDAL_HTTP_HEADERS`` when the OAPIF driver
    sets its own Accept header, and Debian's ogrinfo (3.6) reads the file too.
    """
    path = folder / "gdal-headers.txt"
    path.write_text("".join(f"{name}: {value}\n" for name, value in headers.items()))
    return {**os.environ, "GDAL_HTTP_HEADER_FILE": str(path)}


def _ogrinfo(env: dict[str, str], *args: str) -> str:
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.fail("ogrinfo is missing: install Debian's gdal-bin (make setup does)", False)
    done = subprocess.run(
        [ogrinfo, "-ro", "-so", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_gdal_ogrinfo_lists_and_counts_the_layers(live_server, admin_headers, tmp_path):
    """Debian's GDAL (3.6, Part 1 only) reads CRS84, the default."""
    url = f"OAPIF:{live_server}/ogc"
    env = _gdal_env(admin_headers, tmp_path)
    listing = _ogrinfo(env, url)
    assert re.findall(r"^\d+: (\w+) ", listing, re.M) == list(LEVELS)
    report = _ogrinfo(env, url, "townships", "micro_grids")
    blocks = dict(re.findall(r"Layer name: (\w+)\n(.*?)(?=Layer name:|\Z)", report, re.S))
    assert re.search(r"^Feature Count: 8$", blocks["townships"], re.M)
    assert re.search(r"^Feature Count: 6300$", blocks["micro_grids"], re.M)
    for block in blocks.values():
        assert 'ID["EPSG",4326]' in block  # GDAL's name for CRS84 before Part 2
        assert "Extent: (108.984393, 39.807287) - (110.717031, 40.556398)" in block


#: Run in a child process: pyogrio holds the GIL while GDAL fetches pages, and the live
#: server answers from a thread of this process.
_PYOGRIO = """
import json, sys
import pyogrio
url = "OAPIF:" + sys.argv[1]
info = {layer: pyogrio.read_info(url, layer=layer) for layer in ("townships", "micro_grids")}
frame = pyogrio.read_dataframe(url, layer="micro_grids")
frame.to_file(sys.argv[2], driver="GPKG")
print(json.dumps({
    "layers": [str(name) for name, _ in pyogrio.list_layers(url)],
    "counts": {layer: i["features"] for layer, i in info.items()},
    "crs": {layer: i["crs"] for layer, i in info.items()},
}))
"""


def test_gdal_with_part_2_reads_epsg_4490_in_the_right_axis_order(
    live_server, admin_headers, sample_areas, tmp_path
):
    """pyogrio's GDAL knows Part 2: it asks for the storage CRS, EPSG:4490, latitude first."""
    copy = tmp_path / "micro_grids.gpkg"
    done = subprocess.run(
        [sys.executable, "-c", _PYOGRIO, f"{live_server}/ogc", str(copy)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_gdal_env(admin_headers, tmp_path),
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["layers"] == list(LEVELS)
    assert report["counts"] == {"townships": 8, "micro_grids": 6300}
    assert report["crs"] == {"townships": "EPSG:4490", "micro_grids": "EPSG:4490"}
    frame = pyogrio.read_dataframe(copy)  # every page GDAL fetched, following next links
    assert frame.crs.to_epsg() == 4490 and len(frame) == frame["code"].nunique() == 6300
    expected = sample_areas["micro_grid"].set_index("code").geometry
    served = frame.set_index("code").geometry.sort_index()
    assert served.index.tolist() == sorted(expected.index)
    apart = shapely.symmetric_difference(served.values, expected.loc[served.index].values)
    assert shapely.area(apart).max() < 1e-12
