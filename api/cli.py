"""The ``wangge`` command line."""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from access import audit
from access.accounts import (
    DEMO_PASSWORD,
    ROLE_LABELS,
    Role,
    demo_accounts_if_loaded,
    find_account,
    issue_api_key,
    open_account,
)
from api.app import create_app, prepare_database
from api.cluster import Cluster
from cases.imports.importer import ImportReport, import_incidents
from cases.registry.imports import import_registry
from geo import db
from geo.areas import resolve_generation
from geo.errors import NotFound, WanggeError
from geo.files.export import ExportFormat, export_areas
from geo.models import AreaLevel
from geo.pgbouncer import PgBouncer
from geo.settings import Settings

app = typer.Typer(help="网格 Wangge: grid governance map service.", no_args_is_help=True)
db_app = typer.Typer(help="Database chores.", no_args_is_help=True)
app.add_typer(db_app, name="db")
incidents_app = typer.Typer(help="Incidents.", no_args_is_help=True)
app.add_typer(incidents_app, name="incidents")
areas_app = typer.Typer(help="Areas.", no_args_is_help=True)
app.add_typer(areas_app, name="areas")
users_app = typer.Typer(help="Accounts and API keys.", no_args_is_help=True)
app.add_typer(users_app, name="users")
#: Who the audit trail names for accounts and keys made on the command line.
CLI = audit.Actor("cli", "admin")


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


#: Seconds open requests (event streams above all) get to finish when the service stops.
GRACE_S = 5
#: Seconds a worker of ``--workers N`` may take to answer uvicorn's liveness ping.
WORKER_HEALTHCHECK_S = 60


class _Stop(Exception):
    """Raised by SIGINT/SIGTERM so that every ``finally`` on the way out runs."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`_Stop` for the duration.

    Uvicorn handles both signals itself while serving, shuts down gracefully and then
    re-raises the signal into the handler that was there before it, which is this one.
    """
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except _Stop as stop:
        typer.echo(f"{stop} received, stopping")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="Default WANGGE_HOST or 127.0.0.1.")] = None,
    port: Annotated[int | None, typer.Option(help="Default WANGGE_PORT or 8000.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Uvicorn worker processes.")] = 1,
) -> None:
    """Start the database (embedded unless WANGGE_DATABASE_URL is set) and serve the API."""
    _logging()
    settings = Settings()
    host = host or settings.host
    port = port or settings.port
    started = time.perf_counter()
    with _stop_on_signals():
        database = prepare_database(settings)
        database.watch()  # restarts the embedded server if it dies (see geo/db.py)
        try:
            typer.echo(f"数据库就绪 database ready in {time.perf_counter() - started:.1f} s")
            _print_demo_accounts(database, settings)
            typer.echo(f"网格 Wangge: http://{host}:{port}/maps/  (API: /docs; Ctrl-C to stop)")
            service = settings.model_copy(
                update={
                    "database_url": database.service_url,
                    "replica_url": settings.replica_url or database.replica_url,
                }
            )
            _serve(service, host, port, workers)
        finally:
            database.close()
            typer.echo("已停止 stopped")


