"""Publishing plans, on a scratch database (a publication changes the current generation).

Expected values come from shapely on the geometries the service reports, never from the code
under test: which incidents and party members fall in which piece of a split, which grid
overlaps a retired one most.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import shapely
import shapely.ops
from fastapi.testclient import TestClient
from shapely.geometry import mapping, shape
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from access.accounts import ensure_demo_accounts, find_account
from api import tokens
from api.app import create_app
from api.plan_schemas import Impact, PlanSummary, PublishReport
from cases.redraw.publish import activate_due
from geo.settings import Settings
from tests.helpers import read_events, scratch_database, serving

#: Incidents are reported by the admin; plans are drawn and published by the planner.
ADMIN: dict[str, str] = {}


@pytest.fixture(scope="module")
def scratch(engine):
    """A client signed in as the (banner) planner and an engine, on a fresh database with the
    whole sample set and the demo accounts."""
    with scratch_database(engine, "wangge_plan_publish") as url:
        scratch_engine = create_engine(url)
        settings = Settings(database_url=url, load_sample_data=False)
        with scratch_engine.begin() as conn:
            ensure_demo_accounts(conn)
            ids = {name: find_account(conn, username=name).id for name in ("admin", "planner")}
        headers = {
            name: {"Authorization": f"Bearer {tokens.issue(settings, i, 'access').token}"}
            for name, i in ids.items()
        }
        ADMIN.update(headers["admin"])
        try:
            with TestClient(
                create_app(settings), raise_server_exceptions=False, headers=headers["planner"]
            ) as client:
                yield client, scratch_engine
        finally:
            scratch_engine.dispose()


def _db_now(engine) -> datetime:
    with engine.connect() as conn:
        return conn.execute(text("SELECT now()")).scalar_one()


def _plan(client, scope):
    response = client.post("/api/v1/plans", json={"scope_code": scope, "description": scope})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _areas(client, plan_id, level):
    body = client.get(f"/api/v1/plans/{plan_id}/areas", params={"level": level}).json()
    return {f["id"]: f for f in body["features"]}


def _diagonal(polygon):
    """A line through vertices 0 and 2 of a convex polygon, from outside to outside."""
    xs = list(polygon.exterior.coords)
    v1, v2 = xs[0], xs[2]
    dx, dy = v2[0] - v1[0], v2[1] - v1[1]
    return [(v1[0] - dx * 0.1, v1[1] - dy * 0.1), v1, v2, (v2[0] + dx * 0.1, v2[1] + dy * 0.1)]


def _convex_micro_grid(micro):
    for ref, feature in sorted(micro.items()):
        geom = shape(feature["geometry"])
        polygon = geom.geoms[0]
        convex = len(geom.geoms) == 1 and polygon.convex_hull.equals(polygon)
        if convex and len(polygon.exterior.coords) >= 6:
            return ref, polygon
    raise AssertionError("no convex micro-grid")


def _inside(polygon, n, seed):
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = polygon.bounds
    xy = rng.uniform((minx, miny), (maxx, maxy), size=(n * 60, 2))
    inner = polygon.buffer(-1e-5)  # ~1 m clear of the edges: no boundary ties
    return xy[shapely.contains_xy(inner, xy[:, 0], xy[:, 1])][:n]


def _post_incident(client, x, y):
    payload = {"lon": float(x), "lat": float(y), "datum": "cgcs2000", "category": "0101"}
    response = client.post(
        "/api/v1/incidents",
        json=payload,
        headers={"Idempotency-Key": str(uuid.uuid4()), **ADMIN},
    )
    assert response.status_code == 201, response.text
    return response.json()["code"]


def _split(client, plan_id, ref, polygon):
    response = client.post(
        f"/api/v1/plans/{plan_id}/areas/{ref}/split",
        json={
            "line": {"type": "LineString", "coordinates": _diagonal(polygon)},
            "datum": "cgcs2000",
            "version": 1,
        },
    )
    assert response.status_code == 200, response.text
    return {f["id"]: shape(f["geometry"]) for f in response.json()["features"]}


def test_a_clean_split_moves_exactly_the_open_incidents_of_each_part(scratch):
    client, engine = scratch
    village = "150621002001"
    plan_id = _plan(client, village)
    micro = _areas(client, plan_id, "micro_grid")
    old, polygon = _convex_micro_grid(micro)
    grid = micro[old]["properties"]["parent_ref"]
    sibling = next(r for r in sorted(micro) if r[:14] == grid and r != old)
    cut = shapely.ops.split(polygon, shapely.LineString(_diagonal(polygon)))
    big, small = sorted(shapely.get_parts(cut), key=lambda p: -p.area)
    points = np.vstack([_inside(big, 4, 1), _inside(small, 4, 3)])
    inside = [(_post_incident(client, x, y), x, y) for x, y in points]
    beside = [
        _post_incident(client, x, y) for x, y in _inside(shape(micro[sibling]["geometry"]), 3, 2)
    ]
    closed = inside.pop()[0]
    with engine.begin() as conn:
        conn.execute(text("UPDATE incident SET status = 'closed' WHERE code = :c"), {"c": closed})
        members = conn.execute(
            text(
                "SELECT m.id, ST_X(m.home) AS x, ST_Y(m.home) AS y FROM member m "
                "JOIN area a ON a.id = m.area_id WHERE a.code = :c AND m.kind = 'party_member'"
            ),
            {"c": old},
        ).all()
        last_suffix = conn.execute(
            text("SELECT max(right(code, 2)) FROM area WHERE code LIKE :g || '__'"), {"g": grid}
        ).scalar_one()

    pieces = _split(client, plan_id, old, polygon)
    new_ref = next(r for r in pieces if r != old)
    assert len(shapely.get_parts(cut)) == 2
    assert pieces[old].symmetric_difference(big).area < 1e-14
    assert pieces[new_ref].symmetric_difference(small).area < 1e-14
    assert client.get(f"/api/v1/plans/{plan_id}/check").json()["features"] == []
    with engine.connect() as conn:  # every incident inside, the sample's history included
        located = conn.execute(
            text(
                "SELECT code, status, ST_X(geom) AS x, ST_Y(geom) AS y FROM incident "
                "WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490)"
            ),
            dict(zip(("x0", "y0", "x1", "y1"), polygon.bounds, strict=True)),
        ).all()
    in_old = [r for r in located if polygon.covers(shapely.Point(r.x, r.y))]
    where = {
        r.code: (old if big.covers(shapely.Point(r.x, r.y)) else new_ref)
        for r in in_old
        if r.status not in ("closed", "void", "evaluated")
    }
    assert set(where) >= {c for c, _, _ in inside}
    assert set(where.values()) == {old, new_ref}, "both pieces should receive incidents"

    impact = client.get(f"/api/v1/plans/{plan_id}/impact")
    assert impact.status_code == 200, impact.text
    preview = Impact.model_validate(impact.json())
    assert {i["code"]: i["to"] for i in preview.incidents} == where
    assert preview.areas == {"retired": [old], "changed": [old], "new": [new_ref]}
    layer = client.get(f"/api/v1/plans/{plan_id}/impact.geojson").json()
    assert sorted(f["id"] for f in layer["features"]) == sorted(
        [f"before:{old}", f"after:{old}", f"after:{new_ref}"]
    )
    moved_in = {f["id"]: f["properties"] for f in layer["features"]}
    assert moved_in[f"after:{new_ref}"]["open_incidents"] == list(where.values()).count(new_ref)

    before = _db_now(engine)
    response = client.post(f"/api/v1/plans/{plan_id}/publish", json={})
    assert response.status_code == 200, response.text
    report = PublishReport.model_validate(response.json())
    with engine.connect() as conn:  # the publication is audited: who, what before and after
        (entry,) = conn.execute(
            text(
                "SELECT actor, role, before, after FROM audit_log "
                "WHERE action = 'plan.publish' AND object_id = :id"
            ),
            {"id": str(plan_id)},
        ).all()
    assert (entry.actor, entry.role) == ("planner", "planner")
    assert entry.before["status"] == "draft" and entry.after["generation"] == report.generation
    assert entry.after["codes"] == report.codes and entry.after["retired"] == [old]
    assert entry.after["incidents_moved"] == len(report.incidents)
    assert all(m["name"].endswith("*") for m in report.members)
    codes = report.codes
    assert set(codes) == {old, new_ref} and report.retired == [old]
    for code in codes.values():
        assert code[:14] == grid and len(code) == 16 and code[14:] > last_suffix
    assert old not in codes.values()
    assert {m["code"]: m["to"] for m in report.incidents} == {
        code: codes[ref] for code, ref in where.items()
    }
    assert {m["from"] for m in report.incidents} == {old}
    with engine.connect() as conn:
        held = dict(
            conn.execute(
                text(
                    "SELECT i.code, q.code FROM incident i JOIN area q ON q.id = i.queue_area_id "
                    "WHERE i.code = ANY(:codes)"
                ),
                {"codes": [closed, *beside, *where]},
            ).all()
        )
        homes = dict(
            conn.execute(
                text(
                    "SELECT m.id, a.code FROM member m JOIN area a ON a.id = m.area_id "
                    "WHERE m.id = ANY(:ids)"
                ),
                {"ids": [m.id for m in members]},
            ).all()
        )
    assert held[closed] == old and {held[c] for c in beside} == {sibling}
    assert {c: held[c] for c in where} == {c: codes[ref] for c, ref in where.items()}
    assert members, "the micro-grid should have party members"
    for m in members:
        piece = old if big.covers(shapely.Point(m.x, m.y)) else new_ref
        assert homes[m.id] == codes[piece]
    assert PlanSummary.model_validate(client.get(f"/api/v1/plans/{plan_id}").json()).status == (
        "published"
    )

    # Time travel: the day before, the old micro-grid; today, its successors.
    then = {"at": before.isoformat()}
    old_layout = client.get("/api/v1/areas", params={"parent": grid, **then}).json()
    new_layout = client.get("/api/v1/areas", params={"parent": grid}).json()
    assert old in [f["id"] for f in old_layout["features"]]
    assert old not in [f["id"] for f in new_layout["features"]]
    assert set(codes.values()) <= {f["id"] for f in new_layout["features"]}
    code, x, y = next((c, x, y) for c, x, y in inside if where[c] == new_ref)
    point = {"lon": x, "lat": y, "datum": "cgcs2000"}
    assert client.get("/api/v1/locate", params={**point, **then}).json()["chain"][-1]["code"] == old
    assert client.get("/api/v1/locate", params=point).json()["chain"][-1]["code"] == codes[new_ref]
    listed = client.get("/api/v1/incidents", params={"area": old, **then}).json()["items"]
    assert {i["code"] for i in listed} == {r.code for r in in_old}

    # The code registry: an old code never comes back with another shape.
    with engine.begin() as conn, pytest.raises(IntegrityError, match="another shape"):
        conn.execute(
            text(
                "INSERT INTO area (code, name, level, generation_low, geom) "
                "VALUES (:c, 'x', 'micro_grid', :g, ST_Multi(ST_GeomFromText(:wkt, 4490)))"
            ),
            {"c": old, "g": report.generation, "wkt": small.wkt},
        )


def test_a_stale_plan_is_refused_naming_what_changed_and_staff_follow_their_grid(scratch):
    client, engine = scratch
    first, second = "150621003001", "150621003002"
    a, b = _plan(client, first), _plan(client, second)
    grids = _areas(client, a, "grid")
    g1, g2 = next(
        (x, y)
        for x in sorted(grids)
        for y in sorted(grids)
        if x < y and shape(grids[x]["geometry"]).intersection(shape(grids[y]["geometry"])).length
    )
    merged = client.post(
        f"/api/v1/plans/{a}/merge", json={"refs": [g1, g2], "versions": {g1: 1, g2: 1}}
    )
    assert merged.status_code == 200, merged.text
    assert client.get(f"/api/v1/plans/{a}/check").json()["features"] == []
    with engine.connect() as conn:
        staff = conn.execute(
            text(
                "SELECT m.id, m.kind FROM member m JOIN area a ON a.id = m.area_id "
                "WHERE a.code IN (:a, :b) AND m.kind <> 'party_member'"
            ),
            {"a": g1, "b": g2},
        ).all()
        party = dict(
            conn.execute(
                text(
                    "SELECT m.id, ST_AsBinary(a.geom) FROM member m "
                    "JOIN area a ON a.id = m.area_id "
                    "WHERE left(a.code, 14) IN (:a, :b) AND m.kind = 'party_member'"
                ),
                {"a": g1, "b": g2},
            ).all()
        )
    preview = client.get(f"/api/v1/plans/{a}/impact").json()
    assert {m["id"]: m["to"] for m in preview["members"] if m["kind"] != "party_member"} == {
        s.id: g1 for s in staff
    }
    assert {s.kind for s in staff} >= {"grid_worker"}

    response = client.post(f"/api/v1/plans/{a}/publish", json={})
    assert response.status_code == 200, response.text
    report = response.json()
    new_grid = report["codes"][g1]
    assert new_grid[:12] == first and set(report["retired"]) >= {g1, g2}
    micro_codes = [c for r, c in report["codes"].items() if r != g1]
    assert micro_codes and all(c.startswith(new_grid) for c in micro_codes)
    with engine.connect() as conn:
        now_at = dict(
            conn.execute(
                text(
                    "SELECT m.id, a.code FROM member m JOIN area a ON a.id = m.area_id "
                    "WHERE m.id = ANY(:ids)"
                ),
                {"ids": [s.id for s in staff]},
            ).all()
        )
        rehomed = dict(
            conn.execute(
                text(
                    "SELECT m.id, ST_AsBinary(a.geom) FROM member m "
                    "JOIN area a ON a.id = m.area_id "
                    "WHERE m.id = ANY(:ids)"
                ),
                {"ids": list(party)},
            ).all()
        )
    assert set(now_at.values()) == {new_grid}
    for member, geom in party.items():  # same shape, new code: each stays in its micro-grid
        assert shapely.from_wkb(bytes(rehomed[member])).equals(shapely.from_wkb(bytes(geom)))

    micro = _areas(client, b, "micro_grid")
    ref, polygon = _convex_micro_grid(micro)
    _split(client, b, ref, polygon)
    stale = client.post(f"/api/v1/plans/{b}/publish", json={})
    assert stale.status_code == 409, stale.text
    body = stale.json()
    assert "by planner" in body["detail"]
    assert f"generation {report['generation']}" in body["detail"]
    (change,) = [c for c in body["changes"] if c["generation"] == report["generation"]]
    assert change["published_by"] == "planner" and change["plan"] == a
    assert {g1, g2} <= set(change["retired"]) and new_grid in change["added"]
    assert client.get(f"/api/v1/plans/{b}").json()["stale"] is True


def test_an_injected_overlap_is_refused_at_publish_and_located(scratch):
    client, engine = scratch
    plan_id = _plan(client, "150621004001")
    micro = _areas(client, plan_id, "micro_grid")
    x, y = next(
        (p, q)
        for p in sorted(micro)
        for q in sorted(micro)
        if p < q
        and p[:14] == q[:14]
        and shape(micro[p]["geometry"]).intersection(shape(micro[q]["geometry"])).length
    )
    gx, gy = shape(micro[x]["geometry"]), shape(micro[y]["geometry"])
    bite = gy.intersection(gx.boundary.intersection(gy.boundary).buffer(2e-4))
    grown = gx.union(bite)
    response = client.put(
        f"/api/v1/plans/{plan_id}/areas/{x}",
        json={"geometry": mapping(grown), "datum": "cgcs2000", "version": 1},
    )
    assert response.status_code == 200, response.text
    with engine.connect() as conn:
        generations = conn.execute(text("SELECT count(*) FROM generation")).scalar_one()
    refused = client.post(f"/api/v1/plans/{plan_id}/publish", json={})
    assert refused.status_code == 422, refused.text
    problems = refused.json()["problems"]["features"]
    overlap = [p for p in problems if p["properties"]["kind"] == "overlap"]
    assert [p["properties"]["codes"] for p in overlap] == [[x, y]]
    where = shape(overlap[0]["geometry"])
    assert where.symmetric_difference(bite).area < 0.01 * bite.area
    assert overlap[0]["properties"]["parent_ref"] == x[:14]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM generation")).scalar_one() == generations
    assert client.get(f"/api/v1/plans/{plan_id}").json()["status"] == "draft"


def test_a_plan_that_changes_nothing_is_refused(scratch):
    client, _ = scratch
    plan_id = _plan(client, "150621005001")
    response = client.post(f"/api/v1/plans/{plan_id}/publish")
    assert response.status_code == 422 and "changes nothing" in response.json()["detail"]


def test_a_scheduled_generation_takes_over_when_its_time_comes(scratch):
    client, engine = scratch
    plan_id = _plan(client, "150621006001")
    micro = _areas(client, plan_id, "micro_grid")
    old, polygon = _convex_micro_grid(micro)
    _split(client, plan_id, old, polygon)
    past = client.post(
        f"/api/v1/plans/{plan_id}/publish",
        json={"effective_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()},
    )
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "effective_at"
    effective = _db_now(engine) + timedelta(seconds=2)
    response = client.post(
        f"/api/v1/plans/{plan_id}/publish", json={"effective_at": effective.isoformat()}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["status"] == "scheduled" and report["members"] == []
    parent = {"parent": old[:14]}
    assert old in [f["id"] for f in client.get("/api/v1/areas", params=parent).json()["features"]]
    assert activate_due(engine, limit_m=500) == []
    time.sleep(max(0.0, (effective - _db_now(engine)).total_seconds()) + 0.2)
    current = [f["id"] for f in client.get("/api/v1/areas", params=parent).json()["features"]]
    assert old not in current and set(report["codes"].values()) <= set(current)
    assert activate_due(engine, limit_m=500) == [plan_id]
    summary = client.get(f"/api/v1/plans/{plan_id}").json()
    assert summary["status"] == "published"
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM member m JOIN area a ON a.id = m.area_id WHERE a.code = :c"),
            {"c": old},
        ).scalar_one()
    assert left == 0 and summary["report"]["members"]


def _changed(events: queue.Queue, n: int) -> list[dict]:
    """The next ``n`` ``changed`` events of a stream (``created`` ones are skipped)."""
    found: list[dict] = []
    while len(found) < n:
        kind, message, _ = events.get(timeout=5)
        if kind == "changed":
            found.append(message)
    return found


def test_an_open_stream_hears_every_incident_a_publication_moves(scratch):
    """The live map is told of each re-assigned incident: where it is now and where it was."""
    client, engine = scratch
    village = "150621007001"
    plan_id = _plan(client, village)
    micro = _areas(client, plan_id, "micro_grid")
    old, polygon = _convex_micro_grid(micro)
    url = engine.url.render_as_string(hide_password=False)
    stop = threading.Event()
    with serving(create_app(Settings(database_url=url, load_sample_data=False))) as base:
        streams = {}
        for name, params in (
            ("all", {}),
            ("village", {"area": village}),
            ("away", {"area": "150621001"}),
        ):
            streams[name], ready = queue.Queue(), threading.Event()
            threading.Thread(
                target=read_events,
                args=(base, ADMIN, params, streams[name], ready, stop),
                daemon=True,
            ).start()
            assert ready.wait(10), "stream did not open"
        posted = {_post_incident(client, x, y) for x, y in _inside(polygon, 3, 5)}
        heard = {streams["all"].get(timeout=5)[1]["code"] for _ in posted}
        assert heard == posted  # the listener is up
        cut = shapely.ops.split(polygon, shapely.LineString(_diagonal(polygon)))
        pieces = _split(client, plan_id, old, polygon)
        with engine.connect() as conn:
            located = conn.execute(
                text(
                    "SELECT i.code, i.status, ST_X(i.geom) AS x, ST_Y(i.geom) AS y, d.code AS dept "
                    "FROM incident i JOIN department d ON d.id = i.department_id "
                    "JOIN area a ON a.id = i.queue_area_id WHERE a.code = :c "
                    "AND i.status NOT IN ('closed', 'void', 'evaluated')"
                ),
                {"c": old},
            ).all()
        response = client.post(f"/api/v1/plans/{plan_id}/publish", json={})
        assert response.status_code == 200, response.text
        codes = response.json()["codes"]
        expected = {}
        for r in located:
            point = shapely.Point(r.x, r.y)
            ref = next(ref for ref, piece in pieces.items() if piece.covers(point))
            expected[r.code] = {
                "kind": "changed", "code": r.code, "status": r.status, "micro_grid": codes[ref],
                "lon": r.x, "lat": r.y, "queue_area": codes[ref], "department": r.dept,
                "from_queue_area": old, "from_department": r.dept,
            }  # fmt: skip
        assert posted <= set(expected) and len(shapely.get_parts(cut)) == 2
        for name in ("all", "village"):
            events = _changed(streams[name], len(expected))
            assert {e["code"]: e for e in events} == expected, name
        with pytest.raises(queue.Empty):
            streams["away"].get(timeout=0.5)
        stop.set()
