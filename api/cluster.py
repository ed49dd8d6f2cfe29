"""``wangge cluster``: several service processes on one database behind HAProxy (issue #20).

One machine standing in for a city's deployment (README, Deployment): the database (the
embedded PostGIS, or ``WANGGE_DATABASE_URL``), optionally PgBouncer in front of it
(:mod:`geo.pgbouncer`), N service processes on consecutive loopback ports and Debian's HAProxy
on the first port, in front of them:

- HAProxy sends a request to the process with the fewest open connections (live-map streams
  stay open for hours; round robin would pile them up) and checks each process's
  ``/api/v1/health`` (which reads the database) every second, allowing each check 5 s: three
  failures take a process out (a dead one refuses at once: out within 3 s), two successes
  bring it back. A request whose connection to a process failed is sent to
  another (``retry-on conn-failure``, safe for a POST: it never arrived); one that reached a
  process that then died is answered 502 and not retried (the report may have been
  written: the client retries with its ``Idempotency-Key``, which the intake answers once).
- Streams are long-lived: client, server and tunnel timeouts are an hour, far above the
  stream's 15 s heartbeat, so HAProxy never cuts a quiet stream.
- Forwarded headers are believed from HAProxy only: it connects to the processes from
  :data:`PROXY_SOURCE`, the one address the processes trust (``WANGGE_TRUSTED_PROXIES``),
  and it replaces whatever ``X-Forwarded-For`` a client sent with the client's address.
- State kept per process is listed in the README; rate limits move to the database
  (``WANGGE_RATE_LIMIT_STORE=database``) unless the operator chose otherwise.

Ctrl-C or SIGTERM stops HAProxy, then the processes (each finishes its requests within the
grace period), then PgBouncer and the database.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from geo.errors import WanggeError

log = logging.getLogger(__name__)

#: The loopback address HAProxy connects to the processes from; the only one they trust.
PROXY_SOURCE = "127.0.0.2"
#: Seconds a process gets to finish its requests (streams above all) when stopped.
GRACE_S = 5
#: How long a stream may stay open through HAProxy (its heartbeat comes every 15 s).
STREAM_TIMEOUT = "1h"
#: How long a health check may take. HAProxy's default is the check interval (1 s): under
#: load a busy process answers later than that, and HAProxy took every process out at once
#: (503 for everyone: bench/notes.md). A dead process refuses the connection at once anyway.
CHECK_TIMEOUT = "5s"
HEALTH = "/api/v1/health"


class ClusterError(WanggeError):
    """A part of the cluster did not start."""


def haproxy_config(port: int, backends: list[int], *, host: str = "127.0.0.1") -> str:
    r"""HAProxy's configuration: ``host:port`` in front of the processes on ``backends``.

    Examples
    --------
    >>> backend = haproxy_config(8710, [8711, 8712]).split("\nbackend wangge\n")[1]
    >>> print("\n".join(line.strip() for line in backend.strip().splitlines()))
    balance leastconn
    option httpchk GET /api/v1/health
    http-check expect status 200
    default-server inter 1s fall 3 rise 2 source 127.0.0.2
    server p8711 127.0.0.1:8711 check
    server p8712 127.0.0.1:8712 check
    """
    servers = "\n".join(f"    server p{p} 127.0.0.1:{p} check" for p in backends)
    return f"""\
global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout http-request 30s
    timeout queue 30s
    timeout client {STREAM_TIMEOUT}
    timeout server {STREAM_TIMEOUT}
    timeout tunnel {STREAM_TIMEOUT}
    timeout http-keep-alive 10s
    timeout check {CHECK_TIMEOUT}
    retries 3
    retry-on conn-failure
    option redispatch 1

frontend api
    bind {host}:{port}
    http-request del-header X-Forwarded-For
    http-request del-header Forwarded
    http-request set-header X-Forwarded-Proto https if {{ ssl_fc }}
    http-request set-header X-Forwarded-Proto http if !{{ ssl_fc }}
    option forwardfor
    default_backend wangge

