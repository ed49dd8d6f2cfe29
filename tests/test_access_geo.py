"""Who sees what of the geography and the people, role by role.

Every endpoint that takes an id (an area code, a member id, an OGC feature id, a point, a
tile) is asked by every demo account for an object inside and one outside the account's
scope: inside answers 200, outside answers 404 with the body of an id that does not exist.
Every listing returns exactly the rows inside the scope, counted here by SQL. The member
reveal needs the permission, is audited in one row without the clear values, and is
rate-limited.

The scopes are written out below by hand, not read from :mod:`geo.scope`.
"""

from __future__ import annotations

import json
import uuid

import mapbox_vector_tile
import pytest
from sqlalchemy import text

from api.ogc import Exception_, Feature
from api.schemas import Error, FeatureCollection, Located, MemberArea
from geo.tiles import tiles_covering
from tests.helpers import fresh_account

#: The area code prefix each account sees (None: everything, Dalad and Haibowan; the command
#: centre and the banner's planner see their banner).
PREFIX: dict[str, str | None] = {
    "admin": None,
    "command": "150621",
    "planner": "150621",
    "department": None,
    "department_peer": None,
    "township": "150621001",
    "planner_township": "150621001",
    "grid_worker": "15062100100101",
    "party_member": "1506210010010101",
    "township_peer": "150621002",
    "grid_worker_peer": "15062100200101",
    "party_member_peer": "1506210020010101",
}
#: Department staff see only the incidents routed to their department.
DEPARTMENT = {"department": "D02", "department_peer": "D01"}
USERS = list(PREFIX)
#: Roles that may reveal personal data; the others get 403.
REVEALERS = {
    "admin",
    "command",
    "township",
    "department",
    "grid_worker",
    "township_peer",
    "department_peer",
    "grid_worker_peer",
}
#: Heat and tile counts from 1 to k-1 are suppressed for the others (WANGGE_PRIVACY_K).
PRIVACY_K = 3
#: A revealing account whose scope holds each other account's (the oracle of its counts).
SAME_PLACE = {
    "planner": "command",
    "planner_township": "township",
    "party_member": "grid_worker",
    "party_member_peer": "grid_worker_peer",
}
#: One township, grid and micro-grid on each side: the demo accounts' and their peers'.
AREAS = {
    "township": ("150621001", "150621002"),
    "grid": ("15062100100101", "15062100200101"),
    "micro_grid": ("1506210010010101", "1506210020010101"),
}
CODES = [code for pair in AREAS.values() for code in pair]
COLLECTIONS = {"townships": "township", "grids": "grid", "micro_grids": "micro_grid"}
MAJORS = [f"0{i}" for i in range(1, 8)]
#: The sample's history: tests that commit incidents do so in the present.
WINDOW = {"from": "2023-01-01T00:00:00+08:00", "to": "2025-01-01T00:00:00+08:00"}
MISSING_CODE = "150621999"
MISSING_MEMBER = 99999999
LIVE = "a.generation_low <= 1 AND (a.generation_high IS NULL OR a.generation_high >= 1)"


def sees(user: str, code: str) -> bool:
    prefix = PREFIX[user]
    return prefix is None or code.startswith(prefix)


def _prefix_sql(column: str) -> str:
    return f"(CAST(:p AS text) IS NULL OR {column} LIKE :p || '%')"


def _missing_like(missing: str, fake: str, real: str) -> dict:
    """The body of the missing id's answer, as it would read for ``real``."""
    return json.loads(missing.replace(fake, real))


def test_the_table_matches_the_accounts(accounts):
    assert {u: accounts[u].area_code for u in USERS} == PREFIX
    assert {u: accounts[u].department_code for u in DEPARTMENT} == DEPARTMENT
    assert accounts["grid_worker"].area_code == AREAS["grid"][0]
    assert accounts["party_member"].area_code == AREAS["micro_grid"][0]


