"""Who may see and change boundary plans and the map pages: the access matrix.

Every endpoint taking a plan id (or a member id, for the field page) is asked by every demo
role about a plan inside and one outside the role's scope: inside answers, outside is a 404
with the body of a missing id. Lists hold exactly the plans the test finds in scope by SQL.
Writes by roles without the permission are 403 and write nothing; each allowed write leaves
one audit entry naming its actor. Nothing here publishes (see ``test_plan_publish.py``).
"""

from __future__ import annotations

import json
import re

import pytest
import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import text

from api.plan_schemas import Impact, PlanListed, PlanSummary

ROLES = [
    "admin",
    "command",
    "planner",
    "township",
    "department",
    "grid_worker",
    "party_member",
    "township_peer",
    "grid_worker_peer",
    "party_member_peer",
    "department_peer",
    "planner_township",
]
#: The accounts whose role may draft, edit and publish plans.
PLANNERS = {"admin", "planner", "planner_township"}
MISSING = 987654321

READS = ["", "/areas", "/areas/{ref}", "/impact", "/impact.geojson"]
PLANNER_READS = ["/check", "/repairs"]


@pytest.fixture(scope="module")
def plans(client, accounts):
    """Four drafts by the admin: a village and a grid in the demo township, and a village and
    a grid in the next one; ``{name: (id, scope code, a draft area's ref)}``."""
    scopes = {
        "village_in": "150621001001",
        "village_out": "150621002001",
        "grid_in": accounts["grid_worker"].area_code,
        "grid_out": accounts["grid_worker_peer"].area_code,
    }
    made = {}
    for name, code in scopes.items():
        created = client.post("/api/v1/plans", json={"scope_code": code, "description": name})
        assert created.status_code == 201, created.text
        plan_id = created.json()["id"]
        areas = client.get(f"/api/v1/plans/{plan_id}/areas").json()["features"]
        made[name] = (plan_id, code, areas[0]["id"])
    yield made
    for plan_id, _, _ in made.values():
        client.delete(f"/api/v1/plans/{plan_id}")


def _prefix(accounts, username):
    return accounts[username].area_code


def _in_scope(engine, prefix, ids=None):
    """Plan ids inside the area ``prefix`` (None: the banner), by SQL."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id FROM plan WHERE (CAST(:ids AS int[]) IS NULL OR id = ANY(:ids)) "
                "AND (CAST(:p AS text) IS NULL OR scope_code LIKE :p || '%')"
            ),
            {"p": prefix, "ids": ids},
        ).scalars()
        return set(rows)


def _same_404(response, missing, real_id, said="plan "):
    """An out-of-scope answer is the missing id's answer, the id (after ``said``) aside."""
    assert response.status_code == missing.status_code == 404, response.text
    assert response.headers["content-type"] == missing.headers["content-type"]
    ours = response.text.replace(f"{said}{real_id}", f"{said}ID")
    assert ours == missing.text.replace(f"{said}{MISSING}", f"{said}ID")
    assert f"{said}ID" in ours


