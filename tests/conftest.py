"""Session fixtures: a real embedded PostGIS started by the same code as the service.

The database is created fresh for each test session under ``var/test-session-<pid>``, migrated
and loaded with the sample data; each test gets a connection inside a transaction that is
rolled back.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlalchemy import Connection, Engine

from api.app import create_app, prepare_database
from geo import db
from geo.embedded import EmbeddedPostgres
from geo.settings import Settings
from tests.browser import SCREENSHOTS, PageCheck, launch_chromium, screenshot_name
from tests.helpers import serving

REPO = Path(__file__).resolve().parents[1]
VAR = REPO / "var"
SAMPLE = REPO / "sample_data"


def _remove_stale_sessions() -> None:
    """Stop and delete clusters left by test sessions that were killed."""
    for old in VAR.glob("test-session-*"):
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and Path(f"/proc/{pid}").exists():
            continue  # a concurrent session is still using it
        if (old / "pg" / "data").exists():
            EmbeddedPostgres(old / "pg").shutdown()
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


@pytest.fixture(scope="session")
def client(database: db.Database) -> Iterator[TestClient]:
    settings = Settings(database_url=database.url, load_sample_data=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def sample_areas() -> dict[str, gpd.GeoDataFrame]:
    """The committed sample files, read independently of the database (expected values)."""
    levels = ("banner", "township", "village", "grid", "micro_grid")
    return {level: gpd.read_file(SAMPLE / "areas" / f"{level}.geojson") for level in levels}


@pytest.fixture(scope="session")
def live_server(database: db.Database) -> Iterator[str]:
    """The app served by a real uvicorn on a loopback port, for concurrency tests."""
    settings = Settings(database_url=database.url, load_sample_data=False)
    with serving(create_app(settings)) as base:
        yield base


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
    browser: Browser, live_server: str, request: pytest.FixtureRequest
) -> Iterator[PageCheck]:
    """A fresh page on the live service with every other host blocked (see tests/browser.py).

    ``goto(path)``, ``serve_html(path, html)``, ``assert_clean()`` and ``page`` (Playwright's);
    a full-page screenshot goes to ``test-artifacts/screenshots/<test name>.png``.
    """
    check = PageCheck(browser, live_server)
    yield check
    check.close(SCREENSHOTS / screenshot_name(request.node.name))