def test_signed_out_callers_get_401(anon):
    for path in (
        "/api/v1/areas",
        f"/api/v1/areas/{CODES[0]}",
        "/api/v1/areas/export?level=township&format=geojson",
        "/api/v1/locate?lon=110&lat=40.4&datum=wgs84",
        "/api/v1/members/1/area",
        "/api/v1/heat/areas",
        "/api/v1/heat/bins",
        "/api/v1/heat/hotspots",
        "/tiles/grid/12/3300/1544.pbf",
        "/ogc/collections",
        "/ogc/collections/grids/items",
        f"/ogc/collections/grids/items/{AREAS['grid'][0]}",
    ):
        assert anon.get(path).status_code == 401, path
    assert anon.post("/api/v1/members/1/reveal", json={"reason": "checking"}).status_code == 401
    assert anon.get("/ogc").status_code == anon.get("/ogc/conformance").status_code == 200


# --- one object by id --------------------------------------------------------------------


@pytest.mark.parametrize("user", USERS)
def test_area_by_code(client, auth, user):
    headers = auth(user)
    missing = client.get(f"/api/v1/areas/{MISSING_CODE}", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["detail"] == f"area {MISSING_CODE} does not exist in generation 1"
    for code in CODES:
        response = client.get(f"/api/v1/areas/{code}", headers=headers)
        if sees(user, code):
            assert response.status_code == 200, (code, response.text)
            assert response.json()["id"] == code
        else:
            assert response.status_code == 404, code
            assert response.json() == _missing_like(missing.text, MISSING_CODE, code)


@pytest.mark.parametrize("user", USERS)
def test_ogc_item_by_code(client, auth, user):
    headers = auth(user)
    for collection, level in {**COLLECTIONS, "incident_counts": "micro_grid"}.items():
        url = f"/ogc/collections/{collection}/items"
        missing = client.get(f"{url}/{MISSING_CODE}", headers=headers)
        assert missing.status_code == 404
        assert Exception_.model_validate(missing.json()).code == "NotFound"
        for code in AREAS[level]:
            response = client.get(f"{url}/{code}", headers=headers)
            if sees(user, code):
                assert response.status_code == 200, (collection, code, response.text)
                assert Feature.model_validate(response.json()).id == code
            else:
                assert response.status_code == 404, (collection, code)
                assert response.json() == _missing_like(missing.text, MISSING_CODE, code)


@pytest.fixture(scope="module")
def members(engine, accounts) -> dict[int, dict]:
    """The demo grid worker and party member, and their like in the peers' grid and micro-grid,
    with their clear name and phone."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT m.id, m.name, m.phone, a.code FROM member m "
                "JOIN area a ON a.id = m.area_id WHERE m.id = ANY(:ids) OR m.id IN ("
                "  SELECT min(m.id) FROM member m JOIN area a ON a.id = m.area_id"
                "  WHERE a.code IN (:grid, :micro) AND m.kind IN ('grid_worker', 'party_member')"
                "  GROUP BY a.code"
                ") ORDER BY m.id"
            ),
            {
                "ids": [accounts["grid_worker"].member_id, accounts["party_member"].member_id],
                "grid": AREAS["grid"][1],
                "micro": AREAS["micro_grid"][1],
            },
        ).all()
    found = {r.id: {"name": r.name, "phone": r.phone, "code": r.code} for r in rows}
    assert sorted(m["code"] for m in found.values()) == sorted(AREAS["grid"] + AREAS["micro_grid"])
    return found


def _masked(name: str) -> str:
    return name[0] + "*" * max(len(name) - 1, 1)


@pytest.mark.parametrize("user", USERS)
def test_member_area_by_id(client, auth, accounts, members, user):
    headers = auth(user)
    assert accounts["grid_worker"].member_id in members
    assert accounts["party_member"].member_id in members
    missing = client.get(f"/api/v1/members/{MISSING_MEMBER}/area", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["detail"] == f"member {MISSING_MEMBER} does not exist"
    for member_id, member in members.items():
        response = client.get(f"/api/v1/members/{member_id}/area", headers=headers)
        if sees(user, member["code"]):
            assert response.status_code == 200, (member_id, response.text)
            body = MemberArea.model_validate(response.json())
            assert body.area.id == member["code"]
            assert body.member.name == _masked(member["name"]) != member["name"]
            assert body.member.phone == member["phone"][:3] + "****" + member["phone"][-4:]
            neighbours = [f.id for f in body.neighbours.features]
            assert all(sees(user, str(code)) for code in neighbours), neighbours
            assert member["name"] not in response.text and member["phone"] not in response.text
        else:
            assert response.status_code == 404, member_id
            body = _missing_like(missing.text, str(MISSING_MEMBER), str(member_id))
            assert response.json() == body


def test_a_grid_workers_neighbours_are_only_their_own(client, auth, accounts, engine):
    """Neighbouring grids lie outside a grid worker's scope: the admin sees them, they do not."""
    member_id = accounts["grid_worker"].member_id
    admin = client.get(f"/api/v1/members/{member_id}/area").json()
    mine = client.get(f"/api/v1/members/{member_id}/area", headers=auth("grid_worker")).json()
    with engine.connect() as conn:
        expected = (
            conn.execute(
                text(
                    "SELECT a.code FROM area a, area b WHERE b.code = :g AND a.level = 'grid' "
                    f"AND a.id <> b.id AND {LIVE} AND b.generation_high IS NULL "
                    "AND ST_Intersects(a.geom, b.geom) ORDER BY a.code"
                ),
                {"g": AREAS["grid"][0]},
            )
            .scalars()
            .all()
        )
    assert [f["id"] for f in admin["neighbours"]["features"]] == expected != []
    assert mine["neighbours"]["features"] == []


@pytest.fixture(scope="module")
def points(engine) -> dict[str, tuple[float, float]]:
    """A point well inside each of the two micro-grids, in CGCS2000."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.code, ST_X(p) AS lon, ST_Y(p) AS lat "
                "FROM area a, ST_PointOnSurface(a.geom) p "
                f"WHERE a.code = ANY(:codes) AND {LIVE}"
            ),
            {"codes": list(AREAS["micro_grid"])},
        ).all()
    return {r.code: (r.lon, r.lat) for r in rows}


@pytest.mark.parametrize("user", USERS)
def test_locate_a_point(client, auth, points, user):
    headers = auth(user)
    outside = client.get(
        "/api/v1/locate", params={"lon": 2.35, "lat": 48.85, "datum": "cgcs2000"}, headers=headers
    )
    assert outside.status_code == 404
    for code, (lon, lat) in points.items():
        params = {"lon": lon, "lat": lat, "datum": "cgcs2000"}
        response = client.get("/api/v1/locate", params=params, headers=headers)
        if sees(user, code):
            assert response.status_code == 200, (code, response.text)
            body = Located.model_validate(response.json())
            assert body.chain[-1].code == code
            people = [body.responsible.grid_worker, *body.responsible.party_members]
            assert all(p is not None and p.name.endswith("*") for p in people)
        else:
            assert response.status_code == 404, code
            body = Error.model_validate(response.json())
            assert response.json() == _missing_like(
                outside.text.replace("2.35", str(lon)), "48.85", str(lat)
            )
            assert response.json()["nearest"] == {"code": None, "distance_m": None}
            assert body.detail.endswith(" in cgcs2000 is outside every micro-grid")


def _tile_codes(response) -> list[str]:
    if response.status_code == 204:
        return []
    assert response.status_code == 200, response.text
    decoded = mapbox_vector_tile.decode(response.content)
    return sorted(f["properties"]["code"] for layer in decoded.values() for f in layer["features"])


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    ((tz, tx, ty),) = list(tiles_covering((lon, lat, lon, lat), z))
    return tz, tx, ty


@pytest.mark.parametrize("user", USERS)
def test_tiles_hold_only_the_scope(client, auth, engine, points, user):
    headers = auth(user)
    for code, (lon, lat) in points.items():
        z, x, y = _tile_of(lon, lat, 14)
        with engine.connect() as conn:
            expected = (
                conn.execute(
                    text(
                        "SELECT a.code FROM area a WHERE a.level = 'micro_grid' "
                        f"AND {LIVE} AND {_prefix_sql('a.code')} AND ST_Intersects(a.geom, "
                        "ST_Transform(ST_TileEnvelope(:z, :x, :y), 4490)) ORDER BY a.code"
                    ),
                    {"p": PREFIX[user], "z": z, "x": x, "y": y},
                )
                .scalars()
                .all()
            )
            per_grid = conn.execute(
                text(
                    "SELECT count(*) FROM incident i JOIN area a ON a.id = i.micro_grid_id "
                    "JOIN department d ON d.id = i.department_id WHERE a.code = ANY(:codes) "
                    "AND (CAST(:d AS text) IS NULL OR d.code = :d) GROUP BY a.code"
                ),
                {"codes": expected, "d": DEPARTMENT.get(user)},
            ).scalars()
            # roles that may not reveal get micro-grids under k (3) left out of the tile
            incidents = sum(n for n in per_grid if user in REVEALERS or n >= PRIVACY_K)
        response = client.get(f"/tiles/micro_grid/{z}/{x}/{y}.pbf", headers=headers)
        assert _tile_codes(response) == expected
        assert (code in expected) == sees(user, code)
        if not expected:
            assert response.status_code == 204
        counts = client.get(f"/tiles/incidents/{z}/{x}/{y}.pbf", headers=headers)
        served = mapbox_vector_tile.decode(counts.content) if counts.status_code == 200 else {}
        features = served.get("incidents", {}).get("features", [])
        assert sum(f["properties"]["total_count"] for f in features) == incidents
        assert all(f["properties"]["code"] in expected for f in features)


# --- listings ----------------------------------------------------------------------------


def _count_areas(conn, user: str, level: str | None = None) -> int:
    return conn.execute(
        text(
            f"SELECT count(*) FROM area a WHERE {LIVE} AND {_prefix_sql('a.code')} "
            "AND (CAST(:level AS text) IS NULL OR a.level = :level)"
        ),
        {"p": PREFIX[user], "level": level},
    ).scalar_one()


def _count_incidents(conn, user: str, category: str | None = None) -> int:
    """Incidents held in an area inside the scope (and routed to the user's department)."""
    return conn.execute(
        text(
            "SELECT count(*) FROM incident i JOIN area q ON q.id = i.queue_area_id "
            "JOIN department d ON d.id = i.department_id "
            f"WHERE {_prefix_sql('q.code')} AND (CAST(:d AS text) IS NULL OR d.code = :d) "
            "AND (CAST(:c AS text) IS NULL OR i.category_code LIKE :c || '%')"
        ),
        {"p": PREFIX[user], "d": DEPARTMENT.get(user), "c": category},
    ).scalar_one()


@pytest.mark.parametrize("user", USERS)
def test_area_lists_hold_only_the_scope(client, auth, engine, user):
    headers = auth(user)
    with engine.connect() as conn:
        everything = _count_areas(conn, user)
        per_level = {level: _count_areas(conn, user, level) for level in AREAS}
    body = client.get("/api/v1/areas", params={"limit": 1}, headers=headers).json()
    assert body["numberMatched"] == everything
    for level, expected in per_level.items():
        response = client.get(
            "/api/v1/areas", params={"level": level, "limit": 1000}, headers=headers
        )
        page = FeatureCollection.model_validate(response.json())
        assert page.numberMatched == expected
        assert len(page.features) == min(expected, 1000)
        assert all(sees(user, str(f.id)) for f in page.features)
    if PREFIX[user] is None:  # Dalad's 8 / 528 / 6,300 and Haibowan's 5 / 42 / 240
        assert per_level == {"township": 13, "grid": 570, "micro_grid": 6540}
    elif PREFIX[user] == "150621":
        assert per_level == {"township": 8, "grid": 528, "micro_grid": 6300}
    elif len(PREFIX[user] or "") == 16:
        assert per_level == {"township": 0, "grid": 0, "micro_grid": 1}


@pytest.mark.parametrize("user", ["township", "grid_worker", "party_member"])
def test_a_parent_outside_the_scope_is_404(client, auth, user):
    headers = auth(user)
    for parent in ("150621", "150621002"):
        response = client.get("/api/v1/areas", params={"parent": parent}, headers=headers)
        assert response.status_code == 404
        assert response.json()["detail"] == f"area {parent} does not exist in generation 1"


@pytest.mark.parametrize("user", USERS)
def test_export_holds_only_the_scope(client, auth, engine, user):
    with engine.connect() as conn:
        expected = _count_areas(conn, user, "grid")
    response = client.get(
        "/api/v1/areas/export", params={"level": "grid", "format": "geojson"}, headers=auth(user)
    )
    assert response.status_code == 200, response.text
    features = response.json()["features"]
    assert len(features) == expected
    assert all(sees(user, f["properties"]["code"]) for f in features)


@pytest.mark.parametrize("user", USERS)
def test_ogc_lists_hold_only_the_scope(client, auth, engine, user):
    headers = auth(user)
    with engine.connect() as conn:
        expected = {c: _count_areas(conn, user, level) for c, level in COLLECTIONS.items()}
        placed = conn.execute(
            text(
                "SELECT count(*) FROM incident i JOIN area a ON a.id = i.micro_grid_id "
                "JOIN department d ON d.id = i.department_id "
                f"WHERE {_prefix_sql('a.code')} AND (CAST(:d AS text) IS NULL OR d.code = :d)"
            ),
            {"p": PREFIX[user], "d": DEPARTMENT.get(user)},
        ).scalar_one()
        extent = conn.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
                f"ST_Extent(a.geom) AS e FROM area a WHERE a.level = 'micro_grid' AND {LIVE} "
                f"AND {_prefix_sql('a.code')}) x"
            ),
            {"p": PREFIX[user]},
        ).one()
    for collection, n in expected.items():
        body = client.get(
            f"/ogc/collections/{collection}/items", params={"limit": 10_000}, headers=headers
        ).json()
        assert body["numberMatched"] == body["numberReturned"] == n, collection
        assert all(sees(user, f["id"]) for f in body["features"])
    counts = client.get(
        "/ogc/collections/incident_counts/items", params={"limit": 10_000}, headers=headers
    ).json()
    assert counts["numberMatched"] == expected["micro_grids"]
    assert sum(f["properties"]["total_count"] for f in counts["features"]) == placed
    micro = client.get("/ogc/collections/micro_grids", headers=headers).json()
    assert micro["extent"]["spatial"]["bbox"] == [pytest.approx(list(extent), abs=1e-7)]
    townships = client.get("/ogc/collections/townships", headers=headers).json()
    assert (townships["extent"]["spatial"]["bbox"] == []) == (expected["townships"] == 0)