@app.command()
def cluster(
    workers: Annotated[int, typer.Option(min=1, max=64, help="Service processes.")] = 2,
    host: Annotated[
        str | None, typer.Option(help="HAProxy's address; default WANGGE_HOST.")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="HAProxy's port (default WANGGE_PORT); processes: next N.")
    ] = None,
    pgbouncer: Annotated[
        bool, typer.Option("--pgbouncer", help="PgBouncer (transaction pooling) in front.")
    ] = False,
) -> None:
    """The database, N service processes on consecutive ports and HAProxy in front (README,
    Deployment); Ctrl-C stops them all."""
    _logging()
    settings = Settings()
    host = host or settings.host
    port = port or settings.port
    with _stop_on_signals():
        database = prepare_database(settings)
        database.watch()
        bouncer = PgBouncer(database.service_url) if pgbouncer else None
        budget = db.connections_of(workers)
        if bouncer is None and budget > db.max_connections(database.engine):
            typer.echo(
                f"warning: {workers} processes may open {budget} connections, more than the "
                f"database's max_connections ({db.max_connections(database.engine)}); "
                "add --pgbouncer",
                err=True,
            )
        running = None
        try:
            pooler = bouncer.start() if bouncer else None
            ports = [port + 1 + i for i in range(workers)]
            # the embedded standby's URL (WANGGE_EMBEDDED_REPLICA), which the processes,
            # connecting to an external database as far as they know, would not make themselves
            reads = {"WANGGE_REPLICA_URL": database.replica_url} if database.replica_url else {}
            running = Cluster(
                port, ports, database.service_url, pooler, env=reads, host=host, quiet=False
            )
            running.start()
            _print_demo_accounts(database, settings)
            typer.echo(
                f"网格 Wangge: http://{host}:{port}/maps/ through HAProxy to {workers} processes "
                f"on ports {ports[0]}-{ports[-1]}{' and PgBouncer' if bouncer else ''} (Ctrl-C)"
            )
            while running.balancing():  # a process that ends is started again
                for ended in running.revive():
                    typer.echo(f"服务进程 {ended} 已退出，正在重启 (process ended; restarting)")
                time.sleep(2)
            typer.echo("HAProxy ended; stopping the cluster", err=True)
        finally:
            if running is not None:
                running.stop()
            if bouncer is not None:
                bouncer.stop()
            database.close()
            typer.echo("已停止 stopped")


def _print_demo_accounts(database: db.Database, settings: Settings) -> None:
    if settings.environment != "development":
        return
    with database.engine.connect() as conn:
        demos = [
            d for d in demo_accounts_if_loaded(conn) if find_account(conn, username=d.username)
        ]
    if not demos:
        return
    typer.echo(f"演示账号 demo accounts (development only), password {DEMO_PASSWORD}:")
    for d in demos:
        where = d.area_code or (f"department {d.department}" if d.department else "whole banner")
        typer.echo(f"  {d.username:<13} {ROLE_LABELS[d.role]:<6} {where}")


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    # Forwarded headers only from the proxies named in the settings (uvicorn's default
    # believes any loopback client, so every local program could choose its own address).
    proxies = settings.trusted_proxy_list
    if workers == 1:
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level="info",
            timeout_graceful_shutdown=GRACE_S,
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
        )
        return
    if settings.replica_url:  # the embedded standby's, when WANGGE_EMBEDDED_REPLICA made one
        os.environ["WANGGE_REPLICA_URL"] = settings.replica_url
    assert settings.database_url is not None
    os.environ["WANGGE_DATABASE_URL"] = settings.database_url
    if settings.rate_limit_store == "auto":  # one limit across the workers, not one each
        os.environ["WANGGE_RATE_LIMIT_STORE"] = "database"
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_graceful_shutdown=GRACE_S,
        # a worker answers the supervisor's ping from a thread, and numba compiling esda's
        # kernels at start-up (hotspots.warm_up) can hold the GIL longer than uvicorn's 5 s:
        # the supervisor would kill it as hung, again and again
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database (and load the sample data into an empty one)."""
    _logging()
    prepare_database(Settings()).close()


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to ``revision`` (e.g. ``base``)."""
    _logging()
    settings = Settings(load_sample_data=False)
    database = prepare_database(settings)
    try:
        db.downgrade(database.url, revision)
    finally:
        database.close()


@incidents_app.command("import")
def incidents_import(
    file: Annotated[Path, typer.Argument(help="A CSV, GeoJSON or GeoPackage file.")],
    source: Annotated[str, typer.Option(help="Recorded as each incident's source.")] = "import",
    all_or_nothing: Annotated[
        bool, typer.Option("--all-or-nothing", help="Write nothing if any row is refused.")
    ] = False,
) -> None:
    """Import incidents; exit 0 if every row was accepted, 2 if some were refused."""
    _logging()
    settings = Settings()
    database = prepare_database(settings)
    try:
        report = _import_with_bar(
            lambda progress: import_incidents(
                database.engine,
                file,
                source=source,
                progress=progress,
                all_or_nothing=all_or_nothing,
                limit_m=settings.nearest_limit_m,
            )
        )
    finally:
        database.close()
    typer.echo(report.summary())
    raise typer.Exit(0 if not report.refused else 2)