def _written(engine):
    """What a refused write must leave as it was."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT (SELECT count(*) FROM plan), (SELECT coalesce(sum(version), 0) FROM plan), "
                "(SELECT count(*) FROM plan_area), "
                "(SELECT coalesce(sum(version), 0) FROM plan_area), "
                "(SELECT count(*) FROM audit_log), (SELECT count(*) FROM generation)"
            )
        ).one()


def _last_audit(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()


def _audits(engine, since, plan_id):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT action, actor, role, before, after FROM audit_log "
                "WHERE id > :since AND object_type = 'plan' AND object_id = :id ORDER BY id"
            ),
            {"since": since, "id": str(plan_id)},
        ).all()


# reads -------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ROLES)
def test_the_list_holds_exactly_the_plans_in_scope(client, auth, accounts, engine, plans, username):
    listed = client.get("/api/v1/plans", headers=auth(username))
    assert listed.status_code == 200
    ids = {PlanListed.model_validate(p).id for p in listed.json()}
    assert ids == _in_scope(engine, _prefix(accounts, username))
    mine = {plan_id for plan_id, _, _ in plans.values()}
    expected = {
        "admin": 4,
        "command": 4,
        "planner": 4,
        "department": 4,
        "department_peer": 4,
        "township": 2,
        "planner_township": 2,
        "township_peer": 2,
        "grid_worker": 1,
        "grid_worker_peer": 1,
        "party_member": 0,
        "party_member_peer": 0,
    }
    assert len(ids & mine) == expected[username]


@pytest.mark.parametrize("username", ROLES)
def test_reading_a_plan_in_scope_answers_and_outside_is_a_missing_one(
    client, auth, accounts, engine, plans, username
):
    headers = auth(username)
    ids = [plan_id for plan_id, _, _ in plans.values()]
    inside = _in_scope(engine, _prefix(accounts, username), ids)
    may_plan = username in PLANNERS
    for plan_id, _, ref in plans.values():
        for path in READS + PLANNER_READS:
            url = "/api/v1/plans/{id}" + path.format(ref=ref)
            response = client.get(url.format(id=plan_id), headers=headers)
            if path in PLANNER_READS and not may_plan:
                assert response.status_code == 403, (username, path)
                continue
            if plan_id in inside:
                assert response.status_code == 200, (username, path, response.text)
                if path == "":
                    assert PlanSummary.model_validate(response.json()).id == plan_id
                if path == "/impact":
                    Impact.model_validate(response.json())
            else:
                missing = client.get(url.format(id=MISSING), headers=headers)
                _same_404(response, missing, plan_id)


# writes ------------------------------------------------------------------------------------


def _writes(plan_id, ref, geometry):
    """Every write on a plan, as (method, path, keyword arguments)."""
    square = mapping(shapely.box(110.0, 40.0, 110.001, 40.001))
    line = {"type": "LineString", "coordinates": [[109, 39], [111, 41]]}
    upload = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"code": ref, "name": "x"}, "geometry": geometry}
            ],
        }
    ).encode()
    base = f"/api/v1/plans/{plan_id}"
    return [
        ("DELETE", base, {}),
        (
            "POST",
            f"{base}/areas",
            {"json": {"parent": ref, "name": "新", "geometry": square, "datum": "wgs84"}},
        ),
        (
            "PUT",
            f"{base}/areas/{ref}",
            {"json": {"geometry": geometry, "datum": "cgcs2000", "name": "改", "version": 1}},
        ),
        ("DELETE", f"{base}/areas/{ref}", {"params": {"version": 1}}),
        (
            "POST",
            f"{base}/areas/{ref}/split",
            {"json": {"line": line, "datum": "wgs84", "version": 1}},
        ),
        ("POST", f"{base}/merge", {"json": {"refs": [ref, "x"], "versions": {ref: 1, "x": 1}}}),
        (
            "POST",
            f"{base}/upload",
            {
                "files": {"file": ("a.geojson", upload, "application/geo+json")},
                "data": {"level": "micro_grid", "version": "1"},
            },
        ),
        ("POST", f"{base}/repairs/apply", {"json": {"ids": ["snap:x@1"]}}),
        ("POST", f"{base}/publish", {"json": {}}),
    ]


@pytest.mark.parametrize("username", sorted(set(ROLES) - PLANNERS))
def test_roles_without_the_plan_permission_write_nothing(client, auth, engine, plans, username):
    headers = auth(username)
    plan_id, code, ref = plans["grid_in"]
    geometry = client.get(f"/api/v1/plans/{plan_id}/areas/{ref}").json()["geometry"]
    before = _written(engine)
    created = client.post("/api/v1/plans", json={"scope_code": code}, headers=headers)
    assert created.status_code == 403, created.text
    for method, path, kwargs in _writes(plan_id, ref, geometry):
        response = client.request(method, path, headers=headers, **kwargs)
        assert response.status_code == 403, (method, path, response.text)
        assert "may not" in response.json()["detail"]
    assert _written(engine) == before


def test_a_township_planner_cannot_touch_another_townships_plan(client, auth, engine, plans):
    headers = auth("planner_township")
    plan_id, code, ref = plans["grid_out"]
    geometry = client.get(f"/api/v1/plans/{plan_id}/areas/{ref}").json()["geometry"]
    before = _written(engine)
    outside = client.post("/api/v1/plans", json={"scope_code": code}, headers=headers)
    assert outside.status_code == 422
    assert outside.json()["errors"] == [
        {
            "where": "body",
            "field": "scope_code",
            "message": f"{code} is outside your area 150621001",
        }
    ]
    for scope in ("150621", "150621002"):  # the banner and the next township
        refused = client.post("/api/v1/plans", json={"scope_code": scope}, headers=headers)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "scope_code"
    for (method, path, kwargs), (_, missing_path, _) in zip(
        _writes(plan_id, ref, geometry), _writes(MISSING, ref, geometry), strict=True
    ):
        response = client.request(method, path, headers=headers, **kwargs)
        missing = client.request(method, missing_path, headers=headers, **kwargs)
        _same_404(response, missing, plan_id)
    assert _written(engine) == before


def test_a_publication_needs_the_plan_in_scope(client, auth, plans):
    """Publishing an in-scope draft that changes nothing is refused for that reason (422),
    proving it was found; outside the scope it is missing (404)."""
    for username in sorted(PLANNERS):
        plan_id, _, _ = plans["grid_in"]
        response = client.post(f"/api/v1/plans/{plan_id}/publish", headers=auth(username))
        assert response.status_code == 422 and "changes nothing" in response.json()["detail"]
    plan_id, _, _ = plans["grid_out"]
    response = client.post(f"/api/v1/plans/{plan_id}/publish", headers=auth("planner_township"))
    missing = client.post(f"/api/v1/plans/{MISSING}/publish", headers=auth("planner_township"))
    _same_404(response, missing, plan_id)


def _vertices(geometry):
    return int(shapely.get_num_coordinates(shape(geometry)))


def _neighbours(micro):
    for a, fa in sorted(micro.items()):
        for b, fb in sorted(micro.items()):
            if a < b and shape(fa["geometry"]).intersection(shape(fb["geometry"])).length > 0:
                return a, b
    raise AssertionError("no neighbours")


def test_every_write_of_a_township_planner_is_audited(client, auth, accounts, engine):
    headers = auth("planner_township")
    since = _last_audit(engine)
    grid = accounts["grid_worker"].area_code
    created = client.post(
        "/api/v1/plans", json={"scope_code": grid, "description": "审计"}, headers=headers
    )
    assert created.status_code == 201, created.text
    plan_id = created.json()["id"]
    assert created.json()["author"] == "planner_township"
    url = f"/api/v1/plans/{plan_id}"
    micro = {
        f["id"]: f
        for f in client.get(f"{url}/areas", params={"level": "micro_grid"}, headers=headers).json()[
            "features"
        ]
    }
    a, b = _neighbours(micro)
    n_a = _vertices(micro[a]["geometry"])
    # a rename, a new area and its removal, a split and a merge, an upload, repairs, deletion
    renamed = client.put(
        f"{url}/areas/{a}",
        json={"geometry": micro[a]["geometry"], "datum": "cgcs2000", "name": "改名", "version": 1},
        headers=headers,
    )
    assert renamed.status_code == 200, renamed.text
    # inside the plan's scope (a shape far outside it is refused)
    inside = shape(micro[a]["geometry"]).representative_point()
    square = mapping(shapely.box(inside.x, inside.y, inside.x + 0.0005, inside.y + 0.0005))
    added = client.post(
        f"{url}/areas",
        json={"parent": grid, "name": "新微网格", "geometry": square, "datum": "cgcs2000"},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    new_ref = added.json()["id"]
    removed = client.delete(f"{url}/areas/{new_ref}", params={"version": 1}, headers=headers)
    assert removed.status_code == 204
    polygon = shape(micro[b]["geometry"]).geoms[0]
    xs = list(polygon.exterior.coords)
    v1, v2 = xs[0], xs[2]
    d = (v2[0] - v1[0], v2[1] - v1[1])
    cut = [
        (v1[0] - d[0] * 0.1, v1[1] - d[1] * 0.1),
        v1,
        v2,
        (v2[0] + d[0] * 0.1, v2[1] + d[1] * 0.1),
    ]
    split = client.post(
        f"{url}/areas/{b}/split",
        json={"line": {"type": "LineString", "coordinates": cut}, "datum": "cgcs2000"},
        headers={"If-Match": '"1"', **headers},
    )
    assert split.status_code == 200, split.text
    piece = next(f["id"] for f in split.json()["features"] if f["id"] != b)
    merged = client.post(
        f"{url}/merge", json={"refs": [b, piece], "versions": {b: 2, piece: 1}}, headers=headers
    )
    assert merged.status_code == 200, merged.text
    level = client.get(f"{url}/areas", params={"level": "micro_grid"}, headers=headers).json()
    features = [
        {"type": "Feature", "properties": {"code": f["id"], "name": ""}, "geometry": f["geometry"]}
        for f in level["features"]
    ]
    moved = shapely.transform(shape(features[0]["geometry"]), lambda xy: xy + 2e-6)
    features[0]["geometry"] = mapping(moved)  # ~0.2 m off: a snap repair is offered
    version = client.get(url, headers=headers).json()["version"]
    uploaded = client.post(
        f"{url}/upload",
        files={
            "file": (
                "m.geojson",
                json.dumps({"type": "FeatureCollection", "features": features}).encode(),
                "application/geo+json",
            )
        },
        data={"level": "micro_grid", "version": str(version)},
        headers=headers,
    )
    assert uploaded.status_code == 200, uploaded.text
    offered = client.get(f"{url}/repairs", params={"snap_tolerance_m": 1}, headers=headers).json()
    assert offered["features"]
    ids = [f["id"] for f in offered["features"]]
    applied = client.post(
        f"{url}/repairs/apply", json={"ids": ids, "snap_tolerance_m": 1}, headers=headers
    )
    assert applied.status_code == 200, applied.text
    assert client.delete(url, headers=headers).status_code == 204

    entries = _audits(engine, since, plan_id)
    assert [e.action for e in entries] == [
        "plan.create",
        "plan.area.update",
        "plan.area.add",
        "plan.area.delete",
        "plan.area.split",
        "plan.area.merge",
        "plan.upload",
        "plan.repairs.apply",
        "plan.delete",
    ]
    assert {(e.actor, e.role) for e in entries} == {("planner_township", "planner")}
    create, rename, add, remove, split_, merge, upload, repairs, delete = entries
    assert create.before is None and create.after["scope"]["code"] == grid
    assert create.after["author"] == "planner_township" and create.after["version"] == 1
    assert rename.before == {
        a: {
            "name": micro[a]["properties"]["name"],
            "level": "micro_grid",
            "parent": grid,
            "version": 1,
            "vertices": n_a,
        }
    }
    assert rename.after == {a: {**rename.before[a], "name": "改名", "version": 2}}
    assert add.before == {new_ref: None}
    assert add.after[new_ref]["name"] == "新微网格" and add.after[new_ref]["vertices"] == 5
    assert remove.before == add.after and remove.after == {new_ref: None}
    assert split_.before[piece] is None and split_.after[piece]["version"] == 1
    assert split_.after[b]["version"] == 2 and set(split_.after) == {b, piece}
    assert merge.before[piece] is not None and merge.after == {
        b: merge.after[b],
        piece: None,
    }
    assert merge.after[b]["vertices"] == _vertices(merged.json()["geometry"])
    first = features[0]["properties"]["code"]
    assert upload.after[first]["vertices"] == _vertices(features[0]["geometry"])
    assert set(repairs.after) == set(applied.json()["changed"])
    assert delete.before["scope"]["code"] == grid and delete.after is None
    for entry in entries:  # summaries, never geometries
        assert "coordinates" not in json.dumps([entry.before, entry.after])


# impact: members masked, department staff see their department's incidents ------------------


def test_the_impact_masks_members_and_shows_departments_their_incidents(
    client, auth, accounts, engine
):
    with engine.connect() as conn:  # a micro-grid of the demo township with open incidents
        busiest = conn.execute(
            text(
                "SELECT q.code FROM incident i JOIN area q ON q.id = i.queue_area_id "
                "WHERE q.code LIKE '150621001%' AND q.level = 'micro_grid' "
                "AND q.generation_high IS NULL "
                "AND i.status NOT IN ('closed', 'evaluated', 'void') GROUP BY q.id, q.code "
                "ORDER BY EXISTS (SELECT 1 FROM member m WHERE m.area_id = q.id) DESC, "
                "count(DISTINCT i.department_id) DESC, count(*) DESC, q.code LIMIT 1"
            )
        ).scalar_one()
    grid = busiest[:14]
    plan_id = client.post("/api/v1/plans", json={"scope_code": grid}).json()["id"]
    try:
        feature = client.get(f"/api/v1/plans/{plan_id}/areas/{busiest}").json()
        renamed = client.put(
            f"/api/v1/plans/{plan_id}/areas/{busiest}",
            json={"geometry": feature["geometry"], "datum": "cgcs2000", "name": "改", "version": 1},
        )
        assert renamed.status_code == 200
        everything = client.get(f"/api/v1/plans/{plan_id}/impact").json()
        codes = [i["code"] for i in everything["incidents"]]
        assert codes
        with engine.connect() as conn:
            by_department = dict(
                conn.execute(
                    text(
                        "SELECT i.code, d.code FROM incident i "
                        "JOIN department d ON d.id = i.department_id WHERE i.code = ANY(:c)"
                    ),
                    {"c": codes},
                ).all()
            )
            clear = dict(
                conn.execute(
                    text("SELECT id, name FROM member WHERE id = ANY(:ids)"),
                    {"ids": [m["id"] for m in everything["members"]]},
                ).all()
            )
        for username in ("department", "department_peer"):
            mine = client.get(f"/api/v1/plans/{plan_id}/impact", headers=auth(username)).json()
            department = accounts[username].department_code
            assert [i["code"] for i in mine["incidents"]] == [
                c for c in codes if by_department[c] == department
            ]
        assert everything["members"], "the micro-grid's party members change area"
        for member in everything["members"]:
            name = clear[member["id"]]
            assert member["name"] == name[0] + "*" * (len(name) - 1)
            if len(name) > 1:
                assert name not in json.dumps(everything, ensure_ascii=False)
    finally:
        client.delete(f"/api/v1/plans/{plan_id}")


def test_a_departments_impact_counts_only_its_own_incidents(client, auth, accounts, engine):
    """The figures (counts, workload, the layer's properties) of department staff hold the
    open incidents routed to their department, as the incident list does; counted here by
    SQL over the retired micro-grid's boundary."""
    with engine.connect() as conn:  # a live micro-grid with open incidents of both departments
        busiest = conn.execute(
            text(
                "SELECT q.code FROM incident i JOIN area q ON q.id = i.queue_area_id "
                "JOIN department d ON d.id = i.department_id "
                "WHERE q.level = 'micro_grid' AND q.generation_high IS NULL "
                "AND i.status NOT IN ('closed', 'evaluated', 'void') GROUP BY q.code "
                "HAVING count(*) FILTER (WHERE d.code = :a) > 0 "
                "AND count(*) FILTER (WHERE d.code <> :a) > 0 "
                "ORDER BY count(*) DESC, q.code LIMIT 1"
            ),
            {"a": accounts["department"].department_code},
        ).scalar_one()
        open_in = {
            code: dict(
                conn.execute(
                    text(
                        "SELECT d.code, count(*) FROM incident i "
                        "JOIN department d ON d.id = i.department_id, area a "
                        "WHERE a.code = :code AND a.generation_high IS NULL "
                        "AND i.status NOT IN ('closed', 'evaluated', 'void') "
                        "AND ST_Intersects(a.geom, i.geom) GROUP BY d.code"
                    ),
                    {"code": code},
                ).all()
            )
            for code in (busiest, busiest[:14])
        }
    plan_id = client.post("/api/v1/plans", json={"scope_code": busiest[:14]}).json()["id"]
    try:
        feature = client.get(f"/api/v1/plans/{plan_id}/areas/{busiest}").json()
        renamed = client.put(
            f"/api/v1/plans/{plan_id}/areas/{busiest}",
            json={"geometry": feature["geometry"], "datum": "cgcs2000", "name": "改", "version": 1},
        )
        assert renamed.status_code == 200, renamed.text
        for username in ("admin", "department", "department_peer"):
            department = accounts[username].department_code
            expected, in_grid = (
                open_in[code].get(department, 0) if department else sum(open_in[code].values())
                for code in (busiest, busiest[:14])
            )
            seen = client.get(f"/api/v1/plans/{plan_id}/impact", headers=auth(username)).json()
            before = {c["code"]: c["open_incidents"] for c in seen["counts"]["before"]}
            assert before[busiest] == expected, username
            after = [c["open_incidents"] for c in seen["counts"]["after"]]
            assert after == [expected], username
            workload = seen["workload"]["before"]["micro_grid"]["open_incidents"]
            assert workload == in_grid, username
            layer = client.get(
                f"/api/v1/plans/{plan_id}/impact.geojson", headers=auth(username)
            ).json()
            figures = {f["id"]: f["properties"]["open_incidents"] for f in layer["features"]}
            assert figures[f"before:{busiest}"] == expected, username
        mine = open_in[busiest][accounts["department"].department_code]
        assert 0 < mine < sum(open_in[busiest].values())
    finally:
        client.delete(f"/api/v1/plans/{plan_id}")


# pages -------------------------------------------------------------------------------------

PAGES = ["/maps/", "/maps/command", "/maps/heat", "/maps/field", "/maps/plan"]


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_visitors_are_sent_to_sign_in(anon, path):
    response = anon.get(path, params={"member": 1}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}%3Fmember%3D1"


@pytest.mark.parametrize("username", ROLES)
def test_field_page_of_a_member_in_scope_and_outside(client, auth, accounts, engine, username):
    with engine.connect() as conn:
        members = dict(
            conn.execute(
                text(
                    "SELECT DISTINCT ON (left(a.code, 9)) m.id, a.code FROM member m "
                    "JOIN area a ON a.id = m.area_id WHERE m.kind = 'grid_worker' "
                    "AND left(a.code, 9) IN ('150621001', '150621002') "
                    "ORDER BY left(a.code, 9), a.code, m.id"
                )
            ).all()
        )
    members[accounts["grid_worker"].member_id] = accounts["grid_worker"].area_code
    prefix = _prefix(accounts, username)
    headers = auth(username)
    for member_id, code in members.items():
        response = client.get("/maps/field", params={"member": member_id}, headers=headers)
        if prefix is None or code.startswith(prefix):
            assert response.status_code == 200, (username, member_id)
            assert "/static/wangge/field.js" in response.text
        else:
            missing = client.get("/maps/field", params={"member": MISSING}, headers=headers)
            _same_404(response, missing, member_id, said="找不到成员 ")
    own = client.get("/maps/field", headers=headers)
    if accounts[username].member_id is not None:
        assert own.status_code == 200 and "/static/wangge/field.js" in own.text
    elif accounts[username].department_code is not None:  # 部门报到: the whistle's summons
        assert own.status_code == 200 and "/static/wangge/field-whistle.js" in own.text
    else:
        assert own.status_code == 404 and "不对应网格成员" in own.text


@pytest.mark.parametrize("username", ROLES)
def test_plan_page_needs_the_plan_permission_and_the_plan_in_scope(
    client, auth, accounts, engine, plans, username
):
    headers = auth(username)
    ids = [plan_id for plan_id, _, _ in plans.values()]
    inside = _in_scope(engine, _prefix(accounts, username), ids)
    for plan_id in ids:
        response = client.get("/maps/plan", params={"plan": plan_id}, headers=headers)
        if username not in PLANNERS:
            assert response.status_code == 403 and "无权访问" in response.text
            assert "没有网格调整的权限" in response.text
        elif plan_id in inside:
            assert response.status_code == 200 and "/static/wangge/plan.js" in response.text
        else:
            missing = client.get("/maps/plan", params={"plan": MISSING}, headers=headers)
            _same_404(response, missing, plan_id, said="找不到规划方案 ")


@pytest.mark.parametrize("username", ROLES)
def test_the_index_shows_the_areas_in_scope(client, auth, accounts, engine, username):
    html = client.get("/maps/", headers=auth(username)).text
    shown = re.findall(r'"code": "(\d+)"', html)
    prefix = _prefix(accounts, username)
    with engine.connect() as conn:
        expected = conn.execute(
            text(
                "WITH s AS (SELECT CAST(:p AS text) AS p) SELECT code FROM area, s "
                "WHERE generation_high IS NULL AND (code = p AND length(p) > 6 OR "
                "coalesce(length(p), 0) <= 6 AND level = 'township' AND "
                "code LIKE coalesce(p, '') || '%') ORDER BY code"
            ),
            {"p": prefix},
        ).scalars()
        assert shown == list(expected)
    # Dalad's 8 and Haibowan's 5 townships, a banner's own 8, or the one area of the scope
    assert len(shown) == {None: 8 + 5, "150621": 8}.get(prefix, 1)