@pytest.mark.parametrize("user", USERS)
def test_heat_holds_only_the_scope(client, auth, engine, user):
    headers = auth(user)
    with engine.connect() as conn:
        micro_grids = _count_areas(conn, user, "micro_grid")
        disputes = _count_incidents(conn, user, "01")
    params = {"category": "01", "simplify": 500}
    areas = client.get("/api/v1/heat/areas", params=params, headers=headers).json()
    assert len(areas["features"]) == micro_grids
    assert all(sees(user, f["id"]) for f in areas["features"])
    bins = client.get("/api/v1/heat/bins", params={"category": "01"}, headers=headers).json()
    if user in REVEALERS:
        assert areas["total"] == bins["total"] == disputes
    else:  # counts from 1 to k-1 suppressed: read against a revealing peer of the same place
        peer = client.get("/api/v1/heat/areas", params=params, headers=auth(SAME_PLACE[user]))
        full = {f["id"]: f["properties"]["count"] for f in peer.json()["features"]}
        shown = {f["id"]: f["properties"]["count"] for f in areas["features"]}
        assert shown == {c: (None if 0 < full[c] < PRIVACY_K else full[c]) for c in shown}
        assert areas["total"] == sum(n or 0 for n in shown.values()) <= disputes
        assert all(f["properties"]["count"] >= PRIVACY_K for f in bins["features"])
    response = client.get("/api/v1/heat/hotspots", params=params, headers=headers)
    assert response.status_code == 200, response.text
    spots = response.json()
    assert spots["total"] == areas["total"]
    assert [f["id"] for f in spots["features"]] == [f["id"] for f in areas["features"]]
    assert sum(spots["classes"].values()) == micro_grids