backend wangge
    balance leastconn
    option httpchk GET {HEALTH}
    http-check expect status 200
    default-server inter 1s fall 3 rise 2 source {PROXY_SOURCE}
{servers}
"""


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@dataclass
class Process:
    """One service process (uvicorn, the app factory) on a loopback port."""

    port: int
    env: dict[str, str]
    log_path: Path | None  # None: the terminal's
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--proxy-headers", "--forwarded-allow-ips", PROXY_SOURCE,
            "--timeout-graceful-shutdown", str(GRACE_S), "--log-level", "warning",
        ]  # fmt: skip
        # a session of its own: Ctrl-C reaches the cluster, which stops the parts in order
        if self.log_path is None:
            self.proc = subprocess.Popen(command, env=self.env, start_new_session=True)
            return
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                command, env=self.env, stdout=out, stderr=out, start_new_session=True
            )

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not _up(self.base + HEALTH):
            if self.proc is None or self.proc.poll() is not None:
                raise ClusterError(f"process on port {self.port} ended: {self._tail()}")
            if time.monotonic() > deadline:
                raise ClusterError(f"process on port {self.port} did not answer: {self._tail()}")
            time.sleep(0.2)

    def _tail(self) -> str:
        if self.log_path is None:
            return "(see above)"
        return self.log_path.read_text(errors="replace")[-2000:]

    def kill(self) -> None:
        """End it at once (SIGKILL), as a crash or a pulled plug would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()


@dataclass
class Cluster:
    """HAProxy on ``port`` in front of one service process per port of ``ports``.

    ``database_url`` is the direct connection (LISTEN, and everything when ``pooler_url`` is
    unset); ``env`` adds settings for every process (``WANGGE_INTAKE_RATE``, say).
    """

    port: int
    ports: list[int]
    database_url: str
    pooler_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    #: Processes write their log into the cluster's temporary folder (else to the terminal).
    quiet: bool = True
    processes: list[Process] = field(default_factory=list, init=False)
    run_dir: Path = field(init=False)
    _haproxy: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.run_dir = Path(tempfile.mkdtemp(prefix="wangge-cluster-"))

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def process_env(self) -> dict[str, str]:
        env = {**os.environ, **self.env}
        env["WANGGE_DATABASE_URL"] = self.database_url
        env.pop("WANGGE_POOLER_URL", None)
        if self.pooler_url:
            env["WANGGE_POOLER_URL"] = self.pooler_url
        env["WANGGE_TRUSTED_PROXIES"] = PROXY_SOURCE
        if env.get("WANGGE_RATE_LIMIT_STORE", "auto") == "auto":
            env["WANGGE_RATE_LIMIT_STORE"] = "database"  # one limit, not one per process
        env.setdefault("PYTHONPATH", str(Path(__file__).resolve().parents[1]))
        return env

    def start(self, timeout: float = 120.0) -> None:
        """Start the processes, wait until each answers its health check, then HAProxy."""
        try:
            env = self.process_env()
            for p in self.ports:
                log_path = self.run_dir / f"service-{p}.log" if self.quiet else None
                process = Process(p, env, log_path)
                process.start()
                self.processes.append(process)
            for process in self.processes:
                process.wait_ready(timeout)
            self._start_haproxy(timeout)
        except BaseException:
            self.stop()
            raise

    def _start_haproxy(self, timeout: float) -> None:
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(binary).exists():
            raise ClusterError("haproxy is not installed (apt-get install haproxy)")
        config = self.run_dir / "haproxy.cfg"
        config.write_text(haproxy_config(self.port, self.ports, host=self.host))
        with (self.run_dir / "haproxy.log").open("ab") as out:
            self._haproxy = subprocess.Popen(
                [binary, "-db", "-f", str(config)], stdout=out, stderr=out, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while not _up(self.base + HEALTH):
            if self._haproxy.poll() is not None or time.monotonic() > deadline:
                tail = (self.run_dir / "haproxy.log").read_text(errors="replace")[-2000:]
                raise ClusterError(f"haproxy did not start: {tail}")
            time.sleep(0.1)

    def restart(self, index: int, timeout: float = 120.0) -> None:
        """Start process ``index`` again (after :meth:`Process.kill`) and wait for it."""
        process = self.processes[index]
        process.start()
        process.wait_ready(timeout)

    def alive(self) -> bool:
        running = [self._haproxy, *(p.proc for p in self.processes)]
        return all(p is not None and p.poll() is None for p in running)

    def stop(self) -> None:
        """HAProxy first (no new requests), then every process, each given its grace period."""
        if self._haproxy is not None and self._haproxy.poll() is None:
            self._haproxy.terminate()
            self._haproxy.wait(timeout=10)
        for process in self.processes:
            process.terminate()
        deadline = time.monotonic() + GRACE_S + 5
        for process in self.processes:
            if process.proc is None:
                continue
            try:
                process.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(self.run_dir, ignore_errors=True)
