"""POST /api/v1/incidents: assignment, routing, idempotency, bad input, atomicity, NOTIFY."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import datetime, timedelta

import httpx
import numpy as np
import psycopg
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.schemas import Incident
from cases.intake import purge_expired_keys
from geo.datum import convert
from tests.helpers import counts

URL = "/api/v1/incidents"


def body(lon, lat, datum="cgcs2000", category="0101", **extra):
    return {"lon": lon, "lat": lat, "datum": datum, "category": category, **extra}


def post(client, payload, key=None, **kwargs):
    headers = {"Content-Type": "application/json"}
    if key is not False:
        headers["Idempotency-Key"] = key or str(uuid.uuid4())
    # json.dumps writes NaN as the bare literal some clients send; httpx's json= would refuse
    return client.post(URL, content=json.dumps(payload), headers=headers, **kwargs)


@pytest.fixture(scope="module")
def micro(sample_areas):
    return sample_areas["micro_grid"].sort_values("code").reset_index(drop=True)


@pytest.fixture(scope="module")
def grid_workers(engine):
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.code, min(m.id) FROM member m JOIN area a ON a.id = m.area_id "
                "WHERE m.kind = 'grid_worker' GROUP BY a.code"
            )
        )
        return dict(rows.all())


def _interior(micro, index):
    row = micro.iloc[index]
    point = shapely.point_on_surface(row.geometry)
    return row["code"], point.x, point.y


@pytest.mark.parametrize("datum", ["wgs84", "cgcs2000", "gcj02", "bd09"])
def test_interior_point_lands_in_its_micro_grid_in_every_datum(client, micro, grid_workers, datum):
    code, lon, lat = _interior(micro, 1234)
    x, y = convert(lon, lat, "cgcs2000", datum)
    response = post(client, body(x, y, datum, "0104", description="拖欠工资三个月"))
    assert response.status_code == 201, response.text
    incident = Incident.model_validate(response.json())
    assert re.fullmatch(r"DLT-20\d\d-\d{6}", incident.code)
    assignment = incident.assignment
    assert (assignment["kind"], assignment["flagged"]) == ("covered", False)
    assert [link["code"] for link in assignment["chain"]] == [
        code[:6],
        code[:9],
        code[:12],
        code[:14],
        code,
    ]
    assert assignment["queue_area"]["code"] == code
    assert incident.responsible["member"]["id"] == grid_workers[code[:14]]
    assert incident.responsible["department"]["code"] == "D04"  # 劳资欠薪 → 人社局
    assert incident.status == "reported" and incident.status_label == "已上报"
    reported = datetime.fromisoformat(incident.reported_at)
    assert datetime.fromisoformat(incident.deadline_at) - reported == timedelta(hours=120)
    assert incident.location["cgcs2000"]["lon"] == pytest.approx(lon, abs=1e-9)


def test_township_override_changes_the_department(client, micro):
    # 土地权属纠纷 (0103) goes to 自然资源局 (D05), but to 农牧局 (D14) in 展旦召苏木 (…008)
    inside = micro[micro["code"].str.startswith("150621008")].index[0]
    elsewhere = micro[micro["code"].str.startswith("150621001")].index[0]
    for index, department in ((inside, "D14"), (elsewhere, "D05")):
        _, lon, lat = _interior(micro, index)
        response = post(client, body(lon, lat, category="0103"))
        assert response.json()["responsible"]["department"]["code"] == department


def test_shared_edge_goes_to_the_lowest_code_and_is_flagged(client, micro):
    coords = shapely.get_coordinates(micro.geometry.values)
    values, seen = np.unique(coords, axis=0, return_counts=True)
    tree = shapely.STRtree(micro.geometry.values)
    for xy in values[seen >= 2][:50]:
        hits = sorted(micro["code"].iloc[tree.query(shapely.Point(xy), predicate="intersects")])
        if len(hits) >= 2:
            break
    response = post(client, body(float(xy[0]), float(xy[1])))
    assignment = response.json()["assignment"]
    assert assignment["kind"] == "boundary_tie" and assignment["flagged"] is True
    assert assignment["queue_area"]["code"] == hits[0]
    assert assignment["tied_codes"] == hits


def _outside_north(micro, metres):
    """A point ``metres`` north of the banner's northernmost vertex."""
    coords = shapely.get_coordinates(micro.geometry.values)
    lon, lat = coords[np.argmax(coords[:, 1])]
    return float(lon), float(lat + metres / 110_950.0)


