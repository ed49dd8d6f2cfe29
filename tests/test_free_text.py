"""Phones and ID numbers typed into free text (a description, a media URL, a trail reason)
leave masked from every edge by one rule (``geo.privacy.mask_text``): the intake answer and
its replay, one incident with its trail, the lists in JSON and GeoJSON, the audit listing and
Open311. The clear text stays in the database."""

from __future__ import annotations

import uuid

import pytest
import shapely
from sqlalchemy import text

from geo.privacy import mask_text, unmasked

DESCRIPTION = (
    "楼道堆物堵塞通道，联系13812345678（座机0477-5212345），"
    "业主身份证15062119800101123X，邮箱li.si@example.com"
)
SHOWN = (
    "楼道堆物堵塞通道，联系138****5678（座机047*****2345），"
    "业主身份证150621********123X，邮箱l***@example.com"
)
MEDIA = [{"url": "http://img.example/13912345678/15062119800101123X.jpg", "type": "image/jpeg"}]
SHOWN_MEDIA = [
    {"url": "http://img.example/139****5678/150621********123X.jpg", "type": "image/jpeg"}
]
REASON = "改派：居民13700001111要求"


@pytest.fixture(scope="module")
def filed(client, sample_areas):
    micro = sample_areas["micro_grid"].sort_values("code").reset_index(drop=True)
    point = shapely.point_on_surface(micro.iloc[4321].geometry)
    key = str(uuid.uuid4())
    payload = {
        "lon": point.x,
        "lat": point.y,
        "datum": "cgcs2000",
        "category": "0401",
        "description": DESCRIPTION,
        "media": MEDIA,
    }
    first = client.post("/api/v1/incidents", json=payload, headers={"Idempotency-Key": key})
    again = client.post("/api/v1/incidents", json=payload, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201, first.text
    return {"first": first.json(), "again": again.json(), "micro": micro.iloc[4321]["code"]}


def test_the_rule_itself():
    assert mask_text(DESCRIPTION) == SHOWN
    assert unmasked(SHOWN) == []
    assert mask_text(SHOWN) == SHOWN  # masking twice changes nothing


def test_the_intake_answer_and_its_replay_are_masked(filed):
    for answer in (filed["first"], filed["again"]):
        assert answer["description"] == SHOWN
        assert answer["media"] == SHOWN_MEDIA


def test_the_database_keeps_the_clear_text(filed, engine):
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT description, media FROM incident WHERE code = :c"),
            {"c": filed["first"]["code"]},
        ).one()
    assert (stored.description, stored.media) == (DESCRIPTION, MEDIA)


def test_one_incident_and_its_trail_are_masked(client, filed, engine):
    code = filed["first"]["code"]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO incident_event (incident_id, actor, kind, reason, data) "
                "SELECT id, 'admin', 'note', :reason, CAST(:data AS jsonb) FROM incident "
                "WHERE code = :c"
            ),
            {"c": code, "reason": REASON, "data": '{"said": "回电 13700001111"}'},
        )
    one = client.get(f"/api/v1/incidents/{code}").json()  # the trail is append-only: it stays
    assert one["description"] == SHOWN
    assert one["media"] == SHOWN_MEDIA
    note = one["events"][-1]
    assert (note["kind"], note["reason"], note["data"]) == (
        "note",
        "改派：居民137****1111要求",
        {"said": "回电 137****1111"},
    )


@pytest.mark.parametrize("fmt", ["json", "geojson"])
def test_the_lists_are_masked(client, filed, fmt):
    answer = client.get("/api/v1/incidents", params={"area": filed["micro"], "format": fmt})
    body = answer.json()
    items = body["items"] if fmt == "json" else [f["properties"] for f in body["features"]]
    [mine] = [i for i in items if i["code"] == filed["first"]["code"]]
    assert (mine["description"], mine["media"]) == (SHOWN, SHOWN_MEDIA)
    assert unmasked(answer.text) == []


def test_the_audit_listing_is_masked(client, filed):
    answer = client.get(
        "/api/v1/audit", params={"object_type": "incident", "object_id": filed["first"]["code"]}
    )
    assert answer.status_code == 200, answer.text
    [created] = answer.json()["items"]
    assert created["after"]["description"] == SHOWN
    assert created["after"]["media"] == SHOWN_MEDIA
    assert unmasked(answer.text) == []


def test_open311_shows_the_same_masked_text(client, filed):
    answer = client.get(f"/open311/v2/requests/{filed['first']['code']}.json")
    assert answer.status_code == 200, answer.text
    [request] = answer.json()
    assert request["description"] == SHOWN
    assert request["media_url"] == SHOWN_MEDIA[0]["url"]
