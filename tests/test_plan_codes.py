"""What a publication re-codes, and when it takes effect, on a scratch database.

Only areas whose shape changed get new codes: a repair brings the edited area back onto its
untouched neighbours, never the other way round (it used to give the sliver of overlap to the
neighbour with the higher code, which then had a new shape and a new code). The effective date
is checked before anything is written and recorded on the generation.
"""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import shapely
import shapely.ops
from fastapi.testclient import TestClient
from shapely.geometry import mapping, shape
from sqlalchemy import create_engine, text

from access.accounts import ensure_demo_accounts, find_account
from api import tokens
from api.app import create_app
from api.plan_schemas import PublishReport, RepairsApplied
from geo.settings import Settings
from tests.helpers import scratch_database


@pytest.fixture(scope="module")
def scratch(engine):
    """A client signed in as the planner, and an engine, on a fresh copy of the sample."""
    with scratch_database(engine, "wangge_plan_codes") as url:
        scratch_engine = create_engine(url)
        settings = Settings(database_url=url, load_sample_data=False)
        with scratch_engine.begin() as conn:
            ensure_demo_accounts(conn)
            planner = find_account(conn, username="planner").id
        token = tokens.issue(settings, planner, "access").token
        try:
            with TestClient(
                create_app(settings),
                raise_server_exceptions=False,
                headers={"Authorization": f"Bearer {token}"},
            ) as client:
                yield client, scratch_engine
        finally:
            scratch_engine.dispose()


def _plan(client, scope):
    response = client.post("/api/v1/plans", json={"scope_code": scope, "description": scope})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _micro(client, plan_id):
    body = client.get(f"/api/v1/plans/{plan_id}/areas", params={"level": "micro_grid"}).json()
    return {f["id"]: f for f in body["features"]}


def _neighbours(micro):
    """Two micro-grids of one grid sharing an edge, lower code first."""
    for a, fa in sorted(micro.items()):
        for b, fb in sorted(micro.items()):
            shared = shape(fa["geometry"]).intersection(shape(fb["geometry"])).length
            if a < b and a[:14] == b[:14] and shared > 0:
                return a, b
    raise AssertionError("no neighbours")


def _bulge(a, b):
    """``a`` with one vertex added in the middle of an edge it shares with ``b``, 0.3 m into
    ``b``: a sliver of overlap, as a careless drag leaves."""
    ring = list(a.geoms[0].exterior.coords)
    for p, q in itertools.pairwise(ring):
        edge = shapely.LineString([p, q])
        if edge.length > 5e-5 and b.boundary.buffer(1e-10).contains(edge):
            break
    else:
        raise AssertionError("no long shared edge")
    mid = ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
    length = edge.length
    normal = (-(q[1] - p[1]) / length * 3e-6, (q[0] - p[0]) / length * 3e-6)
    into = (mid[0] + normal[0], mid[1] + normal[1])
    if not b.contains(shapely.Point(into)):
        into = (mid[0] - normal[0], mid[1] - normal[1])
    at = ring.index(q)
    return shapely.MultiPolygon([shapely.Polygon([*ring[:at], into, *ring[at:]])])


def _convex_elsewhere(micro, grid):
    """A convex micro-grid outside ``grid`` with at least five corners, and the line through
    its vertices 0 and 2 (a cut along existing vertices: no problems)."""
    for ref, feature in sorted(micro.items()):
        polygon = shape(feature["geometry"]).geoms[0]
        convex = polygon.convex_hull.equals(polygon) and len(polygon.exterior.coords) >= 6
        if ref[:14] != grid and convex:
            v1, v2 = polygon.exterior.coords[0], polygon.exterior.coords[2]
            d = (v2[0] - v1[0], v2[1] - v1[1])
            line = [(v1[0] - d[0] * 0.1, v1[1] - d[1] * 0.1), v1, v2]
            return ref, [*line, (v2[0] + d[0] * 0.1, v2[1] + d[1] * 0.1)]
    raise AssertionError("no convex micro-grid")


def _live(engine, codes):
    with engine.connect() as conn:
        return set(
            conn.execute(
                text("SELECT code FROM area WHERE code = ANY(:c) AND generation_high IS NULL"),
                {"c": codes},
            ).scalars()
        )