@pytest.mark.parametrize(
    ("user", "expected"),
    [("department", 610), ("department_peer", 480), ("township", 2676), ("admin", 7740)],
)
def test_heat_counts_a_departments_incidents_and_a_townships(client, auth, user, expected):
    """Every major category of the sample's history (2023-2024), summed."""
    total = 0
    for major in MAJORS:
        params = {**WINDOW, "category": major, "simplify": 500}
        body = client.get("/api/v1/heat/areas", params=params, headers=auth(user)).json()
        bins = client.get("/api/v1/heat/bins", params=params, headers=auth(user)).json()
        assert body["total"] == bins["total"]
        total += body["total"]
    assert total == expected


# --- the member reveal -------------------------------------------------------------------


def _audit(engine, reason: str) -> list:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT * FROM audit_log WHERE reason = :r ORDER BY id"), {"r": reason}
        ).all()


@pytest.fixture
def fresh_limits(client):
    client.app.state.limiter.reset()
    yield
    client.app.state.limiter.reset()


@pytest.mark.parametrize("user", USERS)
def test_reveal_a_member(client, auth, engine, accounts, members, fresh_limits, user):
    headers = auth(user)
    reason = f"回访核实 {uuid.uuid4()}"
    missing = client.post(
        f"/api/v1/members/{MISSING_MEMBER}/reveal", json={"reason": reason}, headers=headers
    )
    expected_rows = 0
    for member_id, member in members.items():
        url = f"/api/v1/members/{member_id}/reveal"
        response = client.post(url, json={"reason": reason}, headers=headers)
        if user not in REVEALERS:
            assert response.status_code == 403, (member_id, response.text)
            assert member["phone"] not in response.text
        elif sees(user, member["code"]):
            assert response.status_code == 200, (member_id, response.text)
            assert response.json() == {
                "object_type": "member",
                "object_id": str(member_id),
                "fields": {"name": member["name"], "phone": member["phone"]},
                "audited": True,
            }
            expected_rows += 1
            rows = _audit(engine, reason)
            assert len(rows) == expected_rows
            row = rows[-1]
            assert (row.actor, row.action) == (user, "personal_data.reveal")
            assert row.role == accounts[user].role.value
            assert (row.object_type, row.object_id) == ("member", str(member_id))
            assert row.after == {"fields": ["name", "phone"]} and row.before is None
            assert member["phone"] not in json.dumps(row._asdict(), default=str)
            assert member["name"] not in json.dumps(row._asdict(), default=str, ensure_ascii=False)
        else:
            assert response.status_code == 404, member_id
            assert missing.status_code == 404
            assert response.json() == _missing_like(
                missing.text, str(MISSING_MEMBER), str(member_id)
            )
    assert len(_audit(engine, reason)) == expected_rows
    if user not in REVEALERS:
        assert missing.status_code == 403 and expected_rows == 0