def test_a_point_just_outside_goes_to_the_nearest_micro_grid(client, micro):
    lon, lat = _outside_north(micro, 300)
    nearest = micro.iloc[
        int(np.argmin(shapely.distance(micro.geometry.values, shapely.Point(lon, lat))))
    ]
    response = post(client, body(lon, lat, "wgs84"))
    assert response.status_code == 201
    assignment = response.json()["assignment"]
    assert (assignment["kind"], assignment["flagged"]) == ("nearest", True)
    assert assignment["queue_area"]["code"] == nearest["code"]
    assert assignment["distance_m"] == pytest.approx(300, abs=5)


def test_a_point_far_outside_waits_in_the_banner_queue(client, micro):
    lon, lat = _outside_north(micro, 5000)
    response = post(client, body(lon, lat, "wgs84", category="0302"))
    assert response.status_code == 201
    incident = response.json()
    assert incident["assignment"]["kind"] == "unassigned"
    assert incident["assignment"]["queue_area"] == {
        "code": "150621",
        "name": "达拉特旗",
        "level": "banner",
    }
    assert incident["assignment"]["distance_m"] == pytest.approx(5000, abs=20)
    assert incident["responsible"]["member"] is None
    assert incident["responsible"]["department"]["code"] == "D18"  # 消防救援大队


def test_reporter_data_is_masked_and_duplicates_are_suggested(client, micro):
    _, lon, lat = _interior(micro, 4000)
    reporter = {"name": "张三丰", "phone": "13812345678"}
    first = post(client, body(lon, lat, category="0401", reporter=reporter)).json()
    assert first["reporter"] == {"name": "张**", "phone": "138****5678", "id_number": None}
    assert "13812345678" not in json.dumps(first, ensure_ascii=False)
    near = post(client, body(lon + 0.0002, lat, category="0401")).json()  # ~17 m east
    assert [d["code"] for d in near["possible_duplicates"]] == [first["code"]]
    assert near["possible_duplicates"][0]["distance_m"] == pytest.approx(17, abs=2)
    other = post(client, body(lon + 0.0002, lat, category="0402")).json()
    assert other["possible_duplicates"] == []


def test_same_key_and_body_replays_the_same_answer(client, micro, engine):
    _, lon, lat = _interior(micro, 10)
    key = str(uuid.uuid4())
    first = post(client, body(lon, lat), key)
    before = counts(engine)
    again = post(client, body(lon, lat), key)
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert counts(engine) == before
    other = post(client, body(lon, lat, description="不同内容"), key)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert counts(engine) == before


BAD = [
    (body(110.0, 40.4, category="9999"), 422, "category", "valid codes: 0101 邻里纠纷"),
    ({k: v for k, v in body(110.0, 40.4).items() if k != "datum"}, 422, "datum", "required"),
    (body(110.0, 40.4, datum="xian80"), 422, "datum", "unknown datum"),
    (body(190.0, 40.4), 422, "lon", "out of range"),
    (body(110.0, float("nan")), 422, "lat", "finite"),
    (body(2.35, 48.85, datum="gcj02"), 422, "datum", "only defined inside China"),
    (body(2.35, 48.85, datum="bd09"), 422, "datum", "only defined inside China"),
    (body(110.0, 40.4, description="纠" * 4001), 422, "description", "at most 4,000"),
    (body(110.0, 40.4, status="closed"), 422, "status", "Extra inputs"),
    (body(110.0, 40.4, assignee=7), 422, "assignee", "Extra inputs"),
    (body(110.0, 40.4, area_code="150621001"), 422, "area_code", "Extra inputs"),
    (body(110.0, 40.4, occurred_at="2026-01-01T08:00:00"), 422, "occurred_at", "UTC offset"),
    (body(110.0, 40.4, reporter={"phone": "call me"}), 422, "reporter.phone", "phone number"),
    (
        body(110.0, 40.4, reporter={"id_number": "150621198001011234"}),
        422,
        "reporter.id_number",
        "check digit",
    ),
    (
        body(110.0, 40.4, reporter={"id_number": "15062119800101"}),
        422,
        "reporter.id_number",
        "18 characters",
    ),
]


@pytest.mark.parametrize(("payload", "status", "field", "words"), BAD, ids=[b[2] for b in BAD])
def test_bad_input_names_the_field_and_writes_nothing(
    client, engine, payload, status, field, words
):
    before = counts(engine)
    response = post(client, payload)
    assert response.status_code == status, response.text
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert words in errors[0]["message"]
    assert counts(engine) == before


@pytest.mark.parametrize(
    ("key", "status"),
    [(False, 400), ("   ", 400), ("k" * 181, 422), ("tab\there", 422), ("reused", 422)],
    ids=["missing", "blank", "too long", "not printable", "reused"],
)
def test_idempotency_key_errors_point_at_the_header(client, micro, engine, key, status):
    _, lon, lat = _interior(micro, 12)
    if key == "reused":
        key = str(uuid.uuid4())
        assert post(client, body(lon, lat), key).status_code == 201
    before = counts(engine)
    response = post(client, body(lon, lat, description="另一份"), key)
    assert response.status_code == status, response.text
    [error] = response.json()["errors"]
    assert (error["where"], error["field"]) == ("header", "Idempotency-Key")
    assert counts(engine) == before


