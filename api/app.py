"""The FastAPI app factory. Settings are read here, never at import time."""

from __future__ import annotations

import asyncio
import logging
import threading
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from psycopg_pool import PoolTimeout as ReadPoolTimeout
from pydantic.warnings import UnsupportedFieldAttributeWarning
from sqlalchemy import Engine
from sqlalchemy.exc import TimeoutError as PoolTimeout

from access import ratelimit
from access.accounts import ensure_demo_accounts
from api import errors, openapi, tokens
from api.auth import authenticate, document_security
from api.broadcast import Broadcaster
from api.cluster import HEALTH_CHECK_LINES
from api.inputs import refuse_unstorable
from api.limits import BodySizeLimit
from api.ratelimit import Limiter
from api.replica import ReplicaReads
from api.routers import (
    actions,
    areas,
    attachments,
    audit,
    auth,
    cobuild,
    docs,
    exports,
    figures,
    health,
    heat,
    incident_import,
    incidents,
    indicators,
    locate,
    login,
    maps,
    maps_index,
    mediation,
    members,
    ogc,
    ogc_edit,
    ogc_tiles,
    open311,
    party,
    plan_balance,
    plan_review,
    plans,
    rankings,
    registry,
    routines,
    routing,
    stream,
    tiles,
    time_limits,
    whistles,
)
from cases.intake import add_year_partitions, purge_expired_keys
from cases.loop import calendar, supervision
from cases.redraw.publish import activate_due
from cases.sample import load_sample
from geo import db, hotspots, replica
from geo.privacy import install_log_masking
from geo.settings import Settings
from maps import assets

# FastAPI hands a path parameter's name to pydantic as its alias, and pydantic >= 2.12 warns
# that the alias has no effect; it has (a known false positive, pydantic/pydantic#12356), and
# the warning would print a library path into the service's log on the first request.
warnings.filterwarnings(
    "ignore", category=UnsupportedFieldAttributeWarning, module=r"pydantic\._internal"
)
log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


async def _pool_busy(request: Request, exc: Exception) -> Response:
    """No pooled connection came free within ``geo.db.POOL_TIMEOUT_S``: answer 503 at once
    rather than keep the client waiting, and say so in the log."""
    log.warning("busy on %s %s: %s", request.method, request.url.path, exc)
    body = errors.error_body("the service is busy, try again shortly", status=503)
    return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})


def _purge_tokens(engine: Engine) -> int:
    with engine.begin() as conn:
        return tokens.purge_expired(conn)


async def _housekeeping(engine: Engine, every_s: float = 3600.0) -> None:
    """Purge expired idempotency keys, token ids and idle rate-limit counters, and make the
    coming years' partitions of the incidents, at start-up and then every hour (any number
    of processes may run it at once, and whichever runs first does the work)."""
    while True:
        try:
            removed = await asyncio.to_thread(purge_expired_keys, engine)
            if removed:
                log.info("purged %d expired idempotency keys", removed)
            forgotten = await asyncio.to_thread(_purge_tokens, engine)
            if forgotten:
                log.info("forgot %d expired token ids", forgotten)
            idle = await asyncio.to_thread(ratelimit.purge_expired, engine)
            if idle:
                log.info("forgot %d idle rate-limit counters", idle)
        except Exception:  # housekeeping must never take the service down
            log.exception("housekeeping failed")
        try:
            made = await asyncio.to_thread(add_year_partitions, engine)
            if made:
                log.info("made %d yearly partitions of incidents and their trail", made)
        except Exception:  # e.g. the default partition holds rows of the coming year
            log.exception("making the coming years' partitions failed")
        await asyncio.sleep(every_s)


async def _activate_scheduled(engine: Engine, limit_m: float, every_s: float = 30.0) -> None:
    """Move people and open cases onto scheduled generations once they become current."""
    while True:
        try:
            await asyncio.to_thread(activate_due, engine, limit_m=limit_m)
        except Exception:  # like housekeeping: log, never take the service down
            log.exception("activating scheduled plans failed")
        await asyncio.sleep(every_s)


async def _supervise(engine: Engine, every_s: float = supervision.EVERY_S) -> None:
    """The supervision sweep (warnings, 催办, cards) every minute; its state is in the
    database, so a restart or a second worker changes nothing (cases/loop/supervision.py)."""
    while True:
        try:
            issued = await asyncio.to_thread(supervision.run, engine)
            if issued:
                log.info("supervision: %s", dict(sorted(issued.items())))
        except Exception:  # like housekeeping: log, never take the service down
            log.exception("the supervision sweep failed")
        await asyncio.sleep(every_s)


def prepare_database(settings: Settings) -> db.Database:
    """Start, migrate and (when empty) fill the database with the whole sample set; in
    development, add the demo accounts (one per role) that are missing."""
    database = db.prepare(settings, load=load_sample)
    try:
        if settings.environment == "development" and settings.load_sample_data:
            with database.engine.begin() as conn:
                ensure_demo_accounts(conn)
        replica.attach_standby(database, settings)  # WANGGE_EMBEDDED_REPLICA
    except BaseException:
        database.close()
        raise
    return database


