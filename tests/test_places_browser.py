"""Both places on the command map (issue #18), in real headless Chromium, the network cut off:
the province's account sees Dalad and Haibowan; a township officer of Haibowan sees only its
own township, its map framed on it. Expected names and codes come from SQL written here."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser import PageCheck

MAP = "Object.values(window).find(v => v instanceof L.Map)"
#: A point in each place: Dalad's seat (树林召镇) and Haibowan's city by the river.
DALAD_SEAT = (110.04, 40.405)
HAIBOWAN_CITY = (106.822, 39.675)


def _township_names(engine, prefix: str) -> list[str]:
    with engine.connect() as conn:
        return sorted(
            conn.execute(
                text(
                    "SELECT name FROM area WHERE level = 'township' AND generation_high IS NULL "
                    "AND code LIKE :p || '%'"
                ),
                {"p": prefix},
            ).scalars()
        )


def _open_command_map(check: PageCheck, townships: int) -> None:
    check.goto("/maps/command", wait_until="load")  # the event stream never goes idle
    check.page.wait_for_function(
        f"() => window.wanggeState && window.wanggeState.townshipCount === {townships} "
        "&& window.wanggeState.lastLoad",
        timeout=20000,
    )


def _in_view(check: PageCheck, lon: float, lat: float) -> bool:
    return bool(
        check.page.evaluate(f"([lat, lon]) => {MAP}.getBounds().contains([lat, lon])", [lat, lon])
    )


def test_the_province_sees_both_places(page_as, engine) -> None:
    check = page_as("province")
    page = check.page
    page.set_viewport_size({"width": 1600, "height": 900})
    expected = _township_names(engine, "15")
    assert len(expected) == 13 and "千里山镇" in expected and "树林召镇" in expected
    _open_command_map(check, 13)
    expect(page).to_have_title("指挥中心地图 · 内蒙古自治区网格")
    labels = page.locator(".wg-label-township")
    expect(labels).to_have_count(13)
    assert sorted(labels.all_inner_texts()) == expected
    assert _in_view(check, *DALAD_SEAT) and _in_view(check, *HAIBOWAN_CITY)
    banners = page.evaluate(
        "() => window.wangge.fetch('/api/v1/areas?level=banner').then(r => r.json())"
        ".then(fc => fc.features.map(f => f.id))"
    )
    assert banners == ["150302", "150621"]
    check.assert_clean()


def test_a_haibowan_township_sees_only_its_own(page_as, engine) -> None:
    check = page_as("haibowan_township")
    page = check.page
    page.set_viewport_size({"width": 1600, "height": 900})
    _open_command_map(check, 1)
    expect(page).to_have_title("指挥中心地图 · 海勃湾区网格")
    expect(page.locator(".wg-label-township")).to_have_text(["千里山镇"])
    # the layer switch names the level as a district does (街道), not as a banner (苏木镇)
    layers = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert "街道" in [t.strip() for t in layers] and not any("苏木镇" in t for t in layers)
    with engine.connect() as conn:
        west, south, east, north = conn.execute(
            text(
                "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM area "
                "WHERE code = '150302101' AND generation_high IS NULL"
            )
        ).one()
        villages = conn.execute(
            text(
                "SELECT code FROM area WHERE level = 'village' AND generation_high IS NULL "
                "AND code LIKE '150302101%' ORDER BY code"
            )
        ).scalars()
        village_codes = list(villages)
    # the first view frames the township: its centre lies in its box, Dalad is out of view
    centre = page.evaluate(f"() => {MAP}.getCenter()")
    assert west < centre["lng"] < east and south < centre["lat"] < north
    assert not _in_view(check, *DALAD_SEAT)
    assert village_codes[0] == "150302101001" and len(village_codes) == 6
    lists = page.evaluate(
        """() => Promise.all([
             window.wangge.fetch('/api/v1/areas?level=village&limit=100').then(r => r.json()),
             window.wangge.fetch('/api/v1/incidents?limit=500').then(r => r.json()),
           ]).then(([areas, cases]) => ({
             villages: areas.features.map(f => f.id),
             queues: cases.items.map(i => i.assignment.queue_area.code),
           }))"""
    )
    assert lists["villages"] == village_codes
    assert lists["queues"] and all(q.startswith("150302101") for q in lists["queues"])
    check.assert_clean()
