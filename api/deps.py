"""Dependencies shared by the routers: a database connection, the generation asked for, and
the caller's intake allowance."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Connection, Engine

from access.accounts import Permission
from api.auth import PrincipalDep
from api.ratelimit import Limiter
from api.replica import read_engine
from geo import db
from geo.areas import resolve_generation
from geo.settings import Settings

# Dependencies that do no I/O are ``async``: FastAPI runs a plain ``def`` one in the thread
# pool, a hop that costs more than the lookup itself.


@asynccontextmanager
async def connection_slot(request: Request) -> AsyncIterator[Engine]:
    """The engine, once one of :data:`geo.db.REQUEST_SLOTS` is free, held until the block
    ends. The wait is in the event loop: a request queuing in a worker thread for a
    connection would hold the thread that a request holding a connection needs to give it
    back (sync dependencies close in the thread pool), and under load all of them stall."""
    slots: asyncio.Semaphore | None = getattr(request.app.state, "connection_slots", None)
    if slots is None:
        slots = request.app.state.connection_slots = asyncio.Semaphore(db.REQUEST_SLOTS)
    async with slots:
        yield read_engine(request)  # the primary, or the replica for a replica_read route


async def get_engine(request: Request) -> AsyncIterator[Engine]:
    """The engine, with a :func:`connection_slot` held until the response is sent."""
    async with connection_slot(request) as engine:
        yield engine


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_conn(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Connection]:
    """A pooled connection; read-only handlers never commit, so nothing is left half-written."""
    with engine.connect() as conn:
        yield conn


def get_read_conn(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Connection]:
    """A pooled connection in autocommit, for a handler that reads with ONE statement (its
    own snapshot): no ``BEGIN`` and ``ROLLBACK`` round trips around it."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


async def get_read_pool(request: Request) -> AsyncConnectionPool:
    """The read pool (:func:`geo.db.make_read_pool`), for a hot handler that reads with ONE
    short statement: the connection is taken, used and given back in the event loop, so
    neither the checkout nor the statement costs a hop to a worker thread. (A plain ``async``
    dependency: one that yields costs a context manager and a cancel scope per request.)"""
    pool: AsyncConnectionPool = request.app.state.read_pool
    return pool


ConnDep = Annotated[Connection, Depends(get_conn)]
ReadConnDep = Annotated[Connection, Depends(get_read_conn)]
ReadPoolDep = Annotated[AsyncConnectionPool, Depends(get_read_pool)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]


#: The two ways to ask for a boundary generation, as query parameters; one at most (422).
GenerationQuery = Annotated[
    int | None,
    Query(ge=1, description="Boundary generation; default the current one. Not with `at` (422)."),
]
AtQuery = Annotated[
    datetime | None,
    Query(
        description="Or the generation current at this time (no offset: China time). "
        "Not with `generation` (422)."
    ),
]


def get_generation(
    conn: ConnDep,
    generation: GenerationQuery = None,
    at: AtQuery = None,
) -> int:
    return resolve_generation(conn, generation, at=at)


GenerationDep = Annotated[int, Depends(get_generation)]


async def get_generation_or_current(
    request: Request,
    generation: GenerationQuery = None,
    at: AtQuery = None,
) -> int | None:
    """As :func:`get_generation`, but None for "the current one", which a single-statement
    handler resolves in its own statement (one round trip fewer); only a generation asked
    for takes a connection (and a worker thread) to be checked."""
    if generation is None and at is None:
        return None
    async with connection_slot(request) as engine:
        return await run_in_threadpool(_resolve_generation, engine, generation, at)


def _resolve_generation(engine: Engine, generation: int | None, at: datetime | None) -> int:
    with engine.connect() as conn:
        return resolve_generation(conn, generation, at=at)


GenerationOrCurrentDep = Annotated[int | None, Depends(get_generation_or_current)]


async def intake_gate(request: Request, principal: PrincipalDep) -> Callable[[], None]:
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


async def get_privacy_k(principal: PrincipalDep, settings: SettingsDep) -> int:
    """Aggregate counts from 1 to this minus one are suppressed for the caller; 0: none are.

    Roles that work on cases, those that may reveal a reporter (:data:`Permission.REVEAL`:
    admin, command, township, department, grid worker), read every count; the others (planner,
    party member) may not read a single case off a map, so they get ``WANGGE_PRIVACY_K``.
    """
    return 0 if principal.can(Permission.REVEAL) else settings.privacy_k


PrivacyKDep = Annotated[int, Depends(get_privacy_k)]
