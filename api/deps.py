"""Dependencies shared by the routers: a database connection and the generation asked for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Connection, Engine

from geo.areas import resolve_generation
from geo.settings import Settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_conn(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Connection]:
    """A pooled connection; read-only handlers never commit, so nothing is left half-written."""
    with engine.connect() as conn:
        yield conn


ConnDep = Annotated[Connection, Depends(get_conn)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]


def get_generation(
    conn: ConnDep,
    generation: Annotated[
        int | None, Query(ge=1, description="Boundary generation; default the current one.")
    ] = None,
    at: Annotated[
        datetime | None,
        Query(description="Or the generation current at this time (no offset: China time)."),
    ] = None,
) -> int:
    return resolve_generation(conn, generation, at=at)


GenerationDep = Annotated[int, Depends(get_generation)]
