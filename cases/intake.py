"""Intake: a report becomes an incident on the right desk, exactly once per Idempotency-Key.

Everything a report causes happens in ONE transaction: the key is claimed, the point placed,
the department and member chosen, the incident and the first entry of its trail written,
the response stored against the key, and a ``NOTIFY`` queued (PostgreSQL delivers it only on
commit). A failure anywhere rolls all of it back; nothing is half-written.

Concurrent requests with the same key queue on the key's row: the first one's commit makes
the others replay its stored response; if it takes longer than :data:`KEY_WAIT`, they answer
"in progress" (409).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg.errors import LockNotAvailable
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from cases.codes import TIMEZONE, reserve_codes
from cases.dispatch import desk_for
from cases.errors import IdempotencyInProgress, IdempotencyKeyMissing, IdempotencyKeyReused
from cases.routing import minor_category
from cases.sql import query
from cases.views import incident_view
from geo.areas import current_generation
from geo.assign import Placement, place
from geo.errors import InvalidInput
from geo.points import parse_point

#: How long a retry waits for the first request with its key before answering 409.
KEY_WAIT = "5s"
#: Keys are remembered this long.
KEY_TTL = timedelta(days=7)
MAX_KEY_LENGTH = 200
DUPLICATE_RADIUS_M = 50.0
DUPLICATE_WINDOW = timedelta(hours=24)
NOTIFY_CHANNEL = "incidents"


@dataclass(frozen=True)
class Report:
    """What a reporter sends. Coordinates are in ``datum``; validation happens in :func:`submit`."""

    lon: float | None
    lat: float | None
    datum: str | None
    category: str | None
    description: str = ""
    occurred_at: datetime | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    media: list[dict[str, Any]] = field(default_factory=list)

    def fingerprint(self) -> str:
        """A hash of the report's content, to tell a retry from a different request."""
        canonical = json.dumps(asdict(self), sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """The answer to a report: its status code and body, and whether it was a replay."""

    status_code: int
    body: dict[str, Any]
    replayed: bool = False


def check_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise IdempotencyKeyMissing(
            "Idempotency-Key",
            "header is required: send a unique key per report, the same on retries",
        )
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput("Idempotency-Key", f"must be 1-{MAX_KEY_LENGTH} printable characters")
    return key


def submit(
    engine: Engine,
    report: Report,
    *,
    idempotency_key: str | None,
    nearest_limit_m: float,
    source: str = "api",
) -> Outcome:
    """File ``report`` as an incident, or replay the answer already given for its key."""
    key = check_key(idempotency_key)
    point = parse_point(report.lon, report.lat, report.datum)
    _check_times(report)
    fingerprint = report.fingerprint()
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(text(f"SET LOCAL lock_timeout = '{KEY_WAIT}'"))
            replay = _claim_key(conn, key, fingerprint)
            if replay is not None:
                return replay
            category = minor_category(conn, report.category)
            placement = place(conn, point.lon, point.lat, current_generation(conn), nearest_limit_m)
            incident_id = _insert(conn, report, point, category.code, placement, key, source)
            body = incident_view(conn, incident_id) | {
                "possible_duplicates": _duplicates(conn, incident_id)
            }
            _notify(conn, body)
            conn.execute(
                text(
                    "UPDATE idempotency_key SET status_code = 201, response = :body, "
                    "incident_id = :id WHERE key = :key"
                ),
                {"body": json.dumps(body, ensure_ascii=False), "id": incident_id, "key": key},
            )
            return Outcome(201, body)
    except OperationalError as exc:
        if isinstance(exc.orig, LockNotAvailable):
            raise IdempotencyInProgress(
                f"a request with Idempotency-Key {key!r} is still being processed; retry shortly"
            ) from None
        raise


def purge_expired_keys(engine: Engine) -> int:
    """Forget idempotency keys older than :data:`KEY_TTL`; returns how many were removed."""
    with engine.begin() as conn:
        return conn.execute(
            text("DELETE FROM idempotency_key WHERE created_at < now() - :ttl"), {"ttl": KEY_TTL}
        ).rowcount


def _check_times(report: Report) -> None:
    if report.occurred_at is None:
        return
    if report.occurred_at.tzinfo is None:
        raise InvalidInput(
            "occurred_at", "must include a UTC offset, e.g. 2026-11-29T09:30:00+08:00"
        )
    if report.occurred_at > datetime.now(UTC) + timedelta(minutes=5):
        raise InvalidInput("occurred_at", f"{report.occurred_at.isoformat()} is in the future")


def _claim_key(conn: Connection, key: str, fingerprint: str) -> Outcome | None:
    """Claim ``key`` for this transaction, or return the stored answer of its first use."""
    conn.execute(
        text("DELETE FROM idempotency_key WHERE key = :key AND created_at < now() - :ttl"),
        {"key": key, "ttl": KEY_TTL},
    )
    claimed = conn.execute(
        text(
            "INSERT INTO idempotency_key (key, request_hash) VALUES (:key, :hash) "
            "ON CONFLICT (key) DO NOTHING RETURNING key"
        ),
        {"key": key, "hash": fingerprint},
    ).scalar_one_or_none()
    if claimed is not None:
        return None
    stored = conn.execute(
        text("SELECT request_hash, status_code, response FROM idempotency_key WHERE key = :key"),
        {"key": key},
    ).one()
    if stored.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            "Idempotency-Key", f"{key!r} was already used for a different report"
        )
    if stored.status_code is None:  # pragma: no cover - the claim and the answer commit together
        raise IdempotencyInProgress(f"a request with Idempotency-Key {key!r} is still in progress")
    return Outcome(stored.status_code, stored.response, replayed=True)


