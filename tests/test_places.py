"""The places above the banner (issue #18): regions, a second county-level unit (Haibowan),
level names per kind of place, scopes at a province, a city and a township of Haibowan."""

from __future__ import annotations

import filecmp
import json
from itertools import pairwise
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.geometry
from sqlalchemy import text

from access.accounts import create_account
from api.schemas import FeatureCollection
from cases.imports.importer import import_incidents_in
from geo import assign
from geo.areas import current_generation
from geo.datum import gcj02_to_wgs84
from geo.errors import InvalidInput
from geo.models import AreaLevel
from geo.places import extent, kind_label, level_label, place_of, title_place
from geo.topology import Unit, check_layout
from sample_data import haibowan

PLACE = Path(__file__).resolve().parents[1] / "sample_data" / "places" / "150302"
LEVELS = ("banner", "township", "village", "grid", "micro_grid")


@pytest.fixture(scope="module")
def haibowan_areas() -> dict[str, gpd.GeoDataFrame]:
    """The committed Haibowan files, read independently of the database."""
    return {level: gpd.read_file(PLACE / "areas" / f"{level}.geojson") for level in LEVELS}


# --- the hierarchy ----------------------------------------------------------------------------


def test_regions_name_the_prefixes_above_the_county_level_units(conn):
    rows = conn.execute(text("SELECT code, name, level, parent_code FROM region ORDER BY code"))
    assert [tuple(r) for r in rows] == [
        ("15", "内蒙古自治区", "province", None),
        ("1503", "乌海市", "city", "15"),
        ("1506", "鄂尔多斯市", "city", "15"),
    ]


