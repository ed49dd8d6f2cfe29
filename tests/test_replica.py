"""The streaming read replica (``geo/replica.py``, ``api/replica.py``) against a real hot
standby of the session's PostGIS, made by ``pg_basebackup -R`` as ``WANGGE_EMBEDDED_REPLICA``
makes it.

The replica is told apart from the primary by pausing its replay (``pg_wal_replay_pause``): a
report filed then is on the primary at once and on the replica only once replay resumes, so
which database answered is read off the counts, exactly.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import shapely
from fastapi.testclient import TestClient
from psycopg.conninfo import make_conninfo
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from api.app import create_app
from geo import db, replica
from geo.embedded import SUPERUSER
from geo.errors import DatabaseSetupError
from geo.replica import EmbeddedStandby, ReadReplica
from geo.settings import Settings
from tests.conftest import _settings
from tests.test_embedded import wait_until

#: A micro-grid of the demo township, and a tile over it at zoom 12 (XYZ).
MICRO_GRID = "1506210010010101"
HEAT = "/api/v1/heat/areas"
TILE = "/tiles/incidents/12/3297/1544.pbf"
AREA_TILE = "/tiles/areas/12/3297/1544.pbf"
OGC_ITEMS = "/ogc/collections/micro_grids/items"
LISTING = "/api/v1/incidents"
#: The tests' lag limit (s).
LIMIT = 3600.0


@pytest.fixture(scope="module")
def standby(database: db.Database) -> Iterator[EmbeddedStandby]:
    """The standby ``WANGGE_EMBEDDED_REPLICA=1`` starts, beside the session's cluster."""
    assert database.embedded is not None
    settings = Settings(data_dir=database.embedded.root.parent, embedded_replica=True)
    replica.attach_standby(database, settings)
    assert isinstance(database.standby, EmbeddedStandby)
    try:
        yield database.standby
    finally:
        database.standby.stop()
        database.standby.shutdown()
        database.standby = None
        # turned off again: the slot goes, so the primary keeps no WAL for a standby gone
        assert replica.forget_standby(database.embedded) is True


@pytest.fixture(scope="module")
def replica_url(database: db.Database, standby: EmbeddedStandby) -> str:
    assert database.replica_url is not None
    assert make_url(database.replica_url).username == db.SERVICE_ROLE
    return database.replica_url


@pytest.fixture(scope="module")
def client(
    database: db.Database, replica_url: str, auth: Callable[[str], dict[str, str]]
) -> Iterator[TestClient]:
    """The service reading from the standby, checked every 0.1 s, with a lag limit of an hour
    (the tests of the limit lower it): on this shared machine the service's own start-up sweep
    can keep the standby seconds behind."""
    settings = _settings(database).model_copy(
        update={"replica_url": replica_url, "replica_max_lag_s": LIMIT, "replica_check_s": 0.1}
    )
    with TestClient(
        create_app(settings), raise_server_exceptions=False, headers=auth("admin")
    ) as test_client:
        yield test_client


@pytest.fixture
def reads(client: TestClient) -> ReadReplica:
    found: ReadReplica = client.app.state.replica  # type: ignore[attr-defined]
    caught_up(found)
    found.max_lag_s = LIMIT
    return found


def caught_up(reads: ReadReplica) -> None:
    """Wait until a check begun from now on finds the replica has replayed all the primary
    had written (so everything committed before this call). Up to a minute: in the full suite
    on the 2-core machine it once took over the former 10 s (passing alone in 55 s for the
    module), so the wait is for catching up, not for its speed."""
    since = time.monotonic()
    wait_until(
        lambda: (state := reads.state).checked_at > since and state.lag_s == 0.0,
        "the replica has caught up",
        timeout=60.0,
    )