def test_reveal_needs_a_reason(client, members, fresh_limits):
    member_id = next(iter(members))
    response = client.post(f"/api/v1/members/{member_id}/reveal", json={"reason": ""})
    assert response.status_code == 422
    assert client.post(f"/api/v1/members/{member_id}/reveal", json={}).status_code == 422


def test_reveal_is_rate_limited(client, engine, accounts, fresh_limits):
    settings = client.app.state.settings
    saved = settings.reveal_rate
    reason = f"批量核查 {uuid.uuid4()}"
    member_id = accounts["party_member"].member_id
    worker, headers = fresh_account(engine, settings, accounts["grid_worker"])
    township, township_headers = fresh_account(engine, settings, accounts["township"])
    try:
        settings.reveal_rate = "2/minute"
        url = f"/api/v1/members/{member_id}/reveal"
        answers = [client.post(url, json={"reason": reason}, headers=headers) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert 1 <= int(answers[2].headers["retry-after"]) <= 60
        assert "reveal" in answers[2].json()["detail"]
        # another account has its own allowance
        other = client.post(url, json={"reason": reason}, headers=township_headers)
        assert other.status_code == 200
    finally:
        settings.reveal_rate = saved
    assert [(r.actor, r.action) for r in _audit(engine, reason)] == [
        (worker, "personal_data.reveal"),
        (worker, "personal_data.reveal"),
        (township, "personal_data.reveal"),
    ]
