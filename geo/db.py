"""Database engine, migrations and the start-up sequence shared by the service and the tests."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, text

from geo.embedded import EmbeddedPostgres
from geo.settings import Settings

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS_DIR = REPO_ROOT / "migrations"


#: Connections kept open, and as many more opened under load.
POOL_SIZE = 20
#: A checkout waits at most this long for a pooled connection (then the API answers 503).
POOL_TIMEOUT_S = 30.0
#: Requests that may hold a connection at once (``api.deps``), short of the pool's
#: 2 × :data:`POOL_SIZE` so that authentication and housekeeping always find one free.
REQUEST_SLOTS = 2 * POOL_SIZE - 4


def make_engine(url: str, *, pool_size: int = POOL_SIZE) -> Engine:
    """An engine for ``url`` with a bounded pool and pre-ping (survives a database restart)."""
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=POOL_TIMEOUT_S,
        pool_pre_ping=True,
    )


def alembic_config(url: str) -> Config:
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


#: The role the embedded server's service connects as: it may read and write the tables but
#: not alter them, and may only append to the audit log and the incident trails.
SERVICE_ROLE = "wangge_service"

_GRANTS = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
        CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
    END IF;
END $$;
GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role};
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, incident_event FROM {role};
"""


def grant_service_role(engine: Engine) -> str:
    """Create (once) and grant the service role on ``engine``'s database, as its owner; the
    URL for the service. Run after every migration, so new tables are granted too."""
    database = engine.url.database
    assert database is not None and database.replace("_", "").isalnum(), database
    with engine.begin() as conn:
        conn.exec_driver_sql(_GRANTS.format(role=SERVICE_ROLE, database=f'"{database}"'))
    return engine.url.set(username=SERVICE_ROLE, password=None).render_as_string(
        hide_password=False
    )


@dataclass
class Database:
    """A ready database: its owner's URL and engine (migrations, loaders, tests), the URL the
    service connects with, and, when embedded, the server we started.

    Embedded, the service connects as :data:`SERVICE_ROLE`; with an external database it uses
    the URL it was given, whose role the operator grants (see README).
    """

    url: str
    engine: Engine
    embedded: EmbeddedPostgres | None = field(default=None)
    service_url: str = ""

    def __post_init__(self) -> None:
        self.service_url = self.service_url or self.url

    def close(self) -> None:
        """Dispose of the pool and stop the embedded server, if we started one."""
        self.engine.dispose()
        if self.embedded is not None:
            self.embedded.stop()


#: Loads the sample data into an empty, migrated database (see ``cases.sample``).
SampleLoader = Callable[[Engine], object]


def prepare(settings: Settings, *, load: SampleLoader | None = None) -> Database:
    """Start (or reach) the database, migrate it, and ``load`` the sample into an empty one.

    With no ``settings.database_url`` this starts the embedded PostGIS in
    ``settings.data_dir / "pg"``. Without ``load``, only the areas and people are loaded.
    """
    embedded = None
    url = settings.database_url
    if not url:
        embedded = EmbeddedPostgres(settings.pg_dir, pg_bin=settings.pg_bin)
        url = embedded.start()
    try:
        upgrade(url)
        engine = make_engine(url)
        if settings.load_sample_data and is_empty(engine):
            if load is None:
                from geo.loader import load_sample

                load = load_sample
            started = time.perf_counter()
            load(engine)
            log.info("sample data loaded in %.1f s", time.perf_counter() - started)
        service_url = grant_service_role(engine) if embedded is not None else url
    except BaseException:
        if embedded is not None:
            embedded.stop()
        raise
    return Database(url=url, engine=engine, embedded=embedded, service_url=service_url)


def is_empty(engine: Engine) -> bool:
    """True when no generation has been loaded yet."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT NOT EXISTS (SELECT 1 FROM generation)")).scalar_one()


def postgis_version(conn: Connection) -> str:
    """The PostGIS library version the database runs, e.g. ``3.4.2``."""
    return str(conn.execute(text("SELECT postgis_lib_version()")).scalar_one())
