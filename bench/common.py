"""What every measure shares: the auth header, timing, servers in subprocesses, result rows.

Every HTTP request the benchmarks send carries :func:`auth_headers`, so that once accounts
land the ratios include their cost. Servers (the service, the bare FastAPI baseline, tipg)
run as ``uvicorn`` subprocesses on loopback ports, one worker each, exactly as deployed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
VAR = REPO / "var" / "bench"
TIPG_PYTHON = BENCH / ".venv-tipg" / "bin" / "python"
#: Where this run keeps its logs and load-run files (the runner points it at its data dir).
ARTEFACTS = {"root": VAR}


def artefacts(name: str) -> Path:
    """``<run's data dir>/name``, created."""
    path = Path(ARTEFACTS["root"]).resolve() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


_minted: dict[str, tuple[float, dict[str, str]]] = {}
BENCH_ACCOUNT = "bench-admin"


def auth_headers(database_url: str) -> dict[str, str]:
    """Headers that authenticate a benchmark request as an administrator.

    Every request of every measure and of the load run goes through here, so the ratios
    include what authentication costs. An access token is minted for the account
    :data:`BENCH_ACCOUNT` (created on first use) with the service's own settings, and minted
    again before half its lifetime has passed.
    """
    from sqlalchemy import create_engine

    from access.accounts import Role, create_account, find_account
    from api.tokens import issue
    from geo.settings import Settings

    settings = Settings()
    known = _minted.get(database_url)
    if known is not None and time.monotonic() - known[0] < settings.access_token_minutes * 30:
        return dict(known[1])
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            account = find_account(conn, username=BENCH_ACCOUNT) or create_account(
                conn, username=BENCH_ACCOUNT, password=None, role=Role.ADMIN
            )
    finally:
        engine.dispose()
    token = issue(settings, account.id, "access").token
    headers = {"Authorization": f"Bearer {token}"}
    _minted[database_url] = (time.monotonic(), headers)
    return dict(headers)


def psycopg_sql(name: str) -> str:
    """A ``geo/sql`` statement with its ``:name`` parameters in psycopg's ``%(name)s`` style."""
    from geo.sql import for_psycopg, query

    return for_psycopg(query(name))


def statement_params(name: str, params: dict[str, object]) -> dict[str, object]:
    """``params`` plus None for any other parameter the statement takes (e.g. a scope)."""
    import re

    names = set(re.findall(r"%\((\w+)\)s", psycopg_sql(name)))
    return {n: None for n in names} | params


def libpq_url(sqlalchemy_url: str) -> str:
    """A psycopg/libpq URI for the service's SQLAlchemy URL."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(False)


@dataclass
class Result:
    """One measure's row in ``RESULTS.md``: raw figures, their ratio and the goal.

    ``goal`` is ``("<=", 1.2)``, ``(">=", 2.0)``, ``("<", 0.1)`` or ``("", nan)`` (none);
    ``ratio`` is None only when the measure could not run (``note`` says why).
    """

    id: str
    title: str
    scale: str
    raw: dict[str, str]
    ratio: float | None
    goal: tuple[str, float]
    unit: str = "×"
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool | None:
        op, bound = self.goal
        if self.ratio is None or not op:
            return None
        return {"<=": self.ratio <= bound, ">=": self.ratio >= bound, "<": self.ratio < bound}[op]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) of ``values``, linear between ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def p50(values: Sequence[float]) -> float:
    return statistics.median(values)


def timings(run: Callable[[int], object], n: int, warm: int = 5) -> list[float]:
    """Seconds each of ``n`` calls ``run(i)`` took, after ``warm`` untimed calls.

    The warm-up calls get ``i`` = ``n`` … ``n + warm - 1``, so every call sees its own ``i``.
    """
    for i in range(n, n + warm):
        run(i)
    out = []
    for i in range(n):
        started = time.perf_counter()
        run(i)
        out.append(time.perf_counter() - started)
    return out


def in_turns(runs: Sequence[Callable[[int], object]], n: int, warm: int = 5) -> list[list[float]]:
    """Seconds each of ``n`` calls of every one of ``runs`` took, taken in turns (the first,
    the second, …, the first again) after ``warm`` untimed rounds, so that a shared machine's
    load drifts over a measure and its baselines alike. Call ``i`` of each gets ``i``; the
    warm-up rounds get ``n`` … ``n + warm - 1``."""
    for i in range(n, n + warm):
        for run in runs:
            run(i)
    out: list[list[float]] = [[] for _ in runs]
    for i in range(n):
        for run, seconds in zip(runs, out, strict=True):
            started = time.perf_counter()
            run(i)
            seconds.append(time.perf_counter() - started)
    return out


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A uvicorn subprocess on a loopback port."""

    name: str
    process: subprocess.Popen[bytes]
    base: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mib(self) -> float:
        """Resident set size of the server process, in MiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


@contextlib.contextmanager
def serve(
    name: str,
    app: str,
    *,
    env: dict[str, str] | None = None,
    python: Path | str = sys.executable,
    factory: bool = False,
    ready_path: str = "/",
    timeout: float = 120.0,
) -> Iterator[Server]:
    """Run ``uvicorn app`` with one worker on a free loopback port until the block ends."""
    port = free_port()
    log = artefacts("logs")
    args = [str(python), "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    args += ["--log-level", "warning", "--no-access-log", "--timeout-keep-alive", "120"]
    if factory:
        args.append("--factory")
    with (log / f"{name}.log").open("wb") as out:
        process = subprocess.Popen(
            args, cwd=REPO, env={**os.environ, **(env or {})}, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    server = Server(name, process, base)
    try:
        _wait_ready(server, ready_path, timeout)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode}; "
                f"see {artefacts('logs') / (server.name + '.log')}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(server.base + path, timeout=2).status_code < 500:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer {path} within {timeout:.0f} s")


def serve_service(database_url: str) -> contextlib.AbstractContextManager[Server]:
    """The Wangge service (``api.app:create_app``) on ``database_url``, as ``wangge run`` does."""
    # the intake rate limit still counts every report, but never refuses the benchmark
    env = {"WANGGE_DATABASE_URL": database_url, "WANGGE_LOAD_SAMPLE_DATA": "false",
           "WANGGE_INTAKE_RATE": "1000000/minute"}  # fmt: skip
    return serve(
        "service", "api.app:create_app", env=env, factory=True, ready_path="/api/v1/health"
    )


def serve_bare() -> contextlib.AbstractContextManager[Server]:
    """The bare FastAPI endpoint (:mod:`bench.bare`): the framework's own floor."""
    return serve("bare", "bench.bare:app", ready_path="/bare")


def client(base: str, database_url: str, **kwargs: object) -> httpx.Client:
    """A keep-alive client for ``base`` with the benchmark's auth header."""
    return httpx.Client(base_url=base, headers=auth_headers(database_url), timeout=120.0, **kwargs)  # type: ignore[arg-type]