def test_missing_key_is_400_and_oversized_body_is_413(client, engine):
    before = counts(engine)
    response = post(client, body(110.0, 40.4), key=False)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    big = body(110.0, 40.4, media=[{"url": "x" * 1999}] * 600)
    response = post(client, big)
    assert response.status_code == 413
    assert counts(engine) == before


def test_a_failed_transaction_leaves_no_row(client, engine, micro):
    """Make the trail insert fail for real (a trigger) and check nothing at all was kept."""
    _, lon, lat = _interior(micro, 77)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION fail_event() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$; "
                "CREATE TRIGGER fail_event BEFORE INSERT ON incident_event "
                "FOR EACH ROW EXECUTE FUNCTION fail_event()"
            )
        )
    try:
        before = counts(engine)
        response = post(client, body(lon, lat), key="atomic-test-key")
        assert response.status_code == 500
        assert "disk on fire" not in response.text
        assert counts(engine) == before
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("DROP TRIGGER fail_event ON incident_event; DROP FUNCTION fail_event()")
            )
    # the key was not consumed: the retry succeeds
    assert post(client, body(lon, lat), key="atomic-test-key").status_code == 201


def test_commit_sends_a_notify_without_personal_data(client, engine, micro):
    url = make_url(engine.url)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    _, lon, lat = _interior(micro, 99)
    with psycopg.connect(dsn, autocommit=True) as listener:
        listener.execute("LISTEN incidents")
        code = post(client, body(lon, lat, reporter={"phone": "13900001111"})).json()["code"]
        received = [json.loads(n.payload) for n in listener.notifies(timeout=5, stop_after=1)]
    assert received and received[0]["code"] == code
    assert received[0]["kind"] == "created"
    assert "13900001111" not in json.dumps(received)


def _concurrent_posts(base_url, headers, payloads_and_keys):
    async def run():
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(
            base_url=base_url, limits=limits, timeout=120, headers=headers
        ) as ac:
            return await asyncio.gather(
                *(
                    ac.post(URL, json=p, headers={"Idempotency-Key": k})
                    for p, k in payloads_and_keys
                )
            )

    return asyncio.run(run())


def test_1000_concurrent_posts_with_one_key_make_one_incident(
    live_server, admin_headers, engine, micro
):
    _, lon, lat = _interior(micro, 2000)
    key = f"one-key-{uuid.uuid4()}"
    before = counts(engine)
    responses = _concurrent_posts(live_server, admin_headers, [(body(lon, lat), key)] * 1000)
    statuses = {r.status_code for r in responses}
    assert statuses == {201}, statuses
    assert len({r.json()["code"] for r in responses}) == 1
    after = counts(engine)
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (1, 1, 1)


def test_1000_distinct_keys_make_1000_incidents(live_server, admin_headers, engine, micro):
    _, lon, lat = _interior(micro, 3000)
    before = counts(engine)
    responses = _concurrent_posts(
        live_server, admin_headers, [(body(lon, lat), f"k-{uuid.uuid4()}") for _ in range(1000)]
    )
    assert {r.status_code for r in responses} == {201}
    codes = {r.json()["code"] for r in responses}
    assert len(codes) == 1000
    after = counts(engine)
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (1000, 1000, 1000)
    assert after[3] - before[3] == 1000  # codes are gap-free


def test_keys_expire_after_seven_days(client, engine, micro, accounts):
    _, lon, lat = _interior(micro, 500)
    owner = accounts["admin"].id  # keys are stored behind their account's id
    keys = {"old": f"{owner}:old-key", "old2": f"{owner}:old-key-2", "fresh": f"{owner}:fresh-key"}
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO idempotency_key "
                "(key, request_hash, status_code, response, created_at) "
                "VALUES (:old, 'x', 201, '{}', now() - interval '8 days'), "
                "(:old2, 'x', 201, '{}', now() - interval '8 days'), "
                "(:fresh, 'x', 201, '{}', now() - interval '6 days')"
            ),
            keys,
        )
    # an expired key is free again: a new report with it is filed, not refused as reused
    response = post(client, body(lon, lat), key="old-key")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert purge_expired_keys(engine) == 1  # old-key-2; old-key was re-claimed, fresh-key kept
    with engine.connect() as conn:
        left = (
            conn.execute(
                text(
                    "SELECT key FROM idempotency_key "
                    "WHERE key IN (:old, :old2, :fresh) ORDER BY key"
                ),
                keys,
            )
            .scalars()
            .all()
        )
    assert left == [f"{owner}:fresh-key", f"{owner}:old-key"]
