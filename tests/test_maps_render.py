"""The map pages as HTML: Chinese titles, only local assets, and a size that does not grow with
the number of incidents."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from access.accounts import create_account
from api import tokens
from api.app import create_app
from cases.sample import load_sample
from geo import db
from geo.settings import Settings

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def grid_worker(engine):
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT min(id) FROM member WHERE kind = 'grid_worker'")
        ).scalar_one()


@pytest.mark.parametrize(
    ("path", "title", "script"),
    [
        ("/maps/command", "指挥中心地图", "/static/wangge/command.js"),
        ("/maps/heat", "热力与热点分析", "/static/wangge/heat.js"),
        ("/maps/plan", "网格调整 · 达拉特旗网格", "/static/wangge/plan.js"),
    ],
)
def test_pages_render_in_chinese_with_local_assets_only(client, path, title, script):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert f"<title>{title}" in html
    assert script in html
    assert not EXTERNAL.findall(html), EXTERNAL.findall(html)[:5]
    for asset in re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", html):
        assert client.get(asset).status_code == 200, asset


def test_field_page_for_a_member_and_a_missing_one(client, grid_worker, engine):
    with engine.connect() as conn:
        name, member_name, phone = conn.execute(
            text(
                "SELECT a.name, m.name, m.phone FROM member m JOIN area a ON a.id = m.area_id "
                "WHERE m.id = :id"
            ),
            {"id": grid_worker},
        ).one()
    html = client.get("/maps/field", params={"member": grid_worker}).text
    assert f"<title>我的网格 · {name}</title>" in html
    assert "/static/wangge/field.js" in html and "L.control.locate(" in html
    assert not EXTERNAL.findall(html)
    masked = member_name[0] + "*" * (len(member_name) - 1)
    assert f'"name": "{masked}"' in html and member_name not in html
    assert phone and phone not in html
    missing = client.get("/maps/field", params={"member": 99999999})
    assert missing.status_code == 404 and "找不到成员 99999999" in missing.text
    # the admin is no member: without ?member= there is no area of their own to show
    own = client.get("/maps/field")
    assert own.status_code == 404 and "不对应网格成员" in own.text


def test_pages_name_the_account_and_offer_sign_out(client, auth, accounts, engine):
    """The header: display name (a member's masked), role label and a POST to /logout."""
    with engine.connect() as conn:
        worker_name = conn.execute(
            text("SELECT name FROM member WHERE id = :id"),
            {"id": accounts["grid_worker"].member_id},
        ).scalar_one()
    masked = worker_name[0] + "*" * (len(worker_name) - 1)
    for username, shown, role in [
        ("command", "旗指挥中心值班员", "指挥中心"),
        ("grid_worker", masked, "网格员"),
    ]:
        for path in ("/maps/", "/maps/command", "/maps/heat", "/maps/field"):
            if path == "/maps/field" and username == "command":
                continue
            html = client.get(path, headers=auth(username)).text
            assert f'<span class="wg-user">{shown}</span>' in html, (username, path)
            assert role in html and '<form class="wg-logout' in html
            assert 'method="post" action="/logout"' in html and "退出" in html
            assert worker_name not in html


@pytest.fixture(scope="module")
def million(engine):
    """A scratch database with the sample set plus 1,000,000 incidents."""
    name = "wangge_million"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(engine.url).set(database=name).render_as_string(hide_password=False)
    db.upgrade(url)
    scratch = create_engine(url)
    load_sample(scratch)
    with scratch.begin() as conn:
        conn.execute(
            text(
                """
                INSERT INTO incident (code, category_code, datum, raw_lon, raw_lat, geom, status,
                    generation_id, micro_grid_id, queue_area_id, assignment, department_id,
                    deadline_at, reported_at, source)
                SELECT 'BIG-' || n, '0101', 'cgcs2000', ST_X(p.geom), ST_Y(p.geom), p.geom,
                       CASE WHEN n % 10 = 0 THEN 'dispatched' ELSE 'closed' END, 1, p.id, p.id,
                       'covered', 2, now(), now() - make_interval(mins => n % 100000), 'bench'
                FROM generate_series(1, 1000000) AS n
                JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS k, id,
                             ST_PointOnSurface(geom) AS geom
                      FROM area WHERE level = 'micro_grid') p
                  ON p.k = n % 6300
                """
            )
        )
        assert conn.execute(text("SELECT count(*) FROM incident")).scalar_one() >= 1_000_000
    scratch.dispose()
    yield url
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_page_sizes_with_a_million_incidents(million):
    settings = Settings(database_url=million, load_sample_data=False)
    scratch = create_engine(million)
    with scratch.begin() as conn:
        admin = create_account(conn, username="admin", password=None, role="admin")
    scratch.dispose()
    token = tokens.issue(settings, admin.id, "access").token
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {token}"}) as client:
        for path in ("/maps/command", "/maps/heat"):
            response = client.get(path)
            assert response.status_code == 200
            assert len(response.content) < 300 * 1024, (path, len(response.content))


@pytest.mark.parametrize("path", ["/maps/", "/maps/command", "/maps/heat", "/maps/plan", "field"])
def test_every_page_has_a_metric_scale_bar_only(client, grid_worker, path):
    if path == "field":
        path = f"/maps/field?member={grid_worker}"
    html = client.get(path).text
    assert html.count("L.control.scale({imperial: false})") == 1
    assert "L.control.scale()" not in html


def test_the_report_form_is_offered_to_accounts_that_may_report(client, auth, grid_worker):
    admin = client.get("/maps/field", params={"member": grid_worker}).text
    command = client.get(
        "/maps/field", params={"member": grid_worker}, headers=auth("command")
    ).text
    assert "/static/wangge/report.js" in admin and '"canReport": true' in admin
    assert '{"code": "0101", "name": "邻里纠纷", "major_name": "矛盾纠纷"}' in admin
    assert "/static/wangge/report.js" not in command and '"canReport": false' in command
    assert '"categories": []' in command


def test_the_plan_page_is_linked_for_planners_with_its_scripts_after_leaflet(client, auth):
    planner = client.get("/maps/", headers=auth("planner")).text
    command = client.get("/maps/", headers=auth("command")).text
    link = '<a class="nav-link wg-plan-link" href="/maps/plan">网格调整</a>'
    assert link in planner and link not in command
    html = client.get("/maps/plan", headers=auth("planner")).text
    order = ["leaflet/leaflet.js", "leaflet-draw/leaflet.draw.js", "plan-draw-zh.js", "plan.js"]
    places = [html.index(f'{name}"></script>') for name in order]
    assert places[0] < places[1] and places[2] < places[3], places
    assert "L.Control.Draw" not in html  # plan-select.js builds the toolbar, in Chinese
