"""Session fixtures: a real embedded PostGIS started by the same code as the service.

The database is created fresh for each test session under ``var/test-session-<pid>``, migrated
and loaded with the sample data; each test gets a connection inside a transaction that is
rolled back.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlalchemy import Connection, Engine

from access.accounts import DEMO_PASSWORD, AccountRow, all_accounts, create_account, find_account
from api import tokens
from api.app import create_app, prepare_database
from geo import db
from geo.embedded import EmbeddedPostgres
from geo.settings import Settings
from tests.browser import SCREENSHOTS, PageCheck, launch_chromium, screenshot_name
from tests.helpers import serving
from tests.privacy_scan import PrivacyScan

REPO = Path(__file__).resolve().parents[1]
VAR = REPO / "var"
SAMPLE = REPO / "sample_data"


def _remove_stale_sessions() -> None:
    """Stop and delete clusters left by test sessions that were killed."""
    for old in VAR.glob("test-session-*"):
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and Path(f"/proc/{pid}").exists():
            continue  # a concurrent session is still using it
        for cluster in ("pg-replica", "pg"):  # the standby of tests/test_replica.py first
            if (old / cluster / "data").exists():
                EmbeddedPostgres(old / cluster).shutdown()
        shutil.rmtree(old, ignore_errors=True)


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    VAR.mkdir(exist_ok=True)
    _remove_stale_sessions()
    path = VAR / f"test-session-{os.getpid()}"
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def database(data_dir: Path) -> Iterator[db.Database]:
    database = prepare_database(Settings(data_dir=data_dir, database_url=None))
    yield database
    database.close()


@pytest.fixture(scope="session")
def engine(database: db.Database) -> Engine:
    return database.engine


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


#: The service's settings in tests: tokens outlive the session, intake and reveals are not
#: throttled (tests of the limits lower them on the app for their duration; reveals count
#: from the audit log, so those tests reveal as a fresh account: tests.helpers.fresh_account).
def _settings(database: db.Database) -> Settings:
    return Settings(
        database_url=database.service_url,  # the service's own role, as `make run` uses
        # photos on actions land in the session's folder, removed with it
        **({"data_dir": database.embedded.root.parent} if database.embedded else {}),
        load_sample_data=False,
        access_token_minutes=24 * 60,
        intake_rate="1000000/minute",
        reveal_rate="1000000/hour",
    )


@pytest.fixture(scope="session")
def accounts(engine: Engine) -> dict[str, AccountRow]:
    """The demo accounts (one per role) and a peer of each scoped one in another township."""
    with engine.begin() as conn:
        for peer in PEERS:
            if find_account(conn, username=peer["username"]) is None:
                create_account(conn, password=DEMO_PASSWORD, **peer)
        found = {a.username: a for a in all_accounts(conn)}
    return found


#: Peers of the scoped demo accounts, outside the demo township 150621001.
PEERS: list[dict[str, Any]] = [
    {"username": "township_peer", "role": "township", "area_code": "150621002"},
    {"username": "grid_worker_peer", "role": "grid_worker", "area_code": "15062100200101"},
    {"username": "party_member_peer", "role": "party_member", "area_code": "1506210020010101"},
    {"username": "department_peer", "role": "department", "department": "D01"},
    {"username": "planner_township", "role": "planner", "area_code": "150621001"},
]


@pytest.fixture(scope="session")
def auth(database: db.Database, accounts: dict[str, AccountRow]) -> Callable[[str], dict[str, str]]:
    """``auth("grid_worker")``: headers carrying a fresh access token of that account."""
    settings = _settings(database)

    def headers(username: str) -> dict[str, str]:
        token = tokens.issue(settings, accounts[username].id, "access").token
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture(scope="session", autouse=True)
def privacy_scan() -> Iterator[PrivacyScan]:
    """Every response of the test clients and every log record of the session, scanned for
    unmasked phone and ID numbers; any finding fails the session at its end."""
    scan = PrivacyScan()
    root = logging.getLogger()
    handler = scan.handler()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    try:
        yield scan
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert not scan.findings, "personal data in clear:\n" + "\n".join(scan.findings[:50])


@pytest.fixture(scope="session")
def client(
    database: db.Database, auth: Callable[[str], dict[str, str]], privacy_scan: PrivacyScan
) -> Iterator[TestClient]:
    """The service, signed in as the admin (each test may pass other headers)."""
    app = create_app(_settings(database))
    with TestClient(app, raise_server_exceptions=False, headers=auth("admin")) as test_client:
        test_client.event_hooks = {"request": [], "response": [privacy_scan.response]}
        yield test_client


@pytest.fixture(scope="session")
def anon(client: TestClient, privacy_scan: PrivacyScan) -> TestClient:
    """The same app with no credentials."""
    test_client = TestClient(client.app, raise_server_exceptions=False)
    test_client.event_hooks = {"request": [], "response": [privacy_scan.response]}
    return test_client


@pytest.fixture(scope="session")
def sample_areas() -> dict[str, gpd.GeoDataFrame]:
    """The committed sample files, read independently of the database (expected values)."""
    levels = ("banner", "township", "village", "grid", "micro_grid")
    return {level: gpd.read_file(SAMPLE / "areas" / f"{level}.geojson") for level in levels}


@pytest.fixture(scope="session")
def live_server(database: db.Database) -> Iterator[str]:
    """The app served by a real uvicorn on a loopback port, for concurrency tests."""
    with serving(create_app(_settings(database))) as base:
        yield base


@pytest.fixture(scope="session")
def admin_headers(auth: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return auth("admin")


@pytest.fixture(scope="session")
def session_cookie(database: db.Database, accounts: dict[str, AccountRow]) -> str:
    """A page session (the sign-in page's cookie) of the command-centre demo account."""
    return tokens.issue(_settings(database), accounts["command"].id, "session").token


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: while Playwright's sync API is up, asyncio.run() cannot be
    called in the main thread, and the session's one Chromium stays up until the end."""
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the session; missing Chromium fails, never skips."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = launch_chromium(playwright)
        except RuntimeError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield chromium
        chromium.close()


@pytest.fixture
def page_check(
    browser: Browser,
    live_server: str,
    session_cookie: str,
    privacy_scan: PrivacyScan,
    request: pytest.FixtureRequest,
) -> Iterator[PageCheck]:
    """A fresh page on the live service with every other host blocked (see tests/browser.py).

    ``goto(path)``, ``serve_html(path, html)``, ``assert_clean()`` and ``page`` (Playwright's);
    a full-page screenshot goes to ``test-artifacts/screenshots/<test name>.png``.
    """
    check = PageCheck(browser, live_server, session=session_cookie)
    yield check
    if not check.page.is_closed():
        privacy_scan.text(f"page {check.page.url}", check.page.content())
    check.close(SCREENSHOTS / screenshot_name(request.node.name))


@pytest.fixture
def page_as(
    browser: Browser,
    live_server: str,
    database: db.Database,
    accounts: dict[str, AccountRow],
    privacy_scan: PrivacyScan,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., PageCheck]]:
    """``page_as("township", viewport=…, has_touch=True)``: a page check signed in as that demo
    account (its page session), any number per test; each page is scanned for personal data
    and screenshotted (``<test name>-<i>.png`` after the first) when the test ends."""
    settings = _settings(database)
    opened: list[PageCheck] = []

    def open_as(username: str, **context: Any) -> PageCheck:
        session = tokens.issue(settings, accounts[username].id, "session").token
        check = PageCheck(browser, live_server, session=session, **context)
        opened.append(check)
        return check

    yield open_as
    for i, check in enumerate(opened):
        if not check.page.is_closed():
            privacy_scan.text(f"page {check.page.url}", check.page.content())
        check.close(SCREENSHOTS / screenshot_name(request.node.name + (f"-{i}" if i else "")))
