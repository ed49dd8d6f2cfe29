"""The schema comes from Alembic; models and migrations never drift; every revision downgrades."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import cases.cobuild.models
import cases.mediation.models
import cases.models  # (the workflow, account and audit tables join Base.metadata)
import cases.routines.models  # noqa: F401  (contacts, meetings, routine reminders)
import geo.plans.models  # noqa: F401  (and the boundary plan tables)
from cases.registry import models as registry_models  # noqa: F401  (the registry tables)
from cases.whistle import models as _whistle_models  # noqa: F401  (and the whistle's)
from geo import db
from geo.models import Base


def test_models_and_migrations_do_not_drift(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_object": db.include_object,
                "compare_type": True,
                "target_metadata": Base.metadata,
            },
        )
        assert compare_metadata(context, Base.metadata) == []


@pytest.fixture
def scratch_url(engine):
    """A second, empty database on the same server."""
    name = "wangge_migration_scratch"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(engine.url).set(database=name).render_as_string(hide_password=False)
    yield url
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_upgrade_downgrade_upgrade_round_trip(scratch_url):
    db.upgrade(scratch_url)
    scratch = create_engine(scratch_url)
    try:
        tables = set(inspect(scratch).get_table_names())
        assert {"area", "generation", "department", "member"} <= tables
        db.downgrade(scratch_url, "base")
        assert set(inspect(scratch).get_table_names()) - {"spatial_ref_sys"} == {"alembic_version"}
        db.upgrade(scratch_url)
        assert {"area", "member"} <= set(inspect(scratch).get_table_names())
    finally:
        scratch.dispose()


def test_invalid_geometry_is_refused_by_the_check_constraint(conn):
    from sqlalchemy.exc import IntegrityError

    bowtie = "MULTIPOLYGON(((110 40,111 41,111 40,110 41,110 40)))"
    with pytest.raises(IntegrityError, match="ck_area_geom_valid"), conn.begin_nested():
        conn.execute(
            text(
                "INSERT INTO area (code, name, level, generation_low, geom) "
                "VALUES ('1', 'x', 'banner', 1, ST_GeomFromText(:wkt, 4490))"
            ),
            {"wkt": bowtie},
        )