def test_two_county_level_units_each_under_its_city(conn):
    rows = conn.execute(
        text(
            "SELECT a.code, a.name, a.kind, r.name AS city FROM area a "
            "JOIN region r ON r.code = left(a.code, 4) "
            "WHERE a.level = 'banner' AND a.generation_high IS NULL ORDER BY a.code"
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("150302", "海勃湾区", "district", "乌海市"),
        ("150621", "达拉特旗", None, "鄂尔多斯市"),
    ]


def test_haibowan_holds_qianlishan_and_tuanjie_xincun(conn):
    rows = conn.execute(
        text(
            "SELECT a.code, a.name, a.kind, p.code AS parent FROM area a "
            "JOIN area p ON p.id = a.parent_id "
            "WHERE a.code IN ('150302101', '150302101001') ORDER BY a.code"
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("150302101", "千里山镇", "town", "150302"),
        ("150302101001", "团结新村", "village", "150302101"),
    ]


def test_haibowan_counts_as_loaded(conn):
    rows = conn.execute(
        text(
            "SELECT level, count(*) AS n, sum(population) AS people FROM area "
            "WHERE code LIKE '150302%' GROUP BY level"
        )
    ).all()
    counts = {r.level: (r.n, r.people) for r in rows}
    assert counts == {
        "banner": (1, 320_000),
        "township": (5, 320_000),
        "village": (22, 320_000),
        "grid": (42, 320_000),
        "micro_grid": (240, 320_000),
    }


def test_haibowan_people_departments_and_history_are_its_own(conn):
    members = conn.execute(
        text(
            "SELECT m.kind, count(*) AS n, "
            "count(*) FILTER (WHERE ST_Covers(a.geom, m.home)) AS home "
            "FROM member m JOIN area a ON a.id = m.area_id "
            "WHERE a.code LIKE '150302%' GROUP BY m.kind"
        )
    ).all()
    assert {r.kind: (r.n, r.home) for r in members} == {
        "leader": (20, 20),
        "instructor": (21, 21),
        "grid_worker": (42, 42),
        "party_member": (480, 480),
    }
    assert conn.execute(
        text("SELECT min(m.id), max(m.id) FROM member m JOIN area a ON a.id = m.area_id "
             "WHERE a.code LIKE '150302%'")
    ).one() == (100_001, 100_563)  # fmt: skip
    instructors_elsewhere = conn.execute(
        text(
            "SELECT count(*) FROM member m JOIN department d ON d.id = m.department_id "
            "JOIN area a ON a.id = m.area_id "
            "WHERE (a.code LIKE '150302%') <> (d.code LIKE 'H%')"
        )
    ).scalar_one()
    assert instructors_elsewhere == 0
    routed = conn.execute(
        text(
            "SELECT left(q.code, 6) AS place, left(d.code, 1) AS dept, count(*) AS n "
            "FROM incident i JOIN area q ON q.id = i.queue_area_id "
            "JOIN department d ON d.id = i.department_id "
            "WHERE i.source IN ('sample', 'sample-150302') GROUP BY 1, 2 ORDER BY 1"
        )
    ).all()
    assert [tuple(r) for r in routed] == [("150302", "H", 2000), ("150621", "D", 5740)]


# --- the Haibowan files: the same topology gate as Dalad's ---------------------------------


@pytest.mark.parametrize(("upper", "lower"), list(pairwise(LEVELS)))
def test_haibowan_files_pass_the_topology_gate(haibowan_areas, upper, lower):
    parents, children = haibowan_areas[upper], haibowan_areas[lower]
    assert set(children["parent_code"]) == set(parents["code"])
    for code, parent in zip(parents["code"], parents.geometry, strict=True):
        kids = children[children["parent_code"] == code]
        assert all(kid.code.startswith(code) for kid in kids.itertuples())
        units = [Unit(k.code, k.name, k.geometry) for k in kids.itertuples()]
        assert check_layout(units, parent, gap_tolerance_m2=0.0) == []
        assert all(len(shapely.get_parts(k.geometry)) == 1 for k in kids.itertuples())


def test_the_haibowan_outline_is_the_real_one_converted(haibowan_areas, conn):
    from sample_data.surface import area_km2

    source = json.loads(haibowan.OUTLINE_PATH.read_text(encoding="utf-8"))
    outline = shapely.geometry.shape(source["features"][0]["geometry"])
    converted = shapely.transform(outline, lambda xy: np.column_stack(gcj02_to_wgs84(*xy.T)))
    banner = haibowan_areas["banner"].geometry.iloc[0]
    assert banner.symmetric_difference(converted).area / converted.area < 1e-4
    stored = conn.execute(
        text("SELECT ST_Area(geom::geography) / 1e6 FROM area WHERE code = '150302'")
    ).scalar_one()
    assert stored == pytest.approx(485.4, rel=0.005)
    assert round(float(area_km2([banner])[0]), 1) == 485.4  # the AMap outline, GCJ-02 → WGS-84
    west, south, east, north = banner.bounds
    assert (round(west, 2), round(south, 2), round(east, 2), round(north, 2)) == (
        106.75,
        39.5,
        106.96,
        39.91,
    )


def test_the_generator_writes_the_committed_files_again(tmp_path):
    haibowan.generate(tmp_path)
    committed = sorted(p.relative_to(PLACE) for p in PLACE.rglob("*") if p.is_file())
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert committed == written
    for name in committed:
        assert filecmp.cmp(PLACE / name, tmp_path / name, shallow=False), name


# --- labels per kind of place -----------------------------------------------------------------


def test_level_names_follow_the_kind_of_place():
    assert [level_label(level) for level in AreaLevel] == [
        "旗", "苏木镇", "嘎查村社区", "网格", "微网格",
    ]  # fmt: skip
    assert [level_label(level, "district") for level in AreaLevel] == [
        "区", "街道", "社区", "网格", "微网格",
    ]  # fmt: skip
    assert [level_label(level, "county") for level in AreaLevel][:3] == ["县", "乡镇", "村社区"]
    assert [level.label for level in AreaLevel] == [level_label(level) for level in AreaLevel]
    kinds = ("street", "town", "sumu", "community", "village", "gacha", "district", None)
    assert [kind_label(k) for k in kinds] == ["街道", "镇", "苏木", "社区", "村", "嘎查", "区", ""]


def test_place_of_a_prefix(conn):
    province, city = place_of(conn, "15"), place_of(conn, "1503")
    assert (province.name, province.level, city.name, city.level) == (
        "内蒙古自治区", "province", "乌海市", "city",
    )  # fmt: skip
    town = place_of(conn, "150302101")
    assert (town.name, town.level, town.place_kind) == ("千里山镇", "township", "district")
    assert place_of(conn, "150621001").place_kind is None  # a banner: Dalad's rows carry none
    assert place_of(conn, "150302101").place_kind == "district"
    assert level_label(AreaLevel.VILLAGE, town.place_kind) == "社区"
    assert [title_place(conn, p) for p in (None, "15", "1503", "150302101", "150621001001")] == [
        "内蒙古自治区", "内蒙古自治区", "乌海市", "海勃湾区", "达拉特旗",
    ]  # fmt: skip


def test_extent_of_a_scope(conn):
    g = current_generation(conn)
    haibowan_box = extent(conn, "150302", g)
    dalad_box = extent(conn, "150621", g)
    assert haibowan_box is not None and dalad_box is not None
    assert [round(v, 2) for v in haibowan_box] == [106.75, 39.5, 106.96, 39.91]
    assert [round(v, 2) for v in dalad_box] == [108.98, 39.81, 110.72, 40.56]
    both = (haibowan_box[0], haibowan_box[1], dalad_box[2], dalad_box[3])
    assert extent(conn, "15", g) == extent(conn, None, g) == both
    assert extent(conn, "1503", g) == haibowan_box
    assert extent(conn, "1599", g) is None


# --- scopes -----------------------------------------------------------------------------------


def _codes(client, headers, **params) -> list[str]:
    response = client.get("/api/v1/areas", params={"limit": 1000, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return [str(f.id) for f in FeatureCollection.model_validate(response.json()).features]


def test_each_account_sees_its_places(client, auth):
    assert _codes(client, auth("province"), level="banner") == ["150302", "150621"]
    assert _codes(client, auth("admin"), level="banner") == ["150302", "150621"]
    assert _codes(client, auth("command"), level="banner") == ["150621"]
    townships = _codes(client, auth("haibowan_township"), level="township")
    assert townships == ["150302101"]
    villages = _codes(client, auth("haibowan_township"), level="village")
    assert villages[0] == "150302101001" and len(villages) == 6
    assert all(code.startswith("150302101") for code in villages)
    assert len(_codes(client, auth("province"), level="township")) == 13
    assert len(_codes(client, auth("command"), level="township")) == 8
    dalad = client.get("/api/v1/areas/150621001", headers=auth("haibowan_township"))
    assert dalad.status_code == 404
    # one area names its level as its place does: a street (街道) of the district, a township
    labels = {
        code: client.get(f"/api/v1/areas/{code}").json()["properties"]["level_label"]
        for code in ("150302001", "150302001001", "150621001", "150621001001")
    }
    assert labels == {
        "150302001": "街道", "150302001001": "社区",
        "150621001": "苏木镇", "150621001001": "嘎查村社区",
    }  # fmt: skip


def test_a_haibowan_officer_sees_only_its_incidents(client, auth, conn):
    response = client.get(
        "/api/v1/incidents", params={"limit": 500}, headers=auth("haibowan_township")
    )
    assert response.status_code == 200, response.text
    queues = [i["assignment"]["queue_area"]["code"] for i in response.json()["items"]]
    held = conn.execute(
        text(
            "SELECT count(*) FROM incident i JOIN area q ON q.id = i.queue_area_id "
            "WHERE q.code LIKE '150302101%'"
        )
    ).scalar_one()
    assert len(queues) == held > 50 and all(q.startswith("150302101") for q in queues)


def test_accounts_at_a_region(conn):
    city = create_account(
        conn, username="wuhai_city", password="x" * 12, role="command", area_code="1503"
    )
    assert city.scope.area_prefix == "1503"
    with pytest.raises(InvalidInput) as refused:
        create_account(
            conn, username="nowhere", password="x" * 12, role="command", area_code="1599"
        )
    assert refused.value.field == "area"
    with pytest.raises(InvalidInput) as refused:
        create_account(
            conn, username="city_officer", password="x" * 12, role="township", area_code="1503"
        )
    assert refused.value.field == "area" and "is a city" in str(refused.value)


def test_a_point_outside_every_place_waits_in_the_nearest_places_queue(conn):
    """Far from every micro-grid, a point queues at the county-level unit nearest to it (the
    service holds two; the lowest code would send Dalad's strays to Haibowan)."""
    g = current_generation(conn)
    near_haibowan = assign.place(conn, 107.3, 39.7, g, limit_m=500)
    near_dalad = assign.place(conn, 108.7, 40.2, g, limit_m=500)
    assert near_haibowan.assignment.value == near_dalad.assignment.value == "unassigned"
    assert near_haibowan.area_code("banner") == "150302"
    assert near_dalad.area_code("banner") == "150621"


def test_an_import_far_outside_queues_at_the_nearest_place(conn, tmp_path):
    """The bulk placement (the importer's) follows the same rule as one point."""
    path = tmp_path / "far.csv"
    path.write_text(
        "lon,lat,datum,category\n107.3,39.7,wgs84,0101\n108.7,40.2,wgs84,0101\n",
        encoding="utf-8",
    )
    report = import_incidents_in(conn, path, source="t-far")
    assert report.accepted == 2 and report.refused == []
    queues = conn.execute(
        text(
            "SELECT q.code FROM incident i JOIN area q ON q.id = i.queue_area_id "
            "WHERE i.source = 't-far' ORDER BY i.raw_lon"
        )
    ).scalars()
    assert list(queues) == ["150302", "150621"]


def test_pages_are_titled_and_labelled_by_the_viewers_place(client, auth):
    haibowan = client.get("/maps/dashboard", headers=auth("haibowan_township"))
    assert haibowan.status_code == 200, haibowan.text
    assert "<title>数据看板 · 海勃湾区网格</title>" in haibowan.text
    assert "<h1>海勃湾区 数据看板</h1>" in haibowan.text
    assert '{"value": "township", "label": "街道"}' in haibowan.text
    assert '{"value": "village", "label": "社区"}' in haibowan.text
    dalad = client.get("/maps/dashboard", headers=auth("command")).text
    assert "<title>数据看板 · 达拉特旗网格</title>" in dalad
    assert '{"value": "village", "label": "嘎查村社区"}' in dalad
    province = client.get("/maps/command", headers=auth("province")).text
    assert "<title>指挥中心地图 · 内蒙古自治区网格</title>" in province
    assert '"title": "内蒙古自治区 指挥中心"' in province
    heat = client.get("/maps/heat", headers=auth("haibowan_township")).text
    assert "<title>热力与热点分析 · 海勃湾区网格</title>" in heat