@app.command("import-registry")
def import_registry_file(
    file: Annotated[Path, typer.Argument(help="Households and persons: CSV (UTF-8) or .xlsx.")],
) -> None:
    """Import households and persons, all or nothing; exit 0 if written, 2 if refused."""
    _logging()
    settings = Settings()
    database = prepare_database(settings)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    try:
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("读取 reading", total=None)
            report = import_registry(
                database.engine,
                file,
                key=settings.id_key,
                progress=lambda step, done, total: bar.update(
                    task, description=step, completed=done, total=total
                ),
            )
    finally:
        database.close()
    typer.echo(report.summary())
    raise typer.Exit(0 if report.written else 2)


@areas_app.command("export")
def areas_export(
    out: Annotated[Path, typer.Argument(help="The file to write (a Shapefile is a .zip).")],
    level: Annotated[AreaLevel, typer.Option(help="The level to export.")],
    format: Annotated[ExportFormat, typer.Option("--format", help="File format.")],
    generation: Annotated[
        int | None, typer.Option(min=1, help="Boundary generation; default the current one.")
    ] = None,
) -> None:
    """Write one level's areas as GeoPackage, zipped Shapefile or GeoJSON (as the API does)."""
    _logging()
    database = prepare_database(Settings())
    try:
        with database.engine.connect() as conn:
            g = resolve_generation(conn, generation)
            n = export_areas(conn, level=level, fmt=format, generation=g, out=out)
    finally:
        database.close()
    typer.echo(f"{n} {level.value} areas of generation {g} written to {out}")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="The sign-in name.")],
    role: Annotated[Role, typer.Option(help="What the account may do.")],
    area: Annotated[
        str | None,
        typer.Option(help="Area code of its scope: township, grid or micro-grid, by role."),
    ] = None,
    department: Annotated[str | None, typer.Option(help="Department staff: e.g. D02.")] = None,
    member: Annotated[int | None, typer.Option(help="The member this account belongs to.")] = None,
    display_name: Annotated[str | None, typer.Option(help="Name shown in pages.")] = None,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="A machine account that signs in by API key.")
    ] = False,
) -> None:
    """Create an account; the password is asked twice (or read from WANGGE_NEW_PASSWORD)."""
    _logging()
    password = None
    if not no_password:
        password = os.environ.get("WANGGE_NEW_PASSWORD") or typer.prompt(
            "密码 password", hide_input=True, confirmation_prompt=True
        )
    database = prepare_database(Settings())
    try:
        with database.engine.begin() as conn:
            account = open_account(
                conn,
                CLI,
                username=username,
                password=password,
                role=role,
                display_name=display_name,
                area_code=area,
                department=department,
                member_id=member,
            )
    finally:
        database.close()
    typer.echo(f"account {account.username} ({ROLE_LABELS[account.role]}) created, id {account.id}")


@users_app.command("api-key")
def users_api_key(
    username: Annotated[str, typer.Argument(help="The account the key acts for.")],
    label: Annotated[str, typer.Option(help="What the key is for.")] = "",
) -> None:
    """Issue an API key for an account and print it (the only time it is shown)."""
    _logging()
    database = prepare_database(Settings())
    try:
        with database.engine.begin() as conn:
            account = find_account(conn, username=username)
            if account is None:
                raise NotFound(f"no account {username!r}")
            key = issue_api_key(conn, CLI, account.id, label)
    finally:
        database.close()
    typer.echo(key)


def _import_with_bar(run: Callable[[Callable[[int, int], None]], ImportReport]) -> ImportReport:
    """Run an import under a progress bar on stderr (rows finished of rows in the file)."""
    columns = (TextColumn("导入 importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("import", total=None)
        return run(lambda done, total: bar.update(task, completed=done, total=total))


def main() -> None:
    """Entry point of the ``wangge`` script: domain errors end in one line, not a traceback."""
    try:
        app()
    except WanggeError as exc:
        typer.echo(f"wangge: {exc}", err=True)
        raise SystemExit(1) from None
    except ValidationError as exc:
        if exc.title != Settings.__name__:
            raise
        for error in exc.errors():  # one line per wrong setting, named as in the environment
            where = "_".join(str(part) for part in error["loc"]).upper()
            message = error["msg"].removeprefix("Value error, ")
            typer.echo(f"wangge: {'WANGGE_' + where + ': ' if where else ''}{message}", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