def _insert(
    conn: Connection,
    report: Report,
    point: Any,
    category_code: str,
    placement: Placement,
    key: str,
    source: str,
) -> int:
    desk = desk_for(conn, placement, category_code)
    year = conn.execute(
        text(f"SELECT extract(year FROM now() AT TIME ZONE '{TIMEZONE}')::int")
    ).scalar_one()
    (code,) = reserve_codes(conn, year)
    params = {
        "code": code,
        "category": category_code,
        "description": report.description,
        "occurred_at": report.occurred_at,
        "datum": point.datum.value,
        "raw_lon": point.raw_lon,
        "raw_lat": point.raw_lat,
        "lon": point.lon,
        "lat": point.lat,
        "reporter_name": report.reporter_name,
        "reporter_phone": report.reporter_phone,
        "media": json.dumps(report.media, ensure_ascii=False),
        **desk.columns(),
        "key": key,
        "source": source,
        "event_data": json.dumps(
            {
                "assignment": placement.assignment.value,
                "distance_m": placement.distance_m,
                "tied_codes": placement.tied_codes,
                "source": source,
            }
        ),
    }
    return int(conn.execute(query("insert_incident"), params).scalar_one())


def _duplicates(conn: Connection, incident_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        query("duplicates"),
        {
            "id": incident_id,
            "radius": DUPLICATE_RADIUS_M,
            "window": DUPLICATE_WINDOW,
        },
    )
    return [
        {
            "code": r.code,
            "distance_m": round(r.distance_m, 1),
            "reported_at": r.reported_at.isoformat(),
        }
        for r in rows
    ]


def _notify(conn: Connection, body: dict[str, Any]) -> None:
    """Queue a NOTIFY for the live map; PostgreSQL sends it only if the transaction commits."""
    payload = {
        "kind": "created",
        "code": body["code"],
        "status": body["status"],
        "category": body["category"]["code"],
        "lon": body["location"]["cgcs2000"]["lon"],
        "lat": body["location"]["cgcs2000"]["lat"],
        "queue_area": body["assignment"]["queue_area"]["code"],
    }
    conn.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": NOTIFY_CHANNEL, "payload": json.dumps(payload, ensure_ascii=False)},
    )
