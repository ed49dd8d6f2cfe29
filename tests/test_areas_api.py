"""GET /api/v1/areas, /areas/{code}, /members/{id}/area and /health."""

from __future__ import annotations

import shapely
import shapely.geometry
from sqlalchemy import text

from api.schemas import FeatureCollection, Health, MemberArea


def _ring_is_ccw(ring) -> bool:
    return shapely.LinearRing(ring).is_ccw


def test_health(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = Health.model_validate(response.json())
    assert body.generation == 1 and body.postgis.startswith("3.")


def test_townships_are_rfc7946(client, sample_areas):
    # Dalad's townships (the admin sees Haibowan's five as well; tests/test_places.py)
    response = client.get("/api/v1/areas", params={"level": "township", "parent": "150621"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    FeatureCollection.model_validate(body)
    assert "crs" not in body
    assert body["numberMatched"] == 8 and body["numberReturned"] == 8
    expected = sample_areas["township"].sort_values("code")
    assert [f["id"] for f in body["features"]] == list(expected["code"])
    for feature in body["features"]:
        assert feature["geometry"]["type"] == "MultiPolygon"
        for polygon in feature["geometry"]["coordinates"]:
            assert _ring_is_ccw(polygon[0]), feature["id"]
            assert all(not _ring_is_ccw(hole) for hole in polygon[1:])
        served = shapely.geometry.shape(feature["geometry"])
        original = expected.set_index("code").geometry[feature["id"]]
        assert served.symmetric_difference(original).area < 1e-12


def test_paging_walks_every_micro_grid_exactly_once(client, sample_areas):
    seen: list[str] = []
    url = "/api/v1/areas?level=micro_grid&parent=150621&limit=1000&simplify=50"  # Dalad's
    pages = 0
    while url:
        body = client.get(url).json()
        pages += 1
        assert body["numberReturned"] <= 1000
        seen += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    expected = sorted(sample_areas["micro_grid"]["code"])
    assert seen == expected
    assert pages == -(-len(expected) // 1000)


def test_parent_lists_direct_children_and_level_lists_descendants(client, sample_areas):
    township = sorted(sample_areas["township"]["code"])[0]
    villages = sorted(c for c in sample_areas["village"]["code"] if c.startswith(township))
    grids = sorted(c for c in sample_areas["grid"]["code"] if c.startswith(township))
    body = client.get("/api/v1/areas", params={"parent": township, "limit": 1000}).json()
    assert [f["id"] for f in body["features"]] == villages
    body = client.get(
        "/api/v1/areas", params={"parent": township, "level": "grid", "limit": 1000}
    ).json()
    assert [f["id"] for f in body["features"]] == grids


def test_bbox_selects_intersecting_micro_grids(client, sample_areas):
    micro = sample_areas["micro_grid"]
    box = (110.0, 40.35, 110.05, 40.40)
    expected = sorted(micro.loc[micro.intersects(shapely.box(*box)), "code"])
    assert expected
    body = client.get(
        "/api/v1/areas",
        params={
            "level": "micro_grid",
            "bbox": ",".join(map(str, box)),
            "datum": "wgs84",
            "limit": 1000,
        },
    ).json()
    served = [f["id"] for f in body["features"]]
    # && is a bounding-box test: a superset of the true intersections
    assert set(expected) <= set(served)


def test_area_list_bad_input(client):
    cases = [
        ({"level": "county"}, "level"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "110,40,111,41"}, "datum"),
        ({"limit": 0}, "limit"),
        ({"simplify": -1}, "simplify"),
    ]
    for params, field in cases:
        response = client.get("/api/v1/areas", params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["errors"][0]["field"] == field
    assert client.get("/api/v1/areas", params={"parent": "999"}).status_code == 404


def test_area_detail_has_chain_counts_and_people(client, sample_areas, conn):
    grid = sorted(sample_areas["grid"]["code"])[5]
    response = client.get(f"/api/v1/areas/{grid}")
    assert response.status_code == 200
    props = response.json()["properties"]
    assert [link["code"] for link in props["chain"]] == [grid[:6], grid[:9], grid[:12]]
    micro_count = sum(c.startswith(grid) for c in sample_areas["micro_grid"]["code"])
    assert props["descendant_counts"] == {"micro_grid": micro_count}
    kinds = {p["kind"] for p in props["people"]}
    assert "grid_worker" in kinds
    names = dict(
        conn.execute(
            text("SELECT id, name FROM member WHERE id = ANY(:ids)"),
            {"ids": [p["id"] for p in props["people"]]},
        ).all()
    )
    for person in props["people"]:  # 张** : the first character and a star for each other one
        name = names[person["id"]]
        assert person["name"] == name[0] + "*" * max(len(name) - 1, 1) != name
    party = conn.execute(
        text(
            "SELECT count(*) FROM member m JOIN area a ON a.id = m.area_id "
            "WHERE left(a.code, 14) = :g AND m.kind = 'party_member'"
        ),
        {"g": grid},
    ).scalar_one()
    assert props["member_counts"].get("party_member", 0) == party
    assert client.get("/api/v1/areas/150621999").status_code == 404


def test_member_area_has_geometry_chain_and_neighbours(client, conn, sample_areas):
    member_id, code, name = conn.execute(
        text(
            "SELECT m.id, a.code, m.name FROM member m JOIN area a ON a.id = m.area_id "
            "WHERE m.kind = 'grid_worker' ORDER BY m.id LIMIT 1"
        )
    ).one()
    response = client.get(f"/api/v1/members/{member_id}/area")
    assert response.status_code == 200
    body = MemberArea.model_validate(response.json())
    assert body.area.id == code
    assert [link.code for link in body.chain][-1] == code
    grids = sample_areas["grid"].set_index("code")
    mine = grids.geometry[code]
    expected = sorted(c for c, g in grids.geometry.items() if c != code and g.intersects(mine))
    assert [f.id for f in body.neighbours.features] == expected
    assert body.member.phone[3:7] == "****"
    assert body.member.name == name[0] + "*" * (len(name) - 1) and len(name) > 1
    assert client.get("/api/v1/members/99999999/area").status_code == 404
