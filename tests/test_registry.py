"""The registry's reads, marks and edits against the sample (340,000 persons, whole banner).

Figures are computed in each test with plain SQL on the same database, then compared with
the API's answers; masking and P3 are checked per role; edits leave a version row.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from cases.registry import idnumber
from geo.privacy import mask_id_number, mask_name, mask_phone
from tests.helpers import (
    P3_TAGS,
    household_count,
    households_in,
    micro_grid_with_p3,
)


def test_id_check_character_valid_wrong_and_x():
    assert idnumber.problem("11010519491231002X") is None  # GB 11643's own example, with X
    assert idnumber.problem("11010519491231002x") is None  # a lower-case x is the same
    assert idnumber.problem("110105194912310021") == "check character is 1, should be X"
    assert idnumber.problem("150621198001011232") is None
    assert idnumber.problem("150621198001011233") == "check character is 3, should be 2"
    assert idnumber.problem("15062119800101123") == (
        "must be 18 characters: 17 digits and a digit or X"
    )
    assert idnumber.problem("150621198002301236") == "holds no valid birth date (19800230)"


def test_every_sample_id_number_is_valid_and_from_the_reserved_range(conn):
    rows = conn.execute(
        text("SELECT id_number, birth_date, sex FROM person ORDER BY id LIMIT 5000")
    ).all()
    assert len(rows) == 5000
    for number, born, sex in rows:
        assert idnumber.problem(number) is None
        assert number[:6] == "150621" and 900 <= int(number[14:17]) <= 999
        assert (idnumber.birth_date(number), idnumber.sex(number)) == (born, sex)


def test_sample_counts_and_tag_shares(conn):
    persons = conn.execute(text("SELECT count(*) FROM person")).scalar_one()
    assert persons == 340_000
    assert conn.execute(text("SELECT count(*) FROM household")).scalar_one() == 134_707
    assert conn.execute(text("SELECT count(*) FROM house")).scalar_one() == 124_393
    tags = dict(conn.execute(text("SELECT tag, count(*) FROM person_tag GROUP BY tag")).all())
    assert tags == {
        "elderly_alone": 20_400, "low_income": 13_601, "migrant": 34_000,
        "community_correction": 680, "disabled": 5_100, "left_behind": 3_400,
        "mental_health": 1_020, "drug_rehab": 170,
    }  # fmt: skip
    # every house lies in the micro-grid it is filed under
    outside = conn.execute(
        text(
            "SELECT count(*) FROM house h JOIN area a ON a.id = h.micro_grid_id "
            "WHERE NOT ST_Intersects(a.geom, h.geom) OR a.generation_high IS NOT NULL"
        )
    ).scalar_one()
    assert outside == 0
    # each of Dalad's micro-grids holds exactly its population in persons (the sample has no
    # registry for Haibowan)
    wrong = conn.execute(
        text(
            "SELECT count(*) FROM area a LEFT JOIN (SELECT h.micro_grid_id, count(*) AS n "
            "FROM person p JOIN household hh ON hh.id = p.household_id "
            "JOIN house h ON h.id = hh.house_id GROUP BY 1) c ON c.micro_grid_id = a.id "
            "WHERE a.level = 'micro_grid' AND a.generation_high IS NULL "
            "AND a.code LIKE '150621%' AND coalesce(c.n, 0) <> a.population"
        )
    ).scalar_one()
    assert wrong == 0


def _tags_in(body) -> set[str]:
    return {t["tag"] for h in body["households"] for p in h["persons"] for t in p["tags"]}


def test_households_of_a_micro_grid_masked_with_p3_for_the_grid_worker_only(
    client, engine, auth, accounts
):
    grid = accounts["grid_worker"].area_code
    code, households, _p3 = micro_grid_with_p3(engine, grid)
    seen = {}
    for role in ("grid_worker", "command", "township", "department", "planner"):
        answer = client.get(
            "/api/v1/households", params={"micro_grid": code, "limit": 500}, headers=auth(role)
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert len(body["households"]) == households and body["next"] is None
        seen[role] = _tags_in(body)
    for role in ("grid_worker", "command", "township"):
        assert seen[role] & P3_TAGS, role
    for role in ("department", "planner"):
        assert not seen[role] & P3_TAGS, role
    # every person masked, as geo.privacy masks them, for every role
    with engine.connect() as conn:
        clear = conn.execute(
            text(
                "SELECT p.id, p.name, p.id_number, p.phone FROM person p "
                "JOIN household hh ON hh.id = p.household_id JOIN house h ON h.id = hh.house_id "
                "JOIN area a ON a.id = h.micro_grid_id WHERE a.code = :c"
            ),
            {"c": code},
        ).all()
    answer = client.get(
        "/api/v1/households", params={"micro_grid": code, "limit": 500}, headers=auth("command")
    ).json()
    served = {p["id"]: p for h in answer["households"] for p in h["persons"]}
    assert set(served) == {r.id for r in clear}
    for r in clear:
        assert served[r.id]["name"] == mask_name(r.name) != r.name
        assert served[r.id]["id_number"] == mask_id_number(r.id_number)
        assert served[r.id]["phone"] == mask_phone(r.phone)
        assert re.fullmatch(r"\d{4}-\*\*-\*\*", served[r.id]["birth_date"])


def test_p3_reads_are_audited_and_p3_filters_refused_to_department_and_planner(
    client, engine, auth, accounts
):
    grid = accounts["grid_worker"].area_code
    code, _, _ = micro_grid_with_p3(engine, grid)
    with engine.connect() as conn:
        before = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'registry.p3_read'")
        ).scalar_one()
    client.get("/api/v1/households", params={"micro_grid": code}, headers=auth("grid_worker"))
    client.get("/api/v1/households", params={"micro_grid": code}, headers=auth("department"))
    with engine.connect() as conn:
        after = (
            conn.execute(
                text(
                    "SELECT actor FROM audit_log WHERE action = 'registry.p3_read' ORDER BY id "
                    "OFFSET :n"
                ),
                {"n": before},
            )
            .scalars()
            .all()
        )
    assert after == ["grid_worker"]
    for role in ("department", "planner", "party_member"):
        answer = client.get(
            "/api/v1/households", params={"tag": "community_correction"}, headers=auth(role)
        )
        assert answer.status_code == 403, (role, answer.text)
    answer = client.get("/api/v1/households", params={"tag": "nonsense"}, headers=auth("command"))
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "tag"


def test_a_grid_worker_sees_only_their_grid(client, engine, auth, accounts):
    grid = accounts["grid_worker"].area_code
    with engine.connect() as conn:
        inside = household_count(conn, grid)
        (elsewhere,) = households_in(conn, grid, outside=True)
    got, after = 0, None
    while True:
        page = client.get(
            "/api/v1/households",
            params={"limit": 500, **({"after": after} if after else {})},
            headers=auth("grid_worker"),
        ).json()
        got += len(page["households"])
        after = page["next"]
        if after is None:
            break
    assert got == inside
    assert (
        client.get(f"/api/v1/households/{elsewhere.code}", headers=auth("grid_worker")).status_code
        == 404
    )


def test_reveal_a_person_with_a_reason_is_audited_and_refused_to_a_department(
    client, engine, auth, accounts
):
    grid = accounts["grid_worker"].area_code
    with engine.connect() as conn:
        person = conn.execute(
            text(
                "SELECT p.id, p.name, p.id_number, p.phone FROM person p "
                "JOIN household hh ON hh.id = p.household_id JOIN house h ON h.id = hh.house_id "
                "JOIN area a ON a.id = h.micro_grid_id WHERE a.code LIKE :g || '%' "
                "AND p.phone IS NOT NULL ORDER BY p.id LIMIT 1"
            ),
            {"g": grid},
        ).one()
    read = client.get(f"/api/v1/persons/{person.id}", headers=auth("grid_worker"))
    assert read.status_code == 200
    assert read.json()["id_number"] == mask_id_number(person.id_number)
    url = f"/api/v1/persons/{person.id}/reveal"
    answer = client.post(url, json={"reason": "入户核实身份"}, headers=auth("grid_worker"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["fields"]["id_number"] == person.id_number
    assert answer.json()["fields"]["name"] == person.name
    with engine.connect() as conn:
        entry = conn.execute(
            text(
                "SELECT reason, after FROM audit_log WHERE action = 'personal_data.reveal' "
                "AND object_type = 'person' AND object_id = :id ORDER BY id DESC LIMIT 1"
            ),
            {"id": str(person.id)},
        ).one()
    assert entry.reason == "入户核实身份"
    assert entry.after == {"fields": ["birth_date", "id_number", "name", "phone"]}
    assert (
        client.post(url, json={"reason": "入户核实身份"}, headers=auth("department")).status_code
        == 403
    )
    assert (
        client.post(
            url, json={"reason": "入户核实身份"}, headers=auth("grid_worker_peer")
        ).status_code
        == 404
    )


def test_an_edit_writes_a_version_with_before_and_after(client, engine, auth, accounts):
    grid = accounts["grid_worker"].area_code
    with engine.connect() as conn:
        person = conn.execute(
            text(
                "SELECT p.id, p.phone, p.ethnicity FROM person p "
                "JOIN household hh ON hh.id = p.household_id JOIN house h ON h.id = hh.house_id "
                "JOIN area a ON a.id = h.micro_grid_id WHERE a.code LIKE :g || '%' "
                "ORDER BY p.id DESC LIMIT 1"
            ),
            {"g": grid},
        ).one()
    new_phone = "17000999001"
    answer = client.patch(
        f"/api/v1/persons/{person.id}",
        json={"phone": new_phone, "ethnicity": "回族"},
        headers=auth("grid_worker"),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["phone"] == "170****9001" and body["ethnicity"] == "回族"
    with engine.connect() as conn:
        version = conn.execute(
            text("SELECT entity, entity_id, by_account, before, after FROM registry_version "
                 "WHERE id = :id"),
            {"id": body["version"]},
        ).one()  # fmt: skip
    assert (version.entity, version.entity_id, version.by_account) == (
        "person",
        person.id,
        "grid_worker",
    )
    assert version.before == {"ethnicity": person.ethnicity, "phone": person.phone}
    assert version.after == {"ethnicity": "回族", "phone": new_phone}
    bad = client.patch(
        f"/api/v1/persons/{person.id}", json={"id_number": "150621198001011233"},
        headers=auth("grid_worker"),
    )  # fmt: skip
    assert bad.status_code == 422
    assert bad.json()["errors"][0] == {
        "where": "body", "field": "id_number", "message": "check character is 3, should be 2"
    }  # fmt: skip
    denied = client.patch(
        f"/api/v1/persons/{person.id}", json={"ethnicity": "汉族"}, headers=auth("department")
    )
    assert denied.status_code == 403
    with engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text("DELETE FROM registry_version WHERE id = :id"), {"id": body["version"]})


def test_a_party_member_claims_a_household_of_their_micro_grid_only(client, engine, auth, accounts):
    micro = accounts["party_member"].area_code
    with engine.connect() as conn:
        mine, other = conn.execute(
            text(
                "SELECT (SELECT hh.code FROM household hh JOIN house h ON h.id = hh.house_id "
                " JOIN area a ON a.id = h.micro_grid_id WHERE a.code = :m "
                " AND hh.claimed_by_member_id IS NULL ORDER BY hh.code LIMIT 1), "
                "(SELECT hh.code FROM household hh JOIN house h ON h.id = hh.house_id "
                " JOIN area a ON a.id = h.micro_grid_id WHERE a.code <> :m "
                " AND a.code LIKE :g || '%' ORDER BY hh.code LIMIT 1)"
            ),
            {"m": micro, "g": accounts["grid_worker"].area_code},
        ).one()
    answer = client.post(f"/api/v1/households/{mine}/claim", headers=auth("party_member"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["claimed_by_member_id"] == accounts["party_member"].member_id
    # outside the party member's micro-grid: not even visible
    assert (
        client.post(f"/api/v1/households/{other}/claim", headers=auth("party_member")).status_code
        == 404
    )
    # the command centre has no member record: it cannot claim
    assert (
        client.post(f"/api/v1/households/{other}/claim", headers=auth("command")).status_code == 403
    )


def test_an_area_answer_gains_its_households_and_population(client, engine, auth, accounts):
    grid = accounts["grid_worker"].area_code
    with engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT count(DISTINCT hh.id), count(p.id) FROM household hh "
                "JOIN house h ON h.id = hh.house_id JOIN area a ON a.id = h.micro_grid_id "
                "LEFT JOIN person p ON p.household_id = hh.id WHERE a.code LIKE :g || '%'"
            ),
            {"g": grid},
        ).one()
    answer = client.get(f"/api/v1/areas/{grid}", headers=auth("planner"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["properties"]["registry"] == {
        "households": expected[0],
        "population": expected[1],
    }
    assert expected[0] > 0


P3_WORDS = P3_TAGS | {"社区矫正对象", "社区戒毒康复人员", "严重精神障碍患者"}


def test_no_p3_word_in_any_answer_to_a_department_or_a_planner(client, engine, auth, accounts):
    grid = accounts["grid_worker"].area_code
    code, _, _ = micro_grid_with_p3(engine, grid)
    with engine.connect() as conn:
        person = conn.execute(
            text(
                "SELECT p.id FROM person p JOIN person_tag t ON t.person_id = p.id "
                "WHERE t.tag = ANY(:p3) ORDER BY p.id LIMIT 1"
            ),
            {"p3": sorted(P3_TAGS)},
        ).scalar_one()
    urls = [
        ("/api/v1/households", {"micro_grid": code, "limit": 500}),
        ("/api/v1/households", {"grid": grid, "limit": 500}),
        (f"/api/v1/persons/{person}", {}),
        (f"/api/v1/areas/{grid}", {}),
        ("/api/v1/incidents", {"limit": 100}),
        (
            "/api/v1/heat/areas",
            {"from": "2023-01-01T00:00:00+08:00", "to": "2025-01-01T00:00:00+08:00"},
        ),
    ]
    for role in ("department", "planner"):
        for url, params in urls:
            answer = client.get(url, params=params, headers=auth(role))
            assert answer.status_code in (200, 404), (role, url, answer.text)
            for word in P3_WORDS:
                assert word not in answer.text, (role, url, word)
    # the same household list does carry them to the command centre
    body = client.get(
        "/api/v1/households", params={"micro_grid": code, "limit": 500}, headers=auth("command")
    ).text
    assert any(word in body for word in P3_TAGS)
