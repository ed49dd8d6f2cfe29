"""`wangge run` end to end: a real process with its own embedded PostGIS, stopped by signals."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from access.accounts import DEMO_PASSWORD

REPO = Path(__file__).resolve().parents[1]
WANGGE = Path(sys.executable).parent / "wangge"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _postmaster_running(data_dir: Path) -> bool:
    pid_file = data_dir / "pg" / "data" / "postmaster.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().split()[0])
    return Path(f"/proc/{pid}").exists()


class Service:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.log = data_dir.parent / f"{data_dir.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 240.0) -> None:
        env = {**os.environ, "WANGGE_DATA_DIR": str(self.data_dir), "WANGGE_PORT": str(self.port)}
        env.pop("WANGGE_DATABASE_URL", None)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([str(WANGGE), "run"], env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"service did not come up: {self.log.read_text()[-3000:]}")

    def stop(self, sig: signal.Signals) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=60)


@pytest.fixture
def run_dir():
    path = REPO / "var" / f"test-run-{os.getpid()}"
    yield path
    if _postmaster_running(path):
        from geo.embedded import EmbeddedPostgres

        EmbeddedPostgres(path / "pg").shutdown()
    shutil.rmtree(path, ignore_errors=True)
    (path.parent / f"{path.name}.log").unlink(missing_ok=True)


def _sign_in(service: Service, username: str = "admin") -> dict[str, str]:
    """Sign in with a demo account, as the start-up banner prints them."""
    printed = service.log.read_text()
    assert f"password {DEMO_PASSWORD}" in printed
    assert all(f"  {d}" in printed for d in ("admin", "grid_worker", "party_member"))
    answer = httpx.post(
        f"{service.base}/api/v1/auth/login",
        json={"username": username, "password": DEMO_PASSWORD},
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_run_serves_sample_data_stops_on_signals_and_keeps_data(run_dir):
    service = Service(run_dir)
    service.start()
    areas = f"{service.base}/api/v1/areas"
    assert httpx.get(areas, params={"level": "township"}).status_code == 401
    headers = _sign_in(service)
    body = httpx.get(areas, params={"level": "township"}, headers=headers).json()
    assert body["numberMatched"] == 13  # the admin's: Dalad's eight and Haibowan's five
    # the township officer sees only their own township
    mine = httpx.get(areas, params={"level": "township"}, headers=_sign_in(service, "township"))
    assert [f["properties"]["code"] for f in mine.json()["features"]] == ["150621001"]
    assert httpx.get(f"{service.base}/api/v1/health").json()["generation"] == 1
    assert service.stop(signal.SIGTERM) == 0
    assert not _postmaster_running(run_dir), "SIGTERM left postgres running"

    service.start()
    # the second start found the data in place and did not load the sample again
    assert service.log.read_text().count("sample data loaded") == 1
    body = httpx.get(areas, params={"level": "township"}, headers=headers).json()
    assert body["numberMatched"] == 13
    assert service.stop(signal.SIGINT) == 0
    assert not _postmaster_running(run_dir), "SIGINT left postgres running"


def test_missing_postgres_is_one_line_naming_the_debian_package(tmp_path):
    env = {**os.environ, "WANGGE_DATA_DIR": str(tmp_path), "WANGGE_PG_BIN": str(tmp_path / "nope")}
    env.pop("WANGGE_DATABASE_URL", None)
    done = subprocess.run(
        [str(WANGGE), "db", "upgrade"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("wangge: PostgreSQL 15 is not installed")
    assert lines[0].endswith("apt-get install postgresql-15 postgresql-15-postgis-3")