def _standby_sql(standby: EmbeddedStandby, statement: str) -> None:
    url = make_url(standby.url)
    where = make_conninfo(
        host=url.query["host"], port=url.query["port"], user=SUPERUSER, dbname=standby.dbname
    )
    with psycopg.connect(where, autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture
def replay_paused(standby: EmbeddedStandby, reads: ReadReplica) -> Iterator[Callable[[], None]]:
    """Pause the standby's replay; the fixture's value resumes it (as does the teardown)."""
    _standby_sql(standby, "SELECT pg_wal_replay_pause()")

    def resume() -> None:
        _standby_sql(standby, "SELECT pg_wal_replay_resume()")

    try:
        yield resume
    finally:
        resume()


@pytest.fixture
def filed(engine: Engine) -> Iterator[list[str]]:
    """Codes of the reports a test files; removed afterwards (trail included)."""
    codes: list[str] = []
    yield codes
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        ids = "(SELECT id FROM incident WHERE code = ANY(:codes))"
        conn.execute(
            text(f"DELETE FROM incident_event WHERE incident_id IN {ids}"), {"codes": codes}
        )
        conn.execute(text("DELETE FROM incident WHERE code = ANY(:codes)"), {"codes": codes})


def _file(client: TestClient, engine: Engine, codes: list[str]) -> str:
    with engine.connect() as conn:
        wkb = conn.execute(
            text("SELECT ST_AsBinary(geom) FROM area WHERE code = :c ORDER BY id DESC LIMIT 1"),
            {"c": MICRO_GRID},
        ).scalar_one()
    point = shapely.point_on_surface(shapely.from_wkb(bytes(wkb)))
    payload = {"lon": point.x, "lat": point.y, "datum": "cgcs2000", "category": "0101"}
    answer = client.post(
        "/api/v1/incidents", json=payload, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["assignment"]["chain"][-1]["code"] == MICRO_GRID
    codes.append(answer.json()["code"])
    return str(answer.json()["code"])


def _today() -> dict[str, str]:
    since = datetime.now(UTC) - timedelta(hours=1)
    return {"from": since.isoformat(), "category": "01", "simplify": "500"}


def _replica_lag(answer: object) -> float:
    """The seconds an answer says it was behind; fails for an answer from the primary."""
    value = answer.headers["X-Replica-Lag"]  # type: ignore[attr-defined]
    assert re.fullmatch(r"\d+\.\d\d", value), value
    return float(value)


def _count(answer: object) -> int:
    body = answer.json()  # type: ignore[attr-defined]
    found = [f["properties"]["count"] for f in body["features"] if f["id"] == MICRO_GRID]
    return int(found[0]) if found else 0


def test_the_embedded_standby_is_a_streaming_standby_of_the_primary(
    database: db.Database, standby: EmbeddedStandby
) -> None:
    assert standby.root == (database.embedded.root.parent / "pg-replica").resolve()  # type: ignore[union-attr]

    def streaming() -> tuple[bool, int]:
        with database.engine.connect() as conn:
            slot = conn.execute(
                text("SELECT active FROM pg_replication_slots WHERE slot_name = 'wangge_replica'")
            ).scalar_one()
            senders = conn.execute(
                text("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
            ).scalar_one()
        return slot, senders

    wait_until(lambda: streaming() == (True, 1), "the standby streams through its slot")
    auto = (standby.data_dir / "postgresql.auto.conf").read_text()
    assert "primary_conninfo" in auto and "primary_slot_name = 'wangge_replica'" in auto
    assert (standby.data_dir / "standby.signal").exists()


def test_reads_answered_by_the_replica_carry_its_lag(
    client: TestClient, reads: ReadReplica
) -> None:
    for path, params in (  # every kind of replica route
        (TILE, {}),
        (AREA_TILE, {}),
        (HEAT, _today()),
        ("/api/v1/heat/hotspots", _today()),
        (OGC_ITEMS, {"limit": "2"}),
        (LISTING, {"area": MICRO_GRID, "limit": "1"}),
    ):
        answer = client.get(path, params=params)
        assert answer.status_code in (200, 204), (path, answer.text)
        assert _replica_lag(answer) <= LIMIT, path
    # routes that may follow a write, and the sign-in, read the primary and say nothing
    assert "X-Replica-Lag" not in client.get("/api/v1/areas/150621001").headers


def test_a_write_is_read_back_from_the_primary_while_the_replica_lags(
    client: TestClient,
    reads: ReadReplica,
    engine: Engine,
    replay_paused: Callable[[], None],
    filed: list[str],
) -> None:
    before = _count(client.get(HEAT, params=_today()))
    code = _file(client, engine, filed)
    # read-your-write: the report's own page reads the primary
    mine = client.get(f"/api/v1/incidents/{code}")
    assert (mine.status_code, "X-Replica-Lag" in mine.headers) == (200, False)
    wait_until(lambda: (reads.state.lag_s or 0.0) > 0.0, "the check sees the replica behind")
    # the map's reads come from the replica, which has not replayed the report yet, and say so
    stale = client.get(HEAT, params=_today())
    assert _count(stale) == before
    assert _replica_lag(stale) > 0.0
    listing = client.get(LISTING, params={"area": MICRO_GRID, "from": _today()["from"]})
    assert code not in [item["code"] for item in listing.json()["items"]]
    replay_paused()  # resume: the replica catches up and is read again
    caught_up(reads)
    fresh = client.get(HEAT, params=_today())
    assert _count(fresh) == before + 1
    assert _replica_lag(fresh) <= LIMIT


def test_a_replica_past_the_lag_limit_is_not_read(
    client: TestClient,
    reads: ReadReplica,
    engine: Engine,
    replay_paused: Callable[[], None],
    filed: list[str],
) -> None:
    before = _count(client.get(HEAT, params=_today()))
    reads.max_lag_s = 0.5
    _file(client, engine, filed)
    wait_until(lambda: not reads.state.usable, "the lag passes the limit")
    assert reads.state.reason.startswith("replica ")
    answer = client.get(HEAT, params=_today())
    assert (_count(answer), answer.headers["X-Replica-Lag"]) == (before + 1, "primary")


def test_a_draft_or_a_generation_the_replica_lacks_is_read_from_the_primary(
    client: TestClient, reads: ReadReplica, engine: Engine
) -> None:
    newest = max(reads.state.published)
    held = client.get(TILE, params={"generation": str(newest)})
    assert _replica_lag(held) <= LIMIT
    lacking = client.get(TILE, params={"generation": str(newest + 1)})
    assert lacking.headers["X-Replica-Lag"] == "primary"
    assert [e["field"] for e in lacking.json()["errors"]] == ["generation"]  # 422 from the primary
    with engine.begin() as conn:  # a draft: on both databases, activated on neither
        draft = conn.execute(
            text("INSERT INTO generation (description) VALUES ('replica test draft') RETURNING id")
        ).scalar_one()
    try:
        caught_up(reads)  # the replica has the draft too
        answer = client.get(TILE, params={"generation": str(draft)})
        assert (answer.status_code, answer.headers["X-Replica-Lag"]) == (200, "primary")
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM generation WHERE id = :g"), {"g": draft})


def test_with_the_replica_stopped_reads_fall_back_and_come_back(
    client: TestClient, reads: ReadReplica, standby: EmbeddedStandby
) -> None:
    standby.stop()
    stopped = time.monotonic()
    seen: list[str] = []
    while True:  # every answer a 200, from the first request on
        for path, params in ((TILE, {}), (HEAT, _today())):
            answer = client.get(path, params=params)
            assert answer.status_code in (200, 204), (path, answer.text)
            seen.append(answer.headers["X-Replica-Lag"])
        if seen[-2:] == ["primary", "primary"]:
            break
        assert time.monotonic() - stopped < 5.0, seen
    assert not reads.state.usable
    standby.start()
    wait_until(lambda: reads.state.usable, "the restarted replica is found well", timeout=30)
    for path, params in ((TILE, {}), (HEAT, _today())):
        answer = client.get(path, params=params)
        assert answer.status_code in (200, 204), (path, answer.text)
        assert _replica_lag(answer) <= LIMIT


def test_a_replica_dying_under_a_request_is_read_again_from_the_primary(
    database: db.Database,
    replica_url: str,
    standby: EmbeddedStandby,
    auth: Callable[[str], dict[str, str]],
) -> None:
    """The check has not noticed yet (it is stopped here): the request goes to the replica,
    fails there, and is answered from the primary with a 200."""
    settings = _settings(database).model_copy(
        update={"replica_url": replica_url, "replica_max_lag_s": LIMIT}
    )
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False, headers=auth("admin")) as test_client:
        reads: ReadReplica = app.state.replica
        reads._stopped.set()  # no more checks: the state stays "usable" for stale_after_s
        reads._thread.join()
        assert _replica_lag(test_client.get(HEAT, params=_today())) <= LIMIT
        standby.stop()
        try:
            answer = test_client.get(HEAT, params=_today())
            assert (answer.status_code, answer.headers["X-Replica-Lag"]) == (200, "primary")
            assert reads.state.reason == "a read on the replica failed"
            after = test_client.get(TILE)
            assert after.headers["X-Replica-Lag"] == "primary"
        finally:
            standby.start()


def test_the_embedded_replica_setting_is_refused_where_it_cannot_work(
    database: db.Database, standby: EmbeddedStandby
) -> None:
    assert database.embedded is not None
    both = Settings(
        data_dir=database.embedded.root.parent, embedded_replica=True, replica_url="postgresql://x"
    )
    with pytest.raises(DatabaseSetupError, match="WANGGE_EMBEDDED_REPLICA or WANGGE_REPLICA_URL"):
        replica.attach_standby(db.Database(database.url, database.engine, database.embedded), both)
    external = db.Database(database.url, database.engine)  # no embedded server of ours
    with pytest.raises(DatabaseSetupError, match="needs the embedded database"):
        replica.attach_standby(external, Settings(embedded_replica=True))


def test_a_standby_whose_slot_is_gone_is_made_afresh(
    database: db.Database, standby: EmbeddedStandby, caplog: pytest.LogCaptureFixture
) -> None:
    """Turned off (the slot dropped, WAL no longer kept for it) and on again: the standby may
    miss WAL, so it is copied anew, and streams again."""
    assert database.embedded is not None
    standby.stop()
    assert replica.forget_standby(database.embedded) is True
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="geo.replica"):
        standby.start()
    said = [r.getMessage() for r in caplog.records if r.name == "geo.replica"]
    made = [
        f"replication slot wangge_replica is not on the primary: making the standby in "
        f"{standby.root} afresh",
        f"copying the primary into {standby.data_dir} (pg_basebackup)",
    ]
    assert [message for message in said if message in made] == made
    with database.engine.connect() as conn:
        active = conn.execute(
            text("SELECT active FROM pg_replication_slots WHERE slot_name = 'wangge_replica'")
        )
        assert active.scalar_one_or_none() is not None
