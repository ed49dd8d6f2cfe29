"""Facilities (物) and organisations (组织) over HTTP, and households overdue for a visit.

Expected sets are read with plain SQL on the same database (the micro-grid's code prefix
decides what is inside an area); the overdue filter is compared with the coverage answer for
the same area, the figure it must agree with.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from api.registry_schemas import FacilityPage, HouseholdPage, Organisation, OrganisationPage
from geo.privacy import mask_name, mask_phone


def _codes(conn, table: str, prefix: str) -> list[str]:
    return list(
        conn.execute(
            text(
                f"SELECT t.code FROM {table} t JOIN area a ON a.id = t.micro_grid_id "
                "WHERE left(a.code, length(:p)) = :p ORDER BY t.code"
            ),
            {"p": prefix},
        ).scalars()
    )


def _all(client, path: str, key: str, headers, **params) -> list[dict]:
    """Every page of a keyset-paged list."""
    found, after = [], None
    while True:
        page = client.get(
            path, params={**params, "limit": 500, **({"after": after} if after else {})},
            headers=headers,
        )  # fmt: skip
        assert page.status_code == 200, page.text
        found += page.json()[key]
        after = page.json()["next"]
        if after is None:
            return found


def test_facilities_of_a_township_a_grid_and_a_kind(client, engine, auth, accounts):
    township = accounts["township"].area_code
    with engine.connect() as conn:
        expected = _codes(conn, "facility", township)
        grid = conn.execute(
            text(
                "SELECT a.code FROM facility f JOIN area m ON m.id = f.micro_grid_id "
                "JOIN area a ON a.id = m.parent_id WHERE left(a.code, length(:t)) = :t "
                "GROUP BY a.code ORDER BY count(*) DESC, a.code LIMIT 1"
            ),
            {"t": township},
        ).scalar_one()
        in_grid = _codes(conn, "facility", grid)
        kind, of_kind = conn.execute(
            text("SELECT kind, count(*) FROM facility GROUP BY kind ORDER BY kind LIMIT 1")
        ).one()
        clear = conn.execute(
            text(
                "SELECT f.code, f.kind, f.owner_unit, f.state, ST_X(f.geom), ST_Y(f.geom), a.code "
                "FROM facility f JOIN area a ON a.id = f.micro_grid_id WHERE f.code = :c"
            ),
            {"c": in_grid[0]},
        ).one()
    listed = _all(client, "/api/v1/facilities", "facilities", auth("township"))
    assert [f["code"] for f in listed] == expected and len(expected) > 100
    page = client.get("/api/v1/facilities", params={"grid": grid}, headers=auth("township"))
    assert [f.code for f in FacilityPage.model_validate(page.json()).facilities] == in_grid
    assert len(in_grid) >= 2
    kinds = _all(client, "/api/v1/facilities", "facilities", auth("command"), kind=kind)
    assert len(kinds) == of_kind and {f["kind"] for f in kinds} == {kind}
    one = client.get(f"/api/v1/facilities/{in_grid[0]}", headers=auth("township")).json()
    assert one == dict(
        zip(("code", "kind", "owner_unit", "state", "lon", "lat", "micro_grid"), clear, strict=True)
    )
    # outside the township: not found, as one that does not exist
    assert (
        client.get(f"/api/v1/facilities/{in_grid[0]}", headers=auth("township_peer")).status_code
        == 404
    )
    assert client.get("/api/v1/facilities/SS999999", headers=auth("command")).status_code == 404


def test_organisations_are_masked_scoped_and_revealed_with_a_reason(client, engine, auth, accounts):
    township = accounts["township"].area_code
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM organisation")).scalar_one()
        expected = _codes(conn, "organisation", township)
        org = conn.execute(
            text(
                "SELECT o.code, o.legal_person, o.contact_phone, o.party_members, o.key_unit "
                "FROM organisation o WHERE o.code = :c"
            ),
            {"c": expected[0]},
        ).one()
    everything = _all(client, "/api/v1/organisations", "organisations", auth("command"))
    assert len(everything) == total == 400
    OrganisationPage.model_validate({"organisations": everything, "next": None})
    mine = _all(client, "/api/v1/organisations", "organisations", auth("township"))
    assert [o["code"] for o in mine] == expected and 0 < len(expected) < total
    one = client.get(f"/api/v1/organisations/{org.code}", headers=auth("department"))
    assert one.status_code == 200, one.text
    body = Organisation.model_validate(one.json())
    assert body.legal_person == mask_name(org.legal_person) != org.legal_person
    assert body.contact_phone == mask_phone(org.contact_phone) != org.contact_phone
    assert (body.party_members, body.key_unit) == (org.party_members, org.key_unit)
    url = f"/api/v1/organisations/{org.code}/reveal"
    revealed = client.post(url, json={"reason": "核实企业联系人"}, headers=auth("township"))
    assert revealed.status_code == 200, revealed.text
    assert revealed.json()["fields"] == {
        "legal_person": org.legal_person,
        "contact_phone": org.contact_phone,
    }
    with engine.connect() as conn:
        entry = conn.execute(
            text(
                "SELECT actor, reason, after FROM audit_log WHERE action = 'personal_data.reveal' "
                "AND object_type = 'organisation' AND object_id = :c ORDER BY id DESC LIMIT 1"
            ),
            {"c": org.code},
        ).one()
    assert tuple(entry) == (
        "township", "核实企业联系人", {"fields": ["contact_phone", "legal_person"]}
    )  # fmt: skip
    refused = client.post(url, json={"reason": "核实企业联系人"}, headers=auth("department"))
    assert refused.status_code == 403
    elsewhere = client.post(url, json={"reason": "核实企业联系人"}, headers=auth("township_peer"))
    assert elsewhere.status_code == 404


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/facilities", {"limit": 0}, "limit"),
        ("/api/v1/organisations", {"limit": 501}, "limit"),
        ("/api/v1/facilities", {"kind": "x" * 33}, "kind"),
        ("/api/v1/households", {"overdue": "maybe"}, "overdue"),
    ],
)
def test_bad_parameters_are_refused_naming_them(client, auth, path, params, field):
    answer = client.get(path, params=params, headers=auth("command"))
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def _coverage(client, headers, level: str, code: str) -> dict:
    answer = client.get(
        "/api/v1/coverage", params={"level": level, "within": code}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    (area,) = [a for a in answer.json()["areas"] if a["code"] == code]
    return area


def test_overdue_households_are_the_ones_coverage_counts(client, engine, auth, accounts):
    headers = auth("grid_worker")
    grid = accounts["grid_worker"].area_code
    overdue = _all(client, "/api/v1/households", "households", headers, grid=grid, overdue=True)
    HouseholdPage.model_validate({"households": overdue, "next": None})
    area = _coverage(client, headers, "grid", grid)
    assert len(overdue) == area["overdue"]
    assert 0 < area["overdue"] < area["households"]
    # micro-grid by micro-grid, too
    by_micro: dict[str, int] = {}
    for h in overdue:
        by_micro[h["micro_grid"]] = by_micro.get(h["micro_grid"], 0) + 1
    micro = max(by_micro, key=lambda m: (by_micro[m], m))
    one = _all(client, "/api/v1/households", "households", headers, micro_grid=micro, overdue=True)
    assert len(one) == by_micro[micro] == _coverage(client, headers, "micro_grid", micro)["overdue"]
    # and exactly the households an independent reading of the cadence rule names
    assert {h["code"] for h in overdue} == _overdue_by_hand(engine, grid, datetime.now(UTC))


def _overdue_by_hand(engine, grid: str, now: datetime) -> set[str]:
    """The households of ``grid`` never contacted or not within the strictest cadence of
    their persons' tags (ordinary households: the 'ordinary' row), computed in Python."""
    with engine.connect() as conn:
        ordinary = conn.execute(
            text("SELECT visit_every_days FROM tag_kind WHERE tag = 'ordinary'")
        ).scalar_one()
        rows = conn.execute(
            text(
                "SELECT h.code, (SELECT max(c.at) FROM contact_household ch "
                "  JOIN contact c ON c.id = ch.contact_id WHERE ch.household_id = h.id "
                "  AND c.at <= :now) AS last, "
                " (SELECT array_agg(k.visit_every_days) FROM person p "
                "  JOIN person_tag t ON t.person_id = p.id JOIN tag_kind k ON k.tag = t.tag "
                "  WHERE p.household_id = h.id) AS days "
                "FROM household h JOIN house ho ON ho.id = h.house_id "
                "JOIN area a ON a.id = ho.micro_grid_id WHERE left(a.code, length(:g)) = :g"
            ),
            {"g": grid, "now": now},
        ).all()
    late = set()
    for code, last, days in rows:
        every = min([ordinary, *(d for d in days or [] if d is not None)])
        if last is None or last <= now - timedelta(days=every):
            late.add(code)
    return late
