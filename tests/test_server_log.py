"""What the real ``wangge run`` process prints, and which client address it believes.

The service runs as operators run it (a subprocess, its own data directory and port, here on
the session's database so that it starts in seconds). Its whole output is read back:

- every request leaves its access line, masked, and no ``--- Logging error ---`` traceback;
- no line holds a planted phone, ID number or reporter name in clear, whatever the path: a
  refused body, a path parameter echoed, a database error in the middle of an intake;
- ``X-Forwarded-For`` from a loopback client is not believed (no proxy is named), so it
  neither escapes the per-client sign-in limit nor reaches the audit log.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, text

from access.accounts import DEMO_PASSWORD, AccountRow
from geo import db
from geo.privacy import install_log_masking, mask_id_number, mask_phone, unmasked
from geo.settings import Settings

WANGGE = Path(sys.executable).parent / "wangge"

#: Planted personal data: none of it may appear in clear in the service's output.
PHONE = "13698765432"
ID_NUMBER = "150627199001019878"
NAME = "韩梅梅"
#: A reporter with all three, as an intake body carries it.
REPORTER = {"name": NAME, "phone": PHONE, "id_number": ID_NUMBER}
#: An address no client here has: only a forged header could bring it in.
FORGED = "203.0.113.77"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    base: str
    log: Path
    headers: dict[str, str]

    def output(self) -> str:
        time.sleep(0.3)  # the access line is written just after the answer
        return self.log.read_text(encoding="utf-8", errors="replace")


def _start(database: db.Database, where: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    environ = {
        **os.environ,
        "WANGGE_DATABASE_URL": database.url,
        "WANGGE_DATA_DIR": str(where),
        "WANGGE_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    if "WANGGE_TRUSTED_PROXIES" not in env:
        environ.pop("WANGGE_TRUSTED_PROXIES", None)
    where.mkdir(parents=True, exist_ok=True)
    with (where / "output.log").open("ab") as log:
        proc = subprocess.Popen([str(WANGGE), "run"], env=environ, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert proc.poll() is None, (where / "output.log").read_text()[-3000:]
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"wangge run did not come up: {(where / 'output.log').read_text()}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def served(database: db.Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    install_log_masking()  # this process logs the URLs it asks for (httpx), by the same rule
    where = tmp_path_factory.mktemp("wangge-run")
    proc, base = _start(database, where)
    try:
        login = {"username": "admin", "password": DEMO_PASSWORD}
        answer = httpx.post(f"{base}/api/v1/auth/login", json=login)
        assert answer.status_code == 200, answer.text
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        yield Served(base, where / "output.log", headers)
    finally:
        _stop(proc)


def _clear_copies(output: str) -> dict[str, int]:
    """How often each planted value appears in clear, and any other clear number."""
    found = {value: output.count(value) for value in (PHONE, ID_NUMBER, NAME)}
    return {**found, "other": len(unmasked(output))}


def test_every_request_prints_its_access_line_masked_and_no_logging_error(served: Served):
    get = lambda path: httpx.get(f"{served.base}{path}", headers=served.headers)  # noqa: E731
    assert get("/api/v1/health").status_code == 200
    assert get(f"/api/v1/incidents/{ID_NUMBER}").status_code == 404
    assert get(f"/api/v1/areas?level=township&phone={PHONE}").status_code == 200
    assert httpx.get(f"{served.base}/api/v1/auth/me").status_code == 401
    output = served.output()
    assert '"GET /api/v1/health HTTP/1.1" 200' in output
    assert f'"GET /api/v1/incidents/{mask_id_number(ID_NUMBER)} HTTP/1.1" 404' in output
    assert f'"GET /api/v1/areas?level=township&phone={mask_phone(PHONE)} HTTP/1.1" 200' in output
    assert '"GET /api/v1/auth/me HTTP/1.1" 401' in output
    assert '"POST /api/v1/auth/login HTTP/1.1" 200' in output
    assert "Logging error" not in output
    assert "Traceback" not in output
    assert _clear_copies(output) == {PHONE: 0, ID_NUMBER: 0, NAME: 0, "other": 0}


@pytest.fixture
def failing_intake(engine: Engine) -> Iterator[None]:
    """A trigger that makes the insert of a report by :data:`NAME` fail inside PostgreSQL,
    after the service sent the statement with all its parameters."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION test_refuse_planted() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN IF NEW.reporter_name = '{NAME}' THEN "
                "RAISE EXCEPTION 'forced failure for the privacy scan'; END IF; RETURN NEW; END $$"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER test_refuse_planted BEFORE INSERT ON incident "
                "FOR EACH ROW EXECUTE FUNCTION test_refuse_planted()"
            )
        )
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER test_refuse_planted ON incident"))
            conn.execute(text("DROP FUNCTION test_refuse_planted()"))


def _report(served: Served, **body: object) -> httpx.Response:
    payload = {"lon": 110.0, "lat": 39.8, "datum": "cgcs2000", "category": "0101", **body}
    headers = {**served.headers, "Idempotency-Key": str(uuid.uuid4())}
    return httpx.post(f"{served.base}/api/v1/incidents", json=payload, headers=headers)