async def _start_replica(
    settings: Settings, primary: Engine, embedded_url: str | None
) -> replica.ReadReplica | None:
    """The replica the read-only routes read from (``api/replica.py``), checked from now on;
    None when there is none."""
    url = settings.replica_url or embedded_url
    if not url:
        return None
    reads = replica.ReadReplica(
        primary.url.render_as_string(hide_password=False),
        url,
        max_lag_s=settings.replica_max_lag_s,
        every_s=settings.replica_check_s,
    )
    await asyncio.to_thread(reads.start)
    return reads


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service.

    With ``settings.database_url`` set the app uses that database as it is (the CLI prepares
    it); without, start-up prepares the embedded PostGIS and shutdown stops it.
    """
    settings = settings or Settings()
    calendar.WorkingHours.parse(settings.working_hours)  # a bad setting stops start-up here
    install_log_masking()  # before uvicorn or anything else logs a request
    logging.getLogger("uvicorn.access").addFilter(HEALTH_CHECK_LINES)  # HAProxy's checks

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.database_url:  # through PgBouncer if there is one; LISTEN never is
            pooled = settings.pooler_url or settings.database_url
            engine = db.make_engine(pooled, pooler=bool(settings.pooler_url))
            database = db.Database(settings.database_url, engine)
        else:
            database = prepare_database(settings)
            database.watch()  # restarts the embedded server if it dies
            engine = db.make_engine(database.service_url)  # not the owner: see geo/db.py
        app.state.engine = engine
        app.state.database_key = engine.url.render_as_string()  # names its kept calendars
        # the hot one-statement reads (GET /locate) and the case actions run in the event
        # loop on their own pool
        app.state.read_pool = db.make_read_pool(
            settings.pooler_url or database.service_url, pooler=bool(settings.pooler_url)
        )
        await app.state.read_pool.open()
        if settings.rate_limit_store == "database":  # shared by every process (api/ratelimit.py)
            app.state.limiter = Limiter(ratelimit.DatabaseStorage(engine))
        app.state.broadcaster = Broadcaster(database.service_url)
        app.state.broadcaster.start()
        app.state.replica = await _start_replica(settings, engine, database.replica_url)
        housekeeping = asyncio.create_task(_housekeeping(engine))
        activation = asyncio.create_task(_activate_scheduled(engine, settings.nearest_limit_m))
        supervising = asyncio.create_task(_supervise(engine))
        # numba compiles esda's Gi* kernels on first use (~15 s): pay it now, off the event loop
        threading.Thread(target=hotspots.warm_up, name="gi-warm-up", daemon=True).start()
        try:
            yield
        finally:
            if app.state.replica is not None:
                app.state.replica.close()
            housekeeping.cancel()
            activation.cancel()
            supervising.cancel()
            await app.state.broadcaster.stop()
            await app.state.read_pool.close()
            engine.dispose()
            database.close()

    app = FastAPI(
        title="网格 Wangge",
        summary="基层网格化治理地图服务：区域、定位、责任人",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc come from api/routers/docs.py, with local files
        redoc_url=None,
        # values no column can hold are refused first, naming the field (api/inputs.py); every
        # route is closed unless it is marked public (api/auth.py)
        dependencies=[Depends(refuse_unstorable), Depends(authenticate)],
    )
    app.state.settings = settings
    app.state.limiter = Limiter()
    errors.register(app)
    app.add_exception_handler(PoolTimeout, _pool_busy)
    app.add_exception_handler(ReadPoolTimeout, _pool_busy)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(ReplicaReads)  # X-Replica-Lag; a GET the replica failed, read again
    for router in (
        locate.router,  # first: the hottest path, matched before any other router is tried
        actions.router,  # then the case actions (POST /incidents/{code}/actions)
        health.router,
        auth.router,
        audit.router,
        exports.router,  # before areas: /areas/export is not an area code
        areas.router,
        members.router,
        figures.router,  # before incidents: /incidents/summary is not an incident code
        incidents.router,
        indicators.router,
        rankings.router,
        incident_import.router,
        routing.router,
        stream.router,
        heat.router,
        plans.router,
        plan_review.router,
        time_limits.router,
        attachments.router,
        mediation.router,
        whistles.router,
        party.router,
        routines.router,
        registry.router,
        plan_balance.router,
        cobuild.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(open311.router, prefix="/open311/v2")
    app.include_router(ogc_edit.router, prefix="/ogc")  # before ogc.router's catch-all
    app.include_router(ogc_tiles.router, prefix="/ogc")  # before ogc's /{path:path} catch-all
    app.include_router(ogc.router, prefix="/ogc")
    app.include_router(tiles.router)
    app.include_router(docs.router)
    app.include_router(login.router)
    app.include_router(maps_index.router)
    app.include_router(maps.router)
    app.include_router(mediation.pages)
    app.include_router(cobuild.pages)
    assets.localize()
    assets.mount_static(app)
    document_security(app)
    openapi.document_answers(app)
    return app