def test_a_repair_moves_the_edited_area_and_publication_keeps_the_neighbours_codes(scratch):
    client, engine = scratch
    plan_id = _plan(client, "150621002001")
    url = f"/api/v1/plans/{plan_id}"
    micro = _micro(client, plan_id)
    a, b = _neighbours(micro)
    cut, line = _convex_elsewhere(micro, a[:14])
    split = client.post(
        f"{url}/areas/{cut}/split",
        json={"line": {"type": "LineString", "coordinates": line}, "datum": "cgcs2000"},
        headers={"If-Match": '"1"'},
    )
    assert split.status_code == 200, split.text
    piece = next(f["id"] for f in split.json()["features"] if f["id"] != cut)
    bulged = _bulge(shape(micro[a]["geometry"]), shape(micro[b]["geometry"]))
    put = client.put(
        f"{url}/areas/{a}", json={"geometry": mapping(bulged), "datum": "cgcs2000", "version": 1}
    )
    assert put.status_code == 200, put.text
    problems = client.get(f"{url}/check").json()["features"]
    assert [(p["properties"]["kind"], p["properties"]["codes"]) for p in problems] == [
        ("overlap", [a, b])
    ]

    offered = client.get(f"{url}/repairs", params={"snap_tolerance_m": 1}).json()["features"]
    assert [f["id"] for f in offered] == [f"snap:{a}@2"]  # never the untouched neighbour
    applied = client.post(
        f"{url}/repairs/apply", json={"ids": [f"snap:{a}@2"], "snap_tolerance_m": 1}
    )
    assert applied.status_code == 200, applied.text
    assert RepairsApplied.model_validate(applied.json()).changed == [a]
    assert client.get(f"{url}/check").json()["features"] == []
    repaired = client.get(f"{url}/areas/{a}").json()
    assert repaired["properties"]["status"] == "unchanged"  # back on its source, vertex for vertex
    assert shape(repaired["geometry"]).equals(shape(micro[a]["geometry"]))

    published = client.post(f"{url}/publish", json={})
    assert published.status_code == 200, published.text
    report = PublishReport.model_validate(published.json())
    assert set(report.codes) == {cut, piece} and report.retired == [cut]
    siblings = [r for r in micro if r[:14] == a[:14]]
    assert _live(engine, [*siblings, a[:14]]) == {*siblings, a[:14]}


