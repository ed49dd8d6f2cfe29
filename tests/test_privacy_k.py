"""Small counts suppressed in heat layers and tiles for roles without access to the cases.

The oracle is the command centre's own answer (every count, nothing suppressed): a party
member scoped to a micro-grid holding 2 disputes must not read the 2, one holding 3 or more
reads the same figure as the command centre; a banner-wide planner's total is the sum of the
command centre's counts of 3 or more. Accounts are created per test run with fresh names.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import mapbox_vector_tile
import pytest

from geo.settings import Settings

from .conftest import _settings
from .helpers import fresh_account

WINDOW = {"from": "2023-01-01T00:00:00+08:00", "to": "2025-01-01T00:00:00+08:00", "category": "01"}
K = Settings().privacy_k  # the default, 3
#: A z12 tile over the banner seat (树林召镇) and the tile filter both sides use.
TILE = "/tiles/incidents/12/3300/1544.pbf"
TILE_FILTER = {"category": "01", "since": "2023-01-01T00:00:00+08:00"}


def _member_headers(database, engine, code: str) -> dict[str, str]:
    like = SimpleNamespace(
        username=f"pm-{uuid.uuid4().hex[:6]}",
        role="party_member",
        area_code=code,
        department_code=None,
        member_id=None,
    )
    return fresh_account(engine, _settings(database), like)[1]


@pytest.fixture(scope="module")
def command_counts(client, auth) -> dict[str, int]:
    response = client.get("/api/v1/heat/areas", params=WINDOW, headers=auth("command"))
    assert response.status_code == 200, response.text
    assert response.json()["suppressed_below"] is None
    return {f["id"]: f["properties"]["count"] for f in response.json()["features"]}


def _pick(counts: dict[str, int], wanted) -> str:
    return min(code for code, n in counts.items() if wanted(n))


def test_default_k_is_three():
    assert K == 3


def test_a_count_of_two_is_suppressed_for_a_party_member(client, database, engine, command_counts):
    code = _pick(command_counts, lambda n: n == 2)
    headers = _member_headers(database, engine, code)
    body = client.get("/api/v1/heat/areas", params=WINDOW, headers=headers).json()
    assert [f["id"] for f in body["features"]] == [code]
    props = body["features"][0]["properties"]
    assert (props["count"], props["rate"]) == (None, None)
    assert (body["total"], body["suppressed_below"], body["breaks"]) == (0, 3, [])
    hot = client.get("/api/v1/heat/hotspots", params=WINDOW, headers=headers).json()
    assert hot["features"][0]["properties"]["count"] is None
    assert hot["total"] == 0


def test_a_count_of_three_or_more_is_shown_to_a_party_member(
    client, database, engine, command_counts
):
    code = _pick(command_counts, lambda n: n >= K)
    headers = _member_headers(database, engine, code)
    body = client.get("/api/v1/heat/areas", params=WINDOW, headers=headers).json()
    assert body["features"][0]["properties"]["count"] == command_counts[code]
    assert body["total"] == command_counts[code]


def test_the_command_centre_reads_the_two(client, auth, command_counts):
    code = _pick(command_counts, lambda n: n == 2)
    response = client.get("/api/v1/heat/areas", params=WINDOW, headers=auth("command"))
    props = {f["id"]: f["properties"] for f in response.json()["features"]}
    assert props[code]["count"] == 2


def test_a_planner_sees_only_counts_of_three_or_more(client, auth, command_counts):
    body = client.get("/api/v1/heat/areas", params=WINDOW, headers=auth("planner")).json()
    served = {f["id"]: f["properties"]["count"] for f in body["features"]}
    # the banner's planner and the command centre, the oracle, both see Dalad only
    expected = {c: (None if 0 < n < K else n) for c, n in command_counts.items()}
    assert served == expected
    assert body["total"] == sum(n for n in command_counts.values() if n >= K)
    assert sum(1 for n in command_counts.values() if 0 < n < K) > 100  # the rule bites


def test_hexagons_under_k_are_left_out_for_a_planner(client, auth):
    params = {**WINDOW, "size": "1000"}
    full = client.get("/api/v1/heat/bins", params=params, headers=auth("command")).json()
    cut = client.get("/api/v1/heat/bins", params=params, headers=auth("planner")).json()
    expected = sorted(f["id"] for f in full["features"] if f["properties"]["count"] >= K)
    # the banner's planner sees Dalad's bins, as the command centre does, less those under k
    assert sorted(f["id"] for f in cut["features"]) == expected
    assert cut["total"] == sum(
        f["properties"]["count"] for f in full["features"] if f["properties"]["count"] >= K
    )
    assert min(f["properties"]["count"] for f in full["features"]) < K  # something was cut
    assert cut["suppressed_below"] == K and full["suppressed_below"] is None


def _tile_counts(client, headers) -> dict[str, dict]:
    response = client.get(TILE, params=TILE_FILTER, headers=headers)
    if response.status_code == 204:
        return {}
    assert response.status_code == 200, response.text
    features = mapbox_vector_tile.decode(response.content)["incidents"]["features"]
    return {f["properties"]["code"]: f["properties"] for f in features}


def test_tile_counts_of_two_are_left_out_for_a_party_member(client, auth, database, engine):
    command = _tile_counts(client, auth("command"))
    two = _pick({c: p["total_count"] for c, p in command.items()}, lambda n: n == 2)
    assert command[two]["total_count"] == 2
    assert _tile_counts(client, _member_headers(database, engine, two)) == {}
    many = _pick({c: p["total_count"] for c, p in command.items()}, lambda n: n >= K)
    seen = _tile_counts(client, _member_headers(database, engine, many))
    assert seen[many]["total_count"] == command[many]["total_count"]
    open_count = command[many]["open_count"]
    assert seen[many].get("open_count") == (None if 0 < open_count < K else open_count)
