"""Checks on the committed Dalad Banner sample set in ``sample_data/`` (no database).

Reads the files as a client would, with plain json/csv and shapely, and asserts the figures
the README documents, the code hierarchy, an exact partition at every level, and that the
generator reproduces the files byte for byte.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Transformer

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
LEVELS = ("banner", "township", "village", "grid", "micro_grid")
CODE_LENGTH = {"banner": 6, "township": 9, "village": 12, "grid": 14, "micro_grid": 16}
TOWNSHIP_NAMES = {
    "树林召镇", "白泥井镇", "中和西镇", "吉格斯太镇",
    "王爱召镇", "昭君镇", "恩格贝镇", "展旦召苏木",
}  # fmt: skip
MICRO_GRID_COUNT = 6_300
GRID_COUNT = 528
PARTY_MEMBERS = 6_296
INSTRUCTORS = 261
MEMBER_FIELDS = [
    "id", "kind", "name", "phone", "home_lon", "home_lat", "area_code", "department_code",
    "title",
]  # fmt: skip
PAIRS = list(pairwise(LEVELS))
GENERATED = [
    *(f"areas/{level}.geojson" for level in LEVELS),
    "departments.csv",
    "members.csv",
    "incidents.csv",
    "trails.csv",
    "mediation_files.csv",
    "mediation_attempts.csv",
    "whistles.csv",
    "party_registrations.csv",
    "party_tasks.csv",
    "party_claims.csv",
    "houses.csv.gz",
    "households.csv.gz",
    "persons.csv.gz",
    "facilities.csv",
    "organisations.csv",
    "contacts.csv.gz",
    "meetings.csv",
    "README.md",
    "cobuild.json",
]


@pytest.fixture(scope="module")
def features() -> dict[str, list[dict[str, Any]]]:
    out = {}
    for level in LEVELS:
        collection = json.loads((SAMPLE / "areas" / f"{level}.geojson").read_text("utf-8"))
        assert collection["type"] == "FeatureCollection"
        assert "crs" not in collection
        out[level] = collection["features"]
    return out


@pytest.fixture(scope="module")
def geoms(features: dict[str, list[dict[str, Any]]]) -> dict[str, np.ndarray]:
    return {
        level: np.array([shapely.geometry.shape(f["geometry"]) for f in feats], dtype=object)
        for level, feats in features.items()
    }


@pytest.fixture(scope="module")
def props(features: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {level: [f["properties"] for f in feats] for level, feats in features.items()}


@pytest.fixture(scope="module")
def members() -> list[dict[str, str]]:
    with (SAMPLE / "members.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == MEMBER_FIELDS
        return list(reader)


@pytest.fixture(scope="module")
def departments() -> list[dict[str, str]]:
    with (SAMPLE / "departments.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["code", "name"]
        return list(reader)


def _index(props: list[dict[str, Any]]) -> dict[str, int]:
    return {p["code"]: i for i, p in enumerate(props)}


# --- format -------------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_features_follow_the_schema(level: str, features: dict[str, list[dict[str, Any]]]):
    codes = [f["properties"]["code"] for f in features[level]]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    for f in features[level]:
        p = f["properties"]
        assert f["type"] == "Feature"
        assert f["geometry"]["type"] == "MultiPolygon"
        assert p["level"] == level
        assert len(p["code"]) == CODE_LENGTH[level] and p["code"].isdigit()
        assert isinstance(p["name"], str) and p["name"]
        assert isinstance(p["population"], int) and p["population"] >= 0
        assert ("kind" in p) == (level == "village")
        if level == "village":
            assert p["kind"] in {"village", "community", "gacha"}
            assert p["name"].endswith(
                {"village": "村", "community": "社区", "gacha": "嘎查"}[p["kind"]]
            )


@pytest.mark.parametrize("level", LEVELS)
def test_coordinates_have_at_most_seven_decimals(level: str):
    text = (SAMPLE / "areas" / f"{level}.geojson").read_text("utf-8")
    assert re.search(r"\d\.\d{8,}", text) is None


def _signed_area(ring: list[list[float]]) -> float:
    xy = np.asarray(ring)
    x, y = xy[:, 0], xy[:, 1]
    return float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) / 2)


@pytest.mark.parametrize("level", LEVELS)
def test_rings_follow_rfc7946_orientation(level: str, features):
    for f in features[level]:
        for polygon in f["geometry"]["coordinates"]:
            exterior, *holes = polygon
            assert exterior[0] == exterior[-1]
            assert _signed_area(exterior) > 0, f["properties"]["code"]
            assert all(_signed_area(hole) < 0 for hole in holes), f["properties"]["code"]


# --- counts and hierarchy -----------------------------------------------------------------


def test_banner_and_townships(props):
    (banner,) = props["banner"]
    assert banner["code"] == "150621" and banner["name"] == "达拉特旗"
    assert banner["parent_code"] is None
    assert banner["population"] == 340_000
    assert {p["name"] for p in props["township"]} == TOWNSHIP_NAMES
    assert [p["code"] for p in props["township"]] == [f"150621{i:03d}" for i in range(1, 9)]


def test_level_counts(props):
    assert len(props["village"]) == 157
    assert len(props["grid"]) == GRID_COUNT
    assert len(props["micro_grid"]) == MICRO_GRID_COUNT
    seat = Counter(p["kind"] for p in props["village"] if p["parent_code"] == "150621001")
    assert seat == {"village": 39, "community": 26}
    code = next(p["code"] for p in props["township"] if p["name"] == "白泥井镇")
    assert sum(p["kind"] == "village" for p in props["village"] if p["parent_code"] == code) == 16
    sumu = next(p["code"] for p in props["township"] if p["name"] == "展旦召苏木")
    assert all(p["kind"] != "village" for p in props["village"] if p["parent_code"] == sumu)
    grids_per_village = Counter(p["parent_code"] for p in props["grid"])
    micro_per_grid = Counter(p["parent_code"] for p in props["micro_grid"])
    assert max(grids_per_village.values()) <= 99
    assert min(micro_per_grid.values()) >= 2 and max(micro_per_grid.values()) <= 99


@pytest.mark.parametrize("upper, lower", PAIRS)
def test_codes_nest(upper: str, lower: str, props):
    parents = _index(props[upper])
    for p in props[lower]:
        assert p["parent_code"] in parents, p["code"]
        assert p["code"].startswith(p["parent_code"]), p["code"]
    assert set(parents) == {p["parent_code"] for p in props[lower]}  # no childless area


@pytest.mark.parametrize("upper, lower", PAIRS)
def test_populations_add_up(upper: str, lower: str, props):
    total = Counter()
    for p in props[lower]:
        total[p["parent_code"]] += p["population"]
    assert {p["code"]: p["population"] for p in props[upper]} == dict(total)


def test_township_areas_and_seat(props, geoms):
    albers = Transformer.from_crs(
        "EPSG:4490",
        "+proj=aea +lat_0=40.2 +lon_0=109.85 +lat_1=39.9 +lat_2=40.5 +ellps=GRS80",
        always_xy=True,
    )
    projected = shapely.transform(
        geoms["township"], lambda c: np.column_stack(albers.transform(*c.T))
    )
    km2 = dict(
        zip((p["name"] for p in props["township"]), shapely.area(projected) / 1e6, strict=True)
    )
    assert km2["树林召镇"] == pytest.approx(1391.0, abs=0.5)
    assert sum(km2.values()) == pytest.approx(8249.9, abs=0.5)
    seat = shapely.Point(110.04, 40.40)
    (i,) = [i for i, p in enumerate(props["township"]) if p["name"] == "树林召镇"]
    assert geoms["township"][i].contains(seat)
    (v,) = [j for j, g in enumerate(geoms["village"]) if g.contains(seat)]
    assert props["village"][v]["kind"] == "community"


# --- exact partition ----------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
def test_geometries_are_valid_single_polygons(level: str, geoms):
    assert shapely.is_valid(geoms[level]).all()
    assert (shapely.get_num_geometries(geoms[level]) == 1).all()


@pytest.mark.parametrize("upper, lower", PAIRS)
def test_children_partition_their_parent_exactly(upper: str, lower: str, props, geoms):
    parent_of = np.array([p["parent_code"] for p in props[lower]])
    children_all = geoms[lower]
    assert shapely.coverage_is_valid(children_all)  # no overlaps anywhere on the level
    for i, p in enumerate(props[upper]):
        parent = geoms[upper][i]
        children = children_all[parent_of == p["code"]]
        assert shapely.coverage_is_valid(children), p["code"]
        assert shapely.covers(parent, children).all(), p["code"]
        union = shapely.union_all(children)
        assert shapely.symmetric_difference(union, parent).area == 0.0, p["code"]
        assert shapely.equals(union, parent), p["code"]
        # Areas add up: no overlap hides under an exact union.
        assert shapely.area(children).sum() == pytest.approx(parent.area, rel=1e-12)


# --- departments and members --------------------------------------------------------------


def test_departments(departments):
    assert [d["code"] for d in departments] == [f"D{i:02d}" for i in range(1, 40)]
    names = [d["name"] for d in departments]
    assert len(set(names)) == 39
    assert "达拉特旗公安局" in names and "达拉特旗信访局" in names


def test_member_rows(members, props):
    ids = [int(m["id"]) for m in members]
    assert ids == list(range(1, len(members) + 1))
    assert all(re.fullmatch(r"1[3-9]\d{9}", m["phone"]) for m in members)
    assert len({m["phone"] for m in members}) == len(members)
    assert all(
        re.fullmatch(r"\d{2,3}\.\d{7}", m[k]) for m in members for k in ("home_lon", "home_lat")
    )
    kinds = Counter(m["kind"] for m in members)
    assert set(kinds) == {"grid_worker", "party_member", "leader", "instructor"}
    assert kinds["party_member"] == PARTY_MEMBERS
    assert kinds["instructor"] == INSTRUCTORS
    assert 40 <= kinds["leader"] <= 60
    grid_codes = {p["code"] for p in props["grid"]}
    workers = Counter(m["area_code"] for m in members if m["kind"] == "grid_worker")
    assert set(workers) == grid_codes and set(workers.values()) == {1}
    for m in members:
        if m["kind"] == "party_member":
            assert len(m["area_code"]) == 16
        else:
            assert m["area_code"] in grid_codes
        assert bool(m["department_code"]) == (m["kind"] == "instructor")
        if m["kind"] == "leader":
            assert m["title"]


def test_instructors_spread_over_departments_and_townships(members, departments, props):
    instructors = [m for m in members if m["kind"] == "instructor"]
    per_department = Counter(m["department_code"] for m in instructors)
    assert set(per_department) == {d["code"] for d in departments}
    assert max(per_department.values()) - min(per_department.values()) <= 1
    assert {m["area_code"][:9] for m in instructors} == {p["code"] for p in props["township"]}


def test_every_home_lies_strictly_inside_its_area(members, props, geoms):
    micro, grid = _index(props["micro_grid"]), _index(props["grid"])
    area = np.array([
        geoms["micro_grid"][micro[m["area_code"]]] if m["kind"] == "party_member"
        else geoms["grid"][grid[m["area_code"]]]
        for m in members
    ])  # fmt: skip
    home = shapely.points([(float(m["home_lon"]), float(m["home_lat"])) for m in members])
    assert shapely.contains_properly(area, home).all()


def test_party_members_sit_in_the_micro_grid_around_their_home(members, props, geoms):
    party = [m for m in members if m["kind"] == "party_member"]
    home = shapely.points([(float(m["home_lon"]), float(m["home_lat"])) for m in party])
    hit, target = shapely.STRtree(geoms["micro_grid"]).query(home, predicate="intersects")
    assert np.array_equal(hit, np.arange(len(party)))  # exactly one micro-grid each
    codes = [props["micro_grid"][t]["code"] for t in target]
    assert codes == [m["area_code"] for m in party]


# --- reproducibility ----------------------------------------------------------------------


def test_generator_reproduces_the_committed_files(tmp_path: Path):
    """Runs the whole generator (~15 s) in a fresh process and compares bytes."""
    subprocess.run(
        [sys.executable, "-m", "sample_data.generate", "--out", str(tmp_path)],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name
