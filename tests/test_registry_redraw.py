"""The registry follows a redraw (on a scratch database: publishing changes the layout).

Which houses lie in which piece of a split is computed here with PostGIS on the piece
geometries the service reports (``ST_Covers``), never by the code under test; the households
of a merged grid likewise; the grid-size warning is then what the norm says of that count.
"""

from __future__ import annotations

import json

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import mapping, shape
from sqlalchemy import create_engine, text

from access.accounts import ensure_demo_accounts, find_account
from api import tokens
from api.app import create_app
from api.plan_schemas import Impact, PublishReport
from cases.registry.redraw import size_warning
from geo.settings import Settings
from tests.helpers import scratch_database


@pytest.fixture(scope="module")
def scratch(engine):
    with scratch_database(engine, "wangge_registry_redraw") as url:
        scratch_engine = create_engine(url)
        settings = Settings(database_url=url, load_sample_data=False)
        with scratch_engine.begin() as conn:
            ensure_demo_accounts(conn)
            planner = find_account(conn, username="planner").id
        headers = {"Authorization": f"Bearer {tokens.issue(settings, planner, 'access').token}"}
        try:
            with TestClient(
                create_app(settings), raise_server_exceptions=False, headers=headers
            ) as client:
                yield client, scratch_engine
        finally:
            scratch_engine.dispose()


def _plan(client, scope):
    response = client.post("/api/v1/plans", json={"scope_code": scope, "description": scope})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _areas(client, plan_id, level):
    body = client.get(f"/api/v1/plans/{plan_id}/areas", params={"level": level}).json()
    return {f["id"]: f for f in body["features"]}


def _convex(micro):
    for ref, feature in sorted(micro.items()):
        geom = shape(feature["geometry"])
        polygon = geom.geoms[0]
        convex = len(geom.geoms) == 1 and polygon.convex_hull.equals(polygon)
        if convex and len(polygon.exterior.coords) >= 6:
            return ref, polygon
    raise AssertionError("no convex micro-grid")


def _diagonal(polygon):
    xs = list(polygon.exterior.coords)
    v1, v2 = xs[0], xs[2]
    dx, dy = v2[0] - v1[0], v2[1] - v1[1]
    return [(v1[0] - dx * 0.1, v1[1] - dy * 0.1), v1, v2, (v2[0] + dx * 0.1, v2[1] + dy * 0.1)]


def _houses_in(conn, geom) -> set[str]:
    """House codes whose point the geometry covers (PostGIS, independent of the service)."""
    return set(
        conn.execute(
            text(
                "SELECT code FROM house WHERE ST_Covers(ST_SetSRID(ST_GeomFromGeoJSON(:g), 4490), "
                "geom)"
            ),
            {"g": json.dumps(mapping(geom))},
        ).scalars()
    )


def _households_of(conn, houses: set[str]) -> int:
    return conn.execute(
        text(
            "SELECT count(*) FROM household hh JOIN house h ON h.id = hh.house_id "
            "WHERE h.code = ANY(:c)"
        ),
        {"c": sorted(houses)},
    ).scalar_one()


def test_a_split_moves_exactly_the_houses_inside_each_piece(scratch):
    client, engine = scratch
    plan_id = _plan(client, "150621002001")
    old, polygon = _convex(_areas(client, plan_id, "micro_grid"))
    response = client.post(
        f"/api/v1/plans/{plan_id}/areas/{old}/split",
        json={
            "line": {"type": "LineString", "coordinates": _diagonal(polygon)},
            "datum": "cgcs2000",
            "version": 1,
        },
    )
    assert response.status_code == 200, response.text
    pieces = {f["id"]: shape(f["geometry"]) for f in response.json()["features"]}
    new_ref = next(r for r in pieces if r != old)
    with engine.connect() as conn:
        before = dict(
            conn.execute(text("SELECT code, micro_grid_id FROM house ORDER BY code")).all()
        )
        in_old = set(
            conn.execute(
                text(
                    "SELECT h.code FROM house h JOIN area a ON a.id = h.micro_grid_id "
                    "WHERE a.code = :c AND a.generation_high IS NULL"
                ),
                {"c": old},
            ).scalars()
        )
        # no house on the cut: each lies in exactly one piece
        kept, split_off = _houses_in(conn, pieces[old]), _houses_in(conn, pieces[new_ref])
        households = {old: _households_of(conn, kept), new_ref: _households_of(conn, split_off)}
    assert kept | split_off == in_old and not kept & split_off and kept and split_off

    preview = Impact.model_validate(client.get(f"/api/v1/plans/{plan_id}/impact").json())
    assert {(m["from"], m["to"]): (m["houses"], m["households"]) for m in preview.registry} == {
        (old, old): (len(kept), households[old]),
        (old, new_ref): (len(split_off), households[new_ref]),
    }
    after = {c["ref"]: c for c in preview.counts["after"] if c["level"] == "micro_grid"}
    assert (after[old]["households"], after[new_ref]["households"]) == (
        households[old],
        households[new_ref],
    )

    response = client.post(f"/api/v1/plans/{plan_id}/publish", json={})
    assert response.status_code == 200, response.text
    report = PublishReport.model_validate(response.json())
    codes = report.codes
    assert report.registry is not None
    assert report.registry["houses"] == len(in_old)
    assert report.registry["households"] == households[old] + households[new_ref]
    with engine.connect() as conn:
        now = dict(
            conn.execute(
                text("SELECT h.code, a.code FROM house h JOIN area a ON a.id = h.micro_grid_id")
            ).all()
        )
        ids_now = dict(
            conn.execute(text("SELECT code, micro_grid_id FROM house ORDER BY code")).all()
        )
        retired_live = conn.execute(
            text(
                "SELECT count(*) FROM house h JOIN area a ON a.id = h.micro_grid_id "
                "WHERE a.generation_high IS NOT NULL"
            )
        ).scalar_one()
    moved = {code for code in before if before[code] != ids_now[code]}
    assert moved == in_old  # exactly the houses inside the changed micro-grid, no others
    assert {now[c] for c in kept} == {codes[old]}
    assert {now[c] for c in split_off} == {codes[new_ref]}
    assert retired_live == 0


def test_merging_a_village_s_grids_is_flagged_not_refused(scratch):
    client, engine = scratch
    village = "150621003001"
    plan_id = _plan(client, village)
    grids = _areas(client, plan_id, "grid")
    refs = sorted(grids)
    assert len(refs) >= 3
    union = shapely.union_all([shape(grids[r]["geometry"]) for r in refs])
    with engine.connect() as conn:
        houses = _houses_in(conn, union)
        count = _households_of(conn, houses)
        kind = conn.execute(
            text("SELECT kind FROM area WHERE code = :c AND generation_high IS NULL"),
            {"c": village},
        ).scalar_one()
    expected = size_warning(refs[0], kind, count)
    assert expected is not None and "far above" in expected, (count, kind)
    merged = client.post(
        f"/api/v1/plans/{plan_id}/merge",
        json={"refs": refs, "versions": {r: grids[r]["properties"]["version"] for r in refs}},
    )
    assert merged.status_code == 200, merged.text
    preview = Impact.model_validate(client.get(f"/api/v1/plans/{plan_id}/impact").json())
    assert expected in preview.warnings
    response = client.post(f"/api/v1/plans/{plan_id}/publish", json={})
    assert response.status_code == 200, response.text  # a warning, not a refusal
    report = PublishReport.model_validate(response.json())
    assert report.warnings == [expected]
    assert report.registry is not None and report.registry["households"] == count