def test_the_effective_date_is_checked_and_recorded_on_the_generation(scratch):
    client, engine = scratch
    plan_id = _plan(client, "150621003001")
    url = f"/api/v1/plans/{plan_id}"
    micro = _micro(client, plan_id)
    cut, line = _convex_elsewhere(micro, "")
    split = client.post(
        f"{url}/areas/{cut}/split",
        json={"line": {"type": "LineString", "coordinates": line}, "datum": "cgcs2000"},
        headers={"If-Match": '"1"'},
    )
    assert split.status_code == 200, split.text
    with engine.connect() as conn:
        now, generations = conn.execute(
            text("SELECT now(), (SELECT count(*) FROM generation)")
        ).one()
    refused = {
        "past": (now - timedelta(hours=1)).isoformat(),
        "a year and more ahead": (now + timedelta(days=367)).isoformat(),
        "not a date": "下周一",
        "no value": "",
    }
    for why, value in refused.items():
        response = client.post(f"{url}/publish", json={"effective_at": value})
        assert response.status_code == 422, (why, response.text)
        assert [e["field"] for e in response.json()["errors"]] == ["effective_at"], why
    far = client.post(f"{url}/publish", json={"effective_at": refused["a year and more ahead"]})
    assert "more than 366 days ahead" in far.json()["detail"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM generation")).scalar_one() == generations

    effective = (now + timedelta(days=30)).astimezone(UTC).replace(microsecond=0)
    china = (effective + timedelta(hours=8)).replace(tzinfo=None)  # no offset: China time
    response = client.post(f"{url}/publish", json={"effective_at": china.isoformat()})
    assert response.status_code == 200, response.text
    report = PublishReport.model_validate(response.json())
    assert report.status == "scheduled"
    assert datetime.fromisoformat(report.effective_at or "") == effective
    with engine.connect() as conn:
        activated = conn.execute(
            text("SELECT activated_at FROM generation WHERE id = :g"), {"g": report.generation}
        ).scalar_one()
    assert activated == effective
    summary = client.get(url).json()
    assert summary["status"] == "scheduled" and summary["generation"] == report.generation
    assert summary["report"]["effective_at"] == report.effective_at


def _cut_near_a_vertex(grid, micro):
    """A line across ``grid`` from one of its vertices to another, passing 3 m north of a
    vertex V where micro-grids meet inside it (no other vertex within 10 m of V), starting and
    ending outside it; and V."""
    outline = grid.geoms[0] if grid.geom_type == "MultiPolygon" else grid
    rim = [xy for xy in outline.exterior.coords[:-1]]
    inner = {
        tuple(xy)
        for m in micro
        for xy in shapely.get_coordinates(m)
        if grid.boundary.distance(shapely.Point(xy)) > 1e-6
    }
    everything = np.array(sorted({*inner, *rim}))
    north = 3 / 111_320  # 3 m of latitude
    for v in sorted(inner):
        near = np.hypot(*(everything - v).T * np.array([[np.cos(np.radians(v[1]))], [1]]))
        if np.sum(near < 10 / 111_320) > 1:
            continue
        shifted = (v[0], v[1] + north)
        by_distance = sorted(rim, key=lambda p: math.dist(p, v))
        for p1 in by_distance[:6]:
            for p2 in by_distance[::-1][:12]:
                path = shapely.LineString([p1, shifted, p2])
                if not grid.buffer(1e-9).contains(path):
                    continue
                if len(shapely.get_parts(path.intersection(grid.boundary))) != 2:
                    continue
                p0 = (2 * p1[0] - shifted[0], 2 * p1[1] - shifted[1])
                p3 = (2 * p2[0] - shifted[0], 2 * p2[1] - shifted[1])
                outside = [shapely.LineString([a, b]) for a, b in ((p0, p1), (p2, p3))]
                if any(s.intersection(grid).length > 1e-9 for s in outside):
                    continue
                pieces = shapely.get_parts(shapely.ops.split(grid, path))
                if len(pieces) == 2 and min(p.area for p in pieces) > 0.2 * grid.area:
                    return [p0, p1, shifted, p2, p3], v
    raise AssertionError("no grid to cut near a micro-grid vertex")


def test_a_cut_snaps_to_a_micro_grid_vertex_cuts_the_children_and_publishes(scratch):
    client, _ = scratch
    plan_id = _plan(client, "150621004001")
    url = f"/api/v1/plans/{plan_id}"
    grids = {
        f["id"]: f for f in client.get(f"{url}/areas", params={"level": "grid"}).json()["features"]
    }
    micro = _micro(client, plan_id)
    for ref in sorted(grids):
        children = [shape(f["geometry"]) for r, f in micro.items() if r[:14] == ref]
        try:
            line, vertex = _cut_near_a_vertex(shape(grids[ref]["geometry"]), children)
            break
        except AssertionError:
            continue
    else:
        raise AssertionError("no grid of the village can be cut near a vertex")
    body = {"line": {"type": "LineString", "coordinates": line}, "datum": "cgcs2000"}
    for snap in (51, -1):
        refused = client.post(
            f"{url}/areas/{ref}/split", json={**body, "snap_m": snap}, headers={"If-Match": '"1"'}
        )
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == ["snap_m"]
    cut = client.post(f"{url}/areas/{ref}/split", json=body, headers={"If-Match": '"1"'})
    assert cut.status_code == 200, cut.text
    pieces = {f["id"]: shape(f["geometry"]) for f in cut.json()["features"]}
    new = next(r for r in pieces if r != ref)
    for piece in pieces.values():  # the cut went through the vertex, not 3 m beside it
        assert vertex in {tuple(xy) for xy in shapely.get_coordinates(piece)}
    assert client.get(f"{url}/check").json()["features"] == []
    after = _micro(client, plan_id)
    under = {r: f["properties"]["parent_ref"] for r, f in after.items()}
    for child, parent in under.items():  # nothing straddles: each child inside its parent
        if parent in pieces:
            inside = shape(after[child]["geometry"]).difference(pieces[parent]).area
            assert inside < 1e-14, child
    assert {p for p in under.values()} >= {ref, new}

    published = client.post(f"{url}/publish", json={})
    assert published.status_code == 200, published.text
    report = PublishReport.model_validate(published.json())
    assert {ref, new} <= set(report.codes)