def test_no_log_line_holds_planted_personal_data_under_bad_input_or_a_database_error(
    served: Served, failing_intake: None, home_point: tuple[float, float]
):
    lon, lat = home_point
    refused = [
        _report(served, lon="east", reporter=REPORTER),  # a refused body with a reporter
        _report(served, lon=lon, lat=lat, reporter={**REPORTER, "id_number": ID_NUMBER[:-1]}),
        _report(served, lon=lon, lat=lat, reporter=REPORTER, status=NAME, note=PHONE),
        _report(served, lon=lon, lat=lat, reporter={**REPORTER, "name": NAME * 40}),
    ]
    assert [r.status_code for r in refused] == [422, 422, 422, 422]
    # a NUL byte PostgreSQL refuses: whatever the status (a 4xx once refused at the edge),
    # the statement's parameters must not reach the log
    nul = _report(served, lon=lon, lat=lat, reporter={**REPORTER, "name": NAME + "\x00"})
    assert nul.status_code >= 400
    echoed = [
        httpx.get(f"{served.base}/api/v1/incidents/{PHONE}", headers=served.headers),
        httpx.get(f"{served.base}/api/v1/members/{ID_NUMBER}", headers=served.headers),
        httpx.get(f"{served.base}/open311/v2/requests/{NAME}.json", headers=served.headers),
    ]
    assert [r.status_code for r in echoed] == [404, 404, 404]
    failed = _report(served, lon=lon, lat=lat, reporter=REPORTER, description=f"请回电 {PHONE}")
    assert failed.status_code == 500, failed.text
    output = served.output()
    assert "forced failure for the privacy scan" in output  # the error was logged …
    assert "database error on POST /api/v1/incidents" in output
    assert _clear_copies(output) == {PHONE: 0, ID_NUMBER: 0, NAME: 0, "other": 0}  # … masked
    assert "Logging error" not in output


@pytest.fixture(scope="module")
def home_point(engine: Engine, accounts: dict[str, AccountRow]) -> tuple[float, float]:
    """A point inside the demo party member's micro-grid."""
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM area "
                "WHERE code = :code ORDER BY generation_low DESC LIMIT 1) AS s"
            ),
            {"code": accounts["party_member"].area_code},
        ).one()
    return float(lon), float(lat)


def test_a_forged_forwarded_address_neither_escapes_the_sign_in_limit_nor_reaches_the_audit(
    served: Served, engine: Engine, accounts: dict[str, AccountRow]
):
    member = accounts["party_member"].member_id
    reason = f"核实来电 {uuid.uuid4()}"
    shown = httpx.post(
        f"{served.base}/api/v1/members/{member}/reveal",
        json={"reason": reason},
        headers={**served.headers, "X-Forwarded-For": FORGED},
    )
    assert shown.status_code == 200, shown.text
    with engine.connect() as conn:
        clients = conn.execute(
            text("SELECT client FROM audit_log WHERE reason = :r"), {"r": reason}
        ).scalars()
        assert list(clients) == ["127.0.0.1"]
        assert (
            conn.execute(
                text("SELECT count(*) FROM audit_log WHERE client LIKE '203.0.113.%'")
            ).scalar_one()
            == 0
        )
    answers = [
        httpx.post(
            f"{served.base}/api/v1/auth/login",
            json={"username": f"nobody-{i}", "password": "wrong-password"},
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        )
        for i in range(11)
    ]
    assert [a.status_code for a in answers] == [401] * 10 + [429]


def test_a_named_proxy_is_believed(
    database: db.Database, engine: Engine, accounts: dict[str, AccountRow], tmp_path: Path
):
    """The other side of the setting: behind a proxy named in WANGGE_TRUSTED_PROXIES the
    forwarded address is the client's, in the audit log as in the limits."""
    proc, base = _start(database, tmp_path / "behind-proxy", WANGGE_TRUSTED_PROXIES="127.0.0.1")
    client = "198.51.100.9"  # a documentation address, as the proxy would forward it
    try:
        login = {"username": "admin", "password": DEMO_PASSWORD}
        answer = httpx.post(f"{base}/api/v1/auth/login", json=login)
        assert answer.status_code == 200, answer.text
        headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        reason = f"核实来电 {uuid.uuid4()}"
        shown = httpx.post(
            f"{base}/api/v1/members/{accounts['party_member'].member_id}/reveal",
            json={"reason": reason},
            headers={**headers, "X-Forwarded-For": client},
        )
        assert shown.status_code == 200, shown.text
        wrong = {"username": "nobody", "password": "wrong-password"}
        answers = [
            httpx.post(
                f"{base}/api/v1/auth/login",
                json={**wrong, "username": f"nobody-{i}"},
                headers={"X-Forwarded-For": f"198.51.100.{i}"},
            ).status_code
            for i in range(11)
        ]
        assert answers == [401] * 11  # eleven clients behind the proxy, one failure each
    finally:
        _stop(proc)
    with engine.connect() as conn:
        clients = conn.execute(
            text("SELECT client FROM audit_log WHERE reason = :r"), {"r": reason}
        ).scalars()
        assert list(clients) == [client]


def test_trusted_proxies_are_addresses_or_networks():
    proxies = Settings(trusted_proxies=" 10.0.0.5, 10.1.0.0/16 ,").trusted_proxy_list
    assert proxies == ["10.0.0.5", "10.1.0.0/16"]
    assert Settings().trusted_proxy_list == []
    with pytest.raises(ValidationError, match="'gateway' is not an IP address or network"):
        Settings(trusted_proxies="10.0.0.5,gateway")
