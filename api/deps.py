"""Dependencies shared by the routers: a database connection, the generation asked for, and
the caller's intake allowance."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Connection, Engine

from api.auth import PrincipalDep
from api.ratelimit import Limiter
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


def intake_gate(request: Request, principal: PrincipalDep) -> Callable[[], None]:
    """Counts one new report against the caller's ``intake_rate`` (429 past it).

    Handed to :func:`cases.intake.submit` as ``admit``, which calls it only for a report that
    is not a replay, so retrying a report that went through is never refused.
    """
    settings: Settings = request.app.state.settings
    limiter: Limiter = request.app.state.limiter

    def admit() -> None:
        limiter.hit(settings.intake_rate, "intake", str(principal.account_id))

    return admit


IntakeGateDep = Annotated[Callable[[], None], Depends(intake_gate)]
