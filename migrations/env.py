"""Alembic environment: the URL comes from the caller or from settings, never from alembic.ini."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, pool

import access.ratelimit  # noqa: F401  (the shared rate-limit counters)
import cases.cobuild.models

# Importing registers the tables on Base.metadata: accounts and tokens, the audit log, the
# incident workflow and (below) the boundary plans.
import cases.mediation.models
import cases.models
import cases.routines.models  # noqa: F401  (contacts, meetings, routine reminders)
import geo.plans.models  # noqa: F401  (registers the boundary plan tables)
from cases.registry import models as registry_models  # noqa: F401  (the 人地事物组织 registry)
from cases.whistle import models as _whistle_models  # noqa: F401  (the whistle's tables)
from geo import db
from geo.models import Base
from geo.settings import Settings

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("url") or Settings().database_url
    if not url:
        raise SystemExit(
            "set WANGGE_DATABASE_URL (or run `wangge db upgrade`, which starts the "
            "embedded PostGIS)"
        )
    return str(url)


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        include_object=db.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
        **kwargs,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _configure(connection=conn)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
