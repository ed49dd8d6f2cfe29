"""Open311 listings for anonymous civic apps (``WANGGE_OPEN311_PUBLIC``), read with the
off-the-shelf GeoReport v2 client ``georeport`` against a real uvicorn.

On: an anonymous client lists the requests of the public place (township 150621001 here),
exactly as many as SQL counts independently, masked exactly as the township's own staff see
them, and each client address is limited (429 with Retry-After). Off (the default): 401.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from fastapi.testclient import TestClient
from georeport import GeoReport
from sqlalchemy import text

from api.app import create_app
from tests.conftest import _settings
from tests.helpers import serving

PLACE = "150621001"
RATE = 25


@pytest.fixture(scope="module")
def public_app(database):
    settings = _settings(database).model_copy(
        update={
            "open311_public": True,
            "open311_public_area": PLACE,
            "open311_public_rate": f"{RATE}/minute",
        }
    )
    return create_app(settings)


@pytest.fixture(scope="module")
def public_base(public_app) -> Iterator[str]:
    with serving(public_app) as base:
        yield base


@pytest.fixture(scope="module")
def window(engine) -> dict[str, str]:
    """The 30 days up to the newest request of the place's sample history (whatever other
    tests filed since), and how many requests SQL counts in it."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "WITH held AS (SELECT i.reported_at, i.source FROM incident i "
                "  JOIN area q ON q.id = i.queue_area_id WHERE q.code LIKE :place || '%'), "
                "last AS (SELECT max(reported_at) AS t FROM held WHERE source = 'sample') "
                "SELECT to_char((last.t - interval '30 days') AT TIME ZONE 'UTC', "
                '               \'YYYY-MM-DD"T"HH24:MI:SS"Z"\') AS start_date, '
                "       to_char(last.t AT TIME ZONE 'UTC', "
                '               \'YYYY-MM-DD"T"HH24:MI:SS"Z"\') AS end_date, '
                "       (SELECT count(*) FROM held "
                "        WHERE reported_at >= date_trunc('second', last.t) - interval '30 days' "
                "          AND reported_at <= date_trunc('second', last.t)) AS n "
                "FROM last"
            ),
            {"place": PLACE},
        ).one()
    return {"start_date": row.start_date, "end_date": row.end_date, "n": row.n}


def _client(base: str) -> GeoReport:
    return GeoReport(root_address=f"{base}/open311/v2")


def test_on_an_anonymous_client_lists_the_place_masked_as_staff_see_it(
    public_app, public_base, window, auth, privacy_scan
):
    public_app.state.limiter.reset()
    georeport = _client(public_base)
    assert len(georeport.get_service_list()) == 46  # services were already public
    dates = {k: window[k] for k in ("start_date", "end_date")}
    listed = georeport.get_service_requests(**dates)
    privacy_scan.text("anonymous Open311 listing", str(listed))
    assert 20 < window["n"] < 1000
    assert len(listed) == window["n"]
    assert {r["service_request_id"][:4] for r in listed} == {"DLT-"}
    staff = TestClient(public_app, raise_server_exceptions=False, headers=auth("township"))
    answer = staff.get("/open311/v2/requests.json", params=dates)
    assert answer.status_code == 200
    assert answer.json() == listed  # the same requests, the same masking, field for field
    assert all("phone" not in r and "reporter" not in str(r) for r in listed)
    one = georeport.get_service_request(listed[0]["service_request_id"])
    assert one == listed[0]


def test_on_the_listing_stops_at_the_public_place(public_app, public_base, engine):
    public_app.state.limiter.reset()
    with engine.connect() as conn:
        elsewhere = conn.execute(
            text(
                "SELECT i.code FROM incident i JOIN area q ON q.id = i.queue_area_id "
                "WHERE q.code NOT LIKE :place || '%' ORDER BY i.id LIMIT 1"
            ),
            {"place": PLACE},
        ).scalar_one()
    with pytest.raises(requests.HTTPError) as refused:
        _client(public_base).get_service_request(elsewhere)
    assert refused.value.response.status_code == 404
    listed = _client(public_base).get_service_requests(service_request_id=elsewhere)
    assert listed == []


def test_on_each_client_address_is_rate_limited(public_app, public_base, auth):
    public_app.state.limiter.reset()
    url = f"{public_base}/open311/v2/requests.json"
    for _ in range(RATE):
        assert requests.get(url, params={"status": "closed"}, timeout=30).status_code == 200
    refused = requests.get(url, timeout=30)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    (error,) = refused.json()
    assert error["code"] == 429 and "Open311 read" in error["description"]
    # a signed-in caller counts against nothing of the anonymous clients'
    signed = requests.get(url, headers=auth("township"), params={"status": "closed"}, timeout=30)
    assert signed.status_code == 200
    public_app.state.limiter.reset()


def test_on_posting_still_needs_a_key(public_base, engine):
    response = requests.post(
        f"{public_base}/open311/v2/requests.json",
        data={"service_code": "0101", "lat": "40.4", "long": "110.0", "description": "x"},
        timeout=30,
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="wangge"'


def test_off_by_default_the_same_client_gets_401(live_server):
    georeport = _client(live_server)
    assert len(georeport.get_service_list()) == 46
    for call in (
        georeport.get_service_requests,
        lambda: georeport.get_service_request("DLT-2026-000001"),
    ):
        with pytest.raises(requests.HTTPError) as refused:
            call()
        assert refused.value.response.status_code == 401
        assert refused.value.response.json()[0]["code"] == 401


def test_the_public_area_setting_is_checked():
    from pydantic import ValidationError

    from geo.settings import Settings

    assert Settings(open311_public_area="150621001").open311_public_area == "150621001"
    for bad in ("15062x", "1", "150621001\x00"):
        with pytest.raises(ValidationError, match="open311_public_area"):
            Settings(open311_public_area=bad)
    with pytest.raises(ValidationError, match="not a rate"):
        Settings(open311_public_rate="often")
