"""Importing incidents from CSV, GeoJSON and GeoPackage: placement, routing, trails, refusals.

Expected assignments come from the committed sample files with shapely, departments from
``categories.csv``/``routing_overrides.csv`` and grid workers from ``members.csv``, all read
independently of the importer. Imports run in the test's transaction (rolled back), except
the CLI and API ones, which commit under a scratch source and year and are removed after.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import psycopg
import pytest
import shapely
import shapely.ops
from pyproj import Geod, Transformer
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from api.routers.incident_import import ImportResult
from cases.imports.importer import ImportReport, import_incidents_in
from cases.sample import SAMPLE_SOURCE
from geo.datum import convert
from geo.errors import InvalidFile
from sample_data.history import HOTSPOTS

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
CHINA = ZoneInfo("Asia/Shanghai")
WANGGE = Path(sys.executable).parent / "wangge"
HEADER = (
    "lon,lat,datum,category,description,occurred_at,reported_at,status,status_at,"
    "reporter_name,reporter_phone"
)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def micro(sample_areas) -> gpd.GeoDataFrame:
    return sample_areas["micro_grid"].sort_values("code").reset_index(drop=True)


@pytest.fixture(scope="module")
def routing() -> dict[tuple[str, str | None], str]:
    """(category, township code) → department code, from the sample CSVs."""
    table: dict[tuple[str, str | None], str] = {
        (r["code"], None): r["department_code"] for r in _csv_rows(SAMPLE / "categories.csv")
    }
    for r in _csv_rows(SAMPLE / "routing_overrides.csv"):
        table[r["category_code"], r["township_code"]] = r["department_code"]
    return table


@pytest.fixture(scope="module")
def limits() -> dict[str, int]:
    return {
        r["code"]: int(r["time_limit_hours"])
        for r in _csv_rows(SAMPLE / "categories.csv")
        if r["time_limit_hours"]
    }


@pytest.fixture(scope="module")
def grid_workers() -> dict[str, int]:
    workers: dict[str, int] = {}
    for r in _csv_rows(SAMPLE / "members.csv"):
        if r["kind"] == "grid_worker":
            workers[r["area_code"]] = min(workers.get(r["area_code"], 10**9), int(r["id"]))
    return workers


@dataclass(frozen=True)
class Case:
    """One incident to import (CGCS2000 point) and where it must land."""

    lon: float
    lat: float
    datum: str
    category: str
    status: str
    assignment: str
    micro: str | None
    township: str | None
    distance_m: float | None = None

    def raw(self) -> tuple[float, float]:
        x, y = convert(self.lon, self.lat, "cgcs2000", self.datum)
        return float(x), float(y)


def _inside(micro: gpd.GeoDataFrame, prefix: str) -> tuple[str, float, float]:
    row = micro[micro["code"].str.startswith(prefix)].iloc[3]
    point = row.geometry.representative_point()
    return row["code"], point.x, point.y


def _nearest(micro: gpd.GeoDataFrame, lon: float, lat: float) -> tuple[str, float]:
    """Nearest micro-grid and geodesic distance, via Gauss-Kruger and pyproj.Geod."""
    to_gk = Transformer.from_crs(4490, 4546, always_xy=True)
    to_geo = Transformer.from_crs(4546, 4490, always_xy=True)
    projected = micro.to_crs(4546)
    point = shapely.Point(*to_gk.transform(lon, lat))
    best = int(projected.distance(point).idxmin())
    on_edge = shapely.ops.nearest_points(projected.geometry.iloc[best], point)[0]
    _, _, metres = Geod(ellps="GRS80").inv(lon, lat, *to_geo.transform(on_edge.x, on_edge.y))
    return micro["code"].iloc[best], metres


@pytest.fixture(scope="module")
def cases(micro) -> list[Case]:
    """Interior points (with and without routing overrides), a tie, near and far outside."""
    out = []
    for prefix, datum, category, status in (
        ("150621001", "gcj02", "0101", "reported"),
        ("150621008", "wgs84", "0107", "closed"),  # 展旦召苏木 routes 0107 to D14
        ("150621002", "bd09", "0105", "evaluated"),  # 白泥井镇 routes 0105 to D03
        ("150621003", "cgcs2000", "0402", "void"),
    ):
        code, x, y = _inside(micro, prefix)
        out.append(Case(x, y, datum, category, status, "covered", code, code[:9]))
    geoms = micro.geometry.values
    tree = shapely.STRtree(geoms)
    for x, y in shapely.get_coordinates(geoms[100]):  # a corner shared by several micro-grids
        hits = sorted(micro["code"].iloc[tree.query(shapely.Point(x, y), predicate="intersects")])
        if len(hits) >= 2:
            tie = Case(x, y, "wgs84", "0201", "in_progress", "boundary_tie", hits[0], hits[0][:9])
            out.append(tie)
            break
    north = micro.geometry.bounds["maxy"].idxmax()
    top = max(shapely.get_coordinates(micro.geometry.iloc[north]), key=lambda c: c[1])
    lon, lat = float(top[0]), float(top[1]) + 0.0018  # ~200 m north of the banner
    code, metres = _nearest(micro, lon, lat)
    assert 100 < metres < 500
    out.append(Case(lon, lat, "wgs84", "0604", "handled", "nearest", code, code[:9], metres))
    out.append(Case(108.2, 40.0, "wgs84", "0101", "reported", "unassigned", None, None))
    return out


def _when(k: int) -> datetime:
    return datetime(2024, 3, 1, 9, tzinfo=CHINA) + timedelta(days=k)


def _status_at(case: Case, k: int) -> str:
    return "" if case.status == "reported" else (_when(k) + timedelta(hours=30)).isoformat()


def write_csv(path: Path, cases: list[Case]) -> Path:
    lines = [HEADER]
    for k, case in enumerate(cases):
        x, y = case.raw()
        lines.append(
            f"{x!r},{y!r},{case.datum},{case.category},测试{k},,{_when(k).isoformat()},"
            f"{case.status},{_status_at(case, k)},张三,13800000000"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_geojson(path: Path, cases: list[Case]) -> Path:
    features = []
    for k, case in enumerate(cases):
        props = {
            "category": case.category,
            "reported_at": _when(k).isoformat(),
            "status": case.status,
            "status_at": _status_at(case, k) or None,
        }
        if case.datum != "wgs84":  # absent: RFC 7946 means WGS-84
            props["datum"] = case.datum
        geometry = {"type": "Point", "coordinates": list(case.raw())}
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def write_gpkg(path: Path, cases: list[Case], crs: int = 4490, **columns: list) -> Path:
    frame = gpd.GeoDataFrame(
        {
            "category": [c.category for c in cases],
            "reported_at": [_when(k) for k in range(len(cases))],
            "status": [c.status for c in cases],
            "status_at": [_status_at(c, k) or None for k, c in enumerate(cases)],
            **columns,
        },
        geometry=gpd.points_from_xy([c.lon for c in cases], [c.lat for c in cases]),
        crs=f"EPSG:{crs}",
    )
    frame.to_file(path, driver="GPKG", layer="incidents")
    return path


LANDED = text(
    """
    SELECT i.id, i.assignment, i.assignment_distance_m, m.code AS micro, g.code AS grid,
           v.code AS village, t.code AS township, q.code AS queue, d.code AS department,
           i.member_id, i.deadline_at, i.reported_at, i.status, i.datum, i.raw_lon, i.raw_lat,
           i.code
    FROM incident i
    LEFT JOIN area m ON m.id = i.micro_grid_id
    LEFT JOIN area g ON g.id = i.grid_id
    LEFT JOIN area v ON v.id = i.village_id
    LEFT JOIN area t ON t.id = i.township_id
    JOIN area q ON q.id = i.queue_area_id
    JOIN department d ON d.id = i.department_id
    WHERE i.source = :source
    ORDER BY i.reported_at
    """
)


def _landed(conn: Connection, source: str) -> list:
    return conn.execute(LANDED, {"source": source}).all()


def _trail(conn: Connection, incident_id: int) -> list:
    return conn.execute(
        text(
            "SELECT kind, from_status, to_status, at, to_area_id, data FROM incident_event "
            "WHERE incident_id = :id ORDER BY id"
        ),
        {"id": incident_id},
    ).all()


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg"])
def test_each_format_lands_every_incident_where_shapely_says(
    conn, tmp_path, cases, routing, limits, grid_workers, fmt
):
    if fmt == "gpkg":  # the layer CRS (EPSG:4490) is the datum: coordinates are CGCS2000
        cases = [Case(**{**c.__dict__, "datum": "cgcs2000"}) for c in cases]
    writer = {"csv": write_csv, "geojson": write_geojson, "gpkg": write_gpkg}[fmt]
    path = writer(tmp_path / f"incidents.{fmt}", cases)
    report = import_incidents_in(conn, path, source=f"t-{fmt}")
    assert report.refused == [] and report.accepted == report.rows == len(cases)
    assert report.format == fmt and report.written
    landed = _landed(conn, f"t-{fmt}")
    assert [r.code for r in landed] == report.codes
    for k, (case, row) in enumerate(zip(cases, landed, strict=True)):
        assert row.assignment == case.assignment, k
        assert row.micro == case.micro and row.township == case.township, k
        assert row.grid == (case.micro and case.micro[:14]), k
        assert row.village == (case.micro and case.micro[:12]), k
        assert row.queue == (case.micro or "150621"), k
        assert (
            row.department == routing.get((case.category, case.township))
            or routing[case.category, None]
        ), k
        assert row.member_id == (grid_workers[case.micro[:14]] if case.micro else None), k
        assert row.reported_at == _when(k)
        assert row.deadline_at == _when(k) + timedelta(hours=limits[case.category])
        assert row.status == case.status and row.datum == case.datum
        assert (row.raw_lon, row.raw_lat) == pytest.approx(case.raw(), abs=1e-9)
        if case.distance_m is not None:
            assert row.assignment_distance_m == pytest.approx(case.distance_m, abs=1.0)
        elif case.assignment != "unassigned":
            assert row.assignment_distance_m is None
        trail = _trail(conn, row.id)
        assert trail[0].kind == "reported" and trail[0].to_status == "reported"
        assert trail[0].at == row.reported_at
        assert trail[0].data == {
            "assignment": case.assignment,
            "distance_m": row.assignment_distance_m,
            "source": f"t-{fmt}",
        }
        assert trail[-1].to_status == case.status
        assert all(a.at < b.at for a, b in pairwise(trail))
        assert all(b.from_status == a.to_status for a, b in pairwise(trail))
        if case.status != "reported":
            assert trail[-1].at == datetime.fromisoformat(_status_at(case, k))


def test_overrides_and_queue_are_exercised(cases, routing):
    departments = {routing.get((c.category, c.township)) for c in cases}
    assert {"D14", "D03"} <= departments
    assert {c.assignment for c in cases} == {"covered", "boundary_tie", "nearest", "unassigned"}


# --- refused rows --------------------------------------------------------------------------


def _bad_file(tmp_path: Path, micro) -> tuple[Path, list[tuple[int, str, str]], int]:
    """A CSV with a bad row of every kind; returns it, the expected refusals and good rows."""
    _, x, y = _inside(micro, "150621004")
    ok = f"{x!r},{y!r},wgs84,0101"
    rows: list[tuple[str, list[tuple[str, str]]]] = [
        (f'{ok},"三行\n描述\n文字",,2024-05-01T08:00:00+08:00,,,,', []),
        (f"{x!r},{y!r},,0101,,,,,,,", [("datum", "is required")]),
        (f"{x!r},{y!r},beijing54,0101,,,,,,,", [("datum", "unknown datum")]),
        (f"nan,{y!r},wgs84,0101,,,,,,,", [("lon", "finite")]),
        (f"{x!r},95,wgs84,0101,,,,,,,", [("lat", "out of range")]),
        ("39.47,75.99,wgs84,0101,,,,,,,", [("lon", "swapped")]),
        ("2.35,48.85,gcj02,0101,,,,,,,", [("datum", "only defined inside China")]),
        (f"east,{y!r},wgs84,0101,,,,,,,", [("lon", "must be a number")]),
        (f"{x!r},{y!r},wgs84,9999,,,,,,,", [("category", "unknown category")]),
        (f"{x!r},{y!r},wgs84,,,,,,,,", [("category", "is required")]),
        (f"{ok},{'长' * 4001},,,,,,", [("description", "at most 4,000")]),
        (f"{ok},,,yesterday,,,,", [("reported_at", "ISO 8601")]),
        (f"{ok},,,2099-01-01T00:00:00+08:00,,,,", [("reported_at", "in the future")]),
        (
            f"{ok},,2024-05-02T00:00:00+08:00,2024-05-01T00:00:00+08:00,,,,",
            [("occurred_at", "after")],
        ),
        (f"{ok},,,2024-05-01T00:00:00+08:00,finished,,,", [("status", "unknown status")]),
        (f"{ok},,,2024-05-01T00:00:00+08:00,closed,,,", [("status_at", "is required")]),
        (
            f"{ok},,,2024-05-01T00:00:00+08:00,closed,2024-04-30T00:00:00+08:00,,",
            [("status_at", "not after")],
        ),
        (f"{ok},,,,,,李四,call me", [("reporter_phone", "phone number")]),
        (f"{x!r},{y!r},wgs84", [("row", "has 3 values")]),
        (f"{x!r},{y!r},wgs84,0999,,,,bogus,,,", [("category", "unknown"), ("status", "unknown")]),
        (f"{ok},,,2024-05-01 10:00,evaluated,2024-05-03 10:00,王五,+86 138 0000 0000", []),
        ("108.2,40.0,wgs84,0604,,,2024-05-01T00:00:00+08:00,,,,", []),  # the banner's queue
    ]
    text_rows, expected, line = [HEADER], [], 2
    for body, problems in rows:
        text_rows.append(body)
        expected += [(line, f, words) for f, words in problems]
        line += body.count("\n") + 1
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(text_rows) + "\n", encoding="utf-8")
    return path, expected, sum(1 for _, p in rows if not p)


def test_every_bad_row_is_reported_with_its_line_and_field(conn, tmp_path, micro):
    path, expected, good = _bad_file(tmp_path, micro)
    report = import_incidents_in(conn, path, source="t-bad")
    assert [(r.line, r.field) for r in report.refused] == [(n, f) for n, f, _ in expected]
    for refusal, (_, _, words) in zip(report.refused, expected, strict=True):
        assert words in refusal.reason, refusal
    assert report.refused[0].line == 5  # the first good row's description spans lines 2-4
    assert report.accepted == good == 3
    assert report.accepted + report.refused_rows == report.rows == 22
    assert len(_landed(conn, "t-bad")) == good
    assert report.summary().splitlines()[2].startswith("line 5: datum: is required")


def test_rerunning_drops_nothing_silently(conn, tmp_path, micro):
    path, _, good = _bad_file(tmp_path, micro)
    with path.open(encoding="utf-8", newline="") as f:
        records = len(list(csv.reader(f))) - 1
    first = import_incidents_in(conn, path, source="t-rerun")
    second = import_incidents_in(conn, path, source="t-rerun")
    for report in (first, second):
        assert report.rows == records
        assert report.accepted + report.refused_rows == records
    assert (second.rows, second.accepted, second.refused) == (
        first.rows,
        first.accepted,
        first.refused,
    )
    assert set(first.codes).isdisjoint(second.codes)
    assert len(_landed(conn, "t-rerun")) == 2 * good


def test_all_or_nothing_writes_nothing_when_a_row_is_refused(conn, tmp_path, micro):
    path, _, good = _bad_file(tmp_path, micro)
    report = import_incidents_in(conn, path, source="t-all", all_or_nothing=True)
    assert not report.written and report.codes == [] and report.accepted == good
    assert "nothing written" in report.summary()
    assert _landed(conn, "t-all") == []


def test_geojson_datum_property_rules(conn, tmp_path, micro):
    _, x, y = _inside(micro, "150621005")
    gx, gy = convert(x, y, "cgcs2000", "gcj02")

    def feature(props, geometry):
        return {"type": "Feature", "properties": props, "geometry": geometry}

    point = {"type": "Point", "coordinates": [x, y]}
    features = [
        feature({"category": "0101"}, point),  # no datum property: wgs84
        feature({"category": "0101", "datum": None}, point),  # present but null: refused
        feature({"category": "0101", "datum": "gcj02"}, {"type": "Point", "coordinates": [gx, gy]}),
        feature({"category": "0101"}, {"type": "LineString", "coordinates": [[x, y], [x, y]]}),
        feature({"category": "0101"}, None),
        feature({"datum": "wgs84"}, point),
    ]
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    report = import_incidents_in(conn, path, source="t-gj")
    assert [(r.line, r.field) for r in report.refused] == [
        (2, "datum"),
        (4, "geometry"),
        (5, "geometry"),
        (6, "category"),
    ]
    assert [r.datum for r in _landed(conn, "t-gj")] in (["wgs84", "gcj02"], ["gcj02", "wgs84"])
    legacy = {"type": "FeatureCollection", "features": features[:1]}
    legacy["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}
    path.write_text(json.dumps(legacy), "utf-8")
    assert import_incidents_in(conn, path, source="t-gj2").accepted == 1
    assert _landed(conn, "t-gj2")[0].datum == "cgcs2000"
    legacy["crs"]["properties"]["name"] = "EPSG:3857"
    path.write_text(json.dumps(legacy), "utf-8")
    with pytest.raises(InvalidFile, match="EPSG:3857"):
        import_incidents_in(conn, path, source="t-gj3")


def test_gpkg_datum_column_wins_and_other_crs_refuse_the_file(conn, tmp_path, cases):
    gcj = [c.raw() for c in [Case(**{**cases[0].__dict__, "datum": "gcj02"})]]
    frame = gpd.GeoDataFrame(
        {"category": ["0101"], "datum": ["gcj02"]},
        geometry=gpd.points_from_xy([gcj[0][0]], [gcj[0][1]]),
        crs="EPSG:4326",
    )
    frame.to_file(tmp_path / "d.gpkg", driver="GPKG")
    report = import_incidents_in(conn, tmp_path / "d.gpkg", source="t-gp")
    assert report.accepted == 1
    (row,) = _landed(conn, "t-gp")
    assert (row.datum, row.micro) == ("gcj02", cases[0].micro)
    with pytest.raises(InvalidFile, match="EPSG:3857"):
        import_incidents_in(conn, write_gpkg(tmp_path / "m.gpkg", cases, crs=3857), source="x")
    two = tmp_path / "two.gpkg"
    frame.to_file(two, driver="GPKG", layer="a")
    frame.to_file(two, driver="GPKG", layer="b")
    with pytest.raises(InvalidFile, match="exactly one point layer"):
        import_incidents_in(conn, two, source="x")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "is empty"),
        (b"lon,lat,category\n110,40,0101\n", "lacks the required column(s) datum"),
        (HEADER.encode() + b"\n110,40.4,wgs84,0101,\xff\xfe,,,,,,\n", "not UTF-8: line 2"),
        (b'{"type": "Topology"}', "FeatureCollection"),
        (b'{"type": ', "not valid JSON"),
    ],
    ids=["empty", "missing-column", "not-utf8", "not-features", "broken-json"],
)
def test_unreadable_files_are_refused_whole(conn, tmp_path, content, words):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidFile, match=words.replace("(", r"\(").replace(")", r"\)")) as info:
        import_incidents_in(conn, path)
    assert info.value.field == "file"


# --- the sample history --------------------------------------------------------------------


def test_the_sample_history_is_loaded_whole_with_its_trails(conn):
    rows = _csv_rows(SAMPLE / "incidents.csv")
    count = conn.execute(
        text("SELECT count(*) FROM incident WHERE source = :s"), {"s": SAMPLE_SOURCE}
    ).scalar_one()
    assert count == len(rows) == 5740
    trails = conn.execute(
        text(
            """
            SELECT count(*) FILTER (WHERE first.kind <> 'reported'),
                   count(*) FILTER (WHERE last.to_status <> i.status),
                   count(*) FILTER (WHERE i.assignment <> 'covered')
            FROM incident i
            JOIN LATERAL (SELECT kind FROM incident_event e WHERE e.incident_id = i.id
                          ORDER BY id LIMIT 1) first ON true
            JOIN LATERAL (SELECT to_status FROM incident_event e WHERE e.incident_id = i.id
                          ORDER BY id DESC LIMIT 1) last ON true
            WHERE i.source = :s
            """
        ),
        {"s": SAMPLE_SOURCE},
    ).one()
    assert tuple(trails) == (0, 0, 0)
    statuses = dict(
        conn.execute(
            text("SELECT status, count(*) FROM incident WHERE source = :s GROUP BY status"),
            {"s": SAMPLE_SOURCE},
        ).all()
    )
    assert statuses == dict(Counter(r["status"] for r in rows))


def test_the_dispute_hotspots_are_where_the_readme_says(conn):
    top = conn.execute(
        text(
            "SELECT v.code FROM incident i JOIN area v ON v.id = i.village_id "
            "WHERE i.source = :s AND i.category_code LIKE '01%' "
            "GROUP BY v.code ORDER BY count(*) DESC LIMIT 5"
        ),
        {"s": SAMPLE_SOURCE},
    ).scalars()
    assert set(top) == set(HOTSPOTS)
    readme = (SAMPLE / "README.md").read_text("utf-8")
    assert all(code in readme for code in HOTSPOTS)


def test_history_mix_matches_the_brief():
    rows = _csv_rows(SAMPLE / "incidents.csv")
    majors = Counter(r["category"][:2] for r in rows)
    order = [m for m, _ in majors.most_common()]
    assert order[:4] == ["01", "06", "04", "05"]
    assert majors["05"] > majors["02"] + majors["03"] > majors["07"]
    datums = Counter(r["datum"] for r in rows)
    assert datums["gcj02"] > datums["wgs84"] > datums["bd09"] > 0
    open_ = [r for r in rows if r["status"] not in ("closed", "evaluated", "void")]
    assert 0.01 < len(open_) / len(rows) < 0.05
    assert all(r["reported_at"] >= "2024-11" for r in open_)
    assert min(r["reported_at"] for r in rows) >= "2023-01-01"
    assert max(r["reported_at"] for r in rows) < "2025-01-01"


# --- CLI and API: they commit, so they use a scratch source and year -----------------------

SCRATCH_YEAR = 2019


def _purge(engine: Engine, source: str) -> None:
    """Remove what a committed scratch import wrote (the trail's trigger is bypassed here)."""
    with engine.begin() as c:
        c.execute(text("SET LOCAL session_replication_role = replica"))
        c.execute(
            text(
                "DELETE FROM incident_event WHERE incident_id IN "
                "(SELECT id FROM incident WHERE source = :s)"
            ),
            {"s": source},
        )
        c.execute(text("DELETE FROM incident WHERE source = :s"), {"s": source})
        c.execute(text("DELETE FROM incident_counter WHERE year = :y"), {"y": SCRATCH_YEAR})


@pytest.fixture
def scratch(engine):
    sources = ["t-cli", "t-api"]
    yield sources
    for source in sources:
        _purge(engine, source)


def _tiny(tmp_path: Path, micro, *, bad: bool) -> Path:
    _, x, y = _inside(micro, "150621006")
    rows = [HEADER, f"{x!r},{y!r},wgs84,0101,,,{SCRATCH_YEAR}-06-01T10:00:00+08:00,,,,"]
    if bad:
        rows.append(f"{x!r},{y!r},wgs84,0101,,,{SCRATCH_YEAR}-06-01T10:00:00+08:00,done,,,")
    path = tmp_path / ("bad.csv" if bad else "good.csv")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _cli(database, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WANGGE_DATABASE_URL": database.url}
    return subprocess.run(
        [str(WANGGE), "incidents", "import", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_exit_codes_and_report(database, engine, tmp_path, micro, scratch):
    good = _cli(database, str(_tiny(tmp_path, micro, bad=False)), "--source", "t-cli")
    assert good.returncode == 0, good.stderr
    assert good.stdout.splitlines() == [
        f"accepted 1 of 1 rows (DLT-{SCRATCH_YEAR}-000001 … DLT-{SCRATCH_YEAR}-000001)"
    ]
    bad = _cli(database, str(_tiny(tmp_path, micro, bad=True)), "--source", "t-cli")
    assert bad.returncode == 2, bad.stderr
    lines = bad.stdout.splitlines()
    assert lines[0].startswith(f"accepted 1 of 2 rows (DLT-{SCRATCH_YEAR}-000002")
    assert lines[1:] == ["refused 1 row:", lines[2]] and lines[2].startswith(
        "line 3: status: unknown status 'done'"
    )
    (tmp_path / "empty.csv").write_text("", "utf-8")
    broken = _cli(database, str(tmp_path / "empty.csv"))
    assert broken.returncode == 1
    assert broken.stderr.strip().splitlines()[-1] == "wangge: file: is empty"
    with engine.connect() as c:
        assert len(_landed(c, "t-cli")) == 2


def test_api_upload_good_bad_and_unreadable(client, engine, tmp_path, micro, scratch):
    url = "/api/v1/incidents/import"
    path = _tiny(tmp_path, micro, bad=True)
    dsn = make_url(engine.url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as listener, path.open("rb") as f:
        listener.execute("LISTEN incidents")
        response = client.post(url, files={"file": ("mine.csv", f)}, data={"source": "t-api"})
        heard = [json.loads(n.payload) for n in listener.notifies(timeout=2)]
    # one NOTIFY for the whole file (the supervision sweep's changed events may come too)
    assert [h for h in heard if h["kind"] == "import"] == [{"kind": "import", "count": 1}]
    assert response.status_code == 200, response.text
    body = ImportResult.model_validate(response.json())
    assert (body.file, body.rows, body.accepted, body.written) == ("mine.csv", 2, 1, True)
    assert [(r.line, r.field) for r in body.refused] == [(3, "status")]
    assert body.codes.count == 1 and body.codes.first == f"DLT-{SCRATCH_YEAR}-000001"
    good = _tiny(tmp_path, micro, bad=False).read_bytes()
    response = client.post(url, files={"file": ("g.csv", good)}, data={"source": "t-api"})
    assert response.json()["refused"] == [] and response.json()["accepted"] == 1
    response = client.post(url, files={"file": ("x.csv", b"lon,lat\n1,2\n")})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
    assert "datum" in response.json()["detail"]
    with engine.connect() as c:
        assert len(_landed(c, "t-api")) == 2


def test_api_upload_past_50_mb_is_413(client):
    big = b"x" * (50 * 1024 * 1024 + 1)
    response = client.post("/api/v1/incidents/import", files={"file": ("big.csv", big)})
    assert response.status_code == 413


def test_report_serialises_for_the_api():
    report = ImportReport("f.csv", "csv", 1, 0, [], [], False)
    assert ImportResult.model_validate(report.as_dict()).codes.count == 0
    assert np.isfinite(report.seconds)
