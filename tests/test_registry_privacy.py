"""The privacy scan over every answer of the registry and the routines, for every role.

Each answer (households with every filter, a person, a house, facilities, organisations,
visits, meetings, the council's agenda, "my area", coverage at every level, its OGC
collection and vector tiles, an area with its registry counts, and an import's refusal
report) is asked for by each demo role and must carry:

* no clear P2 value: no phone or ID number in clear, no sample resident's or legal person's
  name in a personal field (:class:`tests.privacy_scan.PrivacyScan`, run on each answer here
  so that the test names the one that failed; the session-wide scan sees them too);
* no P3 tag, by name or label, for the roles without the duty (planner, department, party
  member), while the roles with it do get them from the same URLs (so the check can fail).

Refusals (403, 404) are answers too and are scanned for P2 values (a refused P3 filter names
the tag asked for, which tells nothing held); a 5xx fails.
"""

from __future__ import annotations

import csv

import httpx
import pytest
from sqlalchemy import text

from cases.registry.marks import P3_ROLES
from geo.tiles import tiles_covering
from tests.helpers import micro_grid_with_p3
from tests.privacy_scan import PrivacyScan, readable

ROLES = ("admin", "command", "planner", "township", "department", "grid_worker", "party_member")


@pytest.fixture(scope="module")
def urls(engine, accounts) -> list[tuple[str, dict]]:
    """Every registry and routines read, pointed at a micro-grid of the demo grid worker's
    grid that holds a P3 person."""
    grid = accounts["grid_worker"].area_code
    township = accounts["township"].area_code
    micro, _, _ = micro_grid_with_p3(engine, grid)
    with engine.connect() as conn:
        person, household, house = conn.execute(
            text(
                "SELECT p.id, h.code, ho.code FROM person p "
                "JOIN person_tag t ON t.person_id = p.id JOIN tag_kind k ON k.tag = t.tag "
                "JOIN household h ON h.id = p.household_id "
                "JOIN house ho ON ho.id = h.house_id JOIN area a ON a.id = ho.micro_grid_id "
                "WHERE k.mark = 'P3' AND a.code = :m ORDER BY p.id LIMIT 1"
            ),
            {"m": micro},
        ).one()
        organisation = conn.execute(
            text(
                "SELECT o.code FROM organisation o JOIN area a ON a.id = o.micro_grid_id "
                "WHERE left(a.code, length(:t)) = :t ORDER BY o.code LIMIT 1"
            ),
            {"t": township},
        ).scalar_one()
        facility = conn.execute(
            text(
                "SELECT f.code FROM facility f JOIN area a ON a.id = f.micro_grid_id "
                "WHERE left(a.code, length(:t)) = :t ORDER BY f.code LIMIT 1"
            ),
            {"t": township},
        ).scalar_one()
        bounds = conn.execute(
            text(
                "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM area "
                "WHERE code = :c AND generation_high IS NULL"
            ),
            {"c": micro},
        ).one()
    z, x, y = next(iter(tiles_covering(tuple(bounds), 14)))
    return [
        ("/api/v1/households", {"micro_grid": micro, "limit": 500}),
        ("/api/v1/households", {"grid": grid, "overdue": "true", "limit": 500}),
        ("/api/v1/households", {"tag": "mental_health", "limit": 50}),
        (f"/api/v1/households/{household}", {}),
        (f"/api/v1/persons/{person}", {}),
        (f"/api/v1/houses/{house}", {}),
        ("/api/v1/facilities", {"grid": grid}),
        (f"/api/v1/facilities/{facility}", {}),
        ("/api/v1/organisations", {"limit": 500}),
        (f"/api/v1/organisations/{organisation}", {}),
        ("/api/v1/visits", {"micro_grid": micro, "limit": 200}),
        ("/api/v1/visits", {"household": household}),
        ("/api/v1/meetings", {"area": grid[:12], "limit": 50}),
        ("/api/v1/meetings/agenda", {"village": grid[:12], "month": "2026-11"}),
        ("/api/v1/my-area/households", {}),
        *(("/api/v1/coverage", {"level": lv, "within": grid}) for lv in ("micro_grid", "grid")),
        ("/api/v1/coverage", {"level": "township"}),
        ("/ogc/collections/coverage/items", {"limit": 100}),
        (f"/ogc/collections/coverage/items/{micro}", {}),
        (f"/tiles/coverage/{z}/{x}/{y}.pbf", {}),
        (f"/api/v1/areas/{grid}", {}),
    ]


@pytest.fixture(scope="module")
def p3_words(engine) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT tag, label FROM tag_kind WHERE mark = 'P3'")).all()
    return {word for row in rows for word in row}


def _findings(response: httpx.Response) -> list[str]:
    scan = PrivacyScan()
    scan.response(response)
    return scan.findings


@pytest.mark.parametrize("role", ROLES)
def test_no_clear_p2_value_and_no_p3_for_a_role_without_it(
    client, auth, accounts, urls, p3_words, role
):
    headers = auth(role)
    p3_seen = False
    for path, params in urls:
        response = client.get(path, params=params, headers=headers)
        assert response.status_code in (200, 403, 404), (role, path, response.text[:300])
        assert _findings(response) == [], (role, path)
        if response.status_code != 200:
            continue  # a refusal names what was asked for (a P3 tag filter), nothing held
        body = readable(response)
        found = sorted(w for w in p3_words if w in body)
        if accounts[role].role not in P3_ROLES:
            assert found == [], (role, path, found)
        p3_seen = p3_seen or bool(found)
    # the roles with the duty see P3 from the same URLs (when their scope holds the grid)
    assert p3_seen == (accounts[role].role in P3_ROLES), role


def test_an_import_refusal_report_names_rows_not_their_values(client, auth, tmp_path):
    from cases.registry.reading import COLUMNS

    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([COLUMNS[c] for c in ("household", "house", "address", "lon", "lat",
                                              "name", "id_number", "phone")])  # fmt: skip
        writer.writerow(["P-HH-1", "P-H-1", "测试路9号", "110.0", "40.4", "测试丁",
                         "150621198001011233", "17000999777"])  # fmt: skip
    with path.open("rb") as f:
        answer = client.post(
            "/api/v1/registry/imports", files={"file": ("bad.csv", f, "text/csv")},
            headers=auth("admin"),
        )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["written"] is False and answer.json()["refused"]
    assert "150621198001011233" not in answer.text and "17000999777" not in answer.text
    assert _findings(answer) == []
