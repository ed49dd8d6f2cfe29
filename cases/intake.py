"""Intake: a report becomes an incident on the right desk, exactly once per Idempotency-Key.

Everything a report causes happens in ONE transaction: the key is claimed, the point placed,
the department and member chosen, the incident and the first entry of its trail written,
the response stored against the key, the audit entry written, and a ``NOTIFY`` queued
(PostgreSQL delivers it only on commit). A failure anywhere rolls all of it back; nothing is
half-written.

Keys belong to the account that sent them: the key is stored as ``<account id>:<key>``, so two
accounts using the same key file two incidents and never see each other's answer. A replayed
retry is answered before ``admit`` is asked (the caller's rate limit), so a client retrying a
report that went through is never refused for it.

Concurrent requests with the same key queue on the key's row: the first one's commit makes
the others replay its stored response; if it takes longer than :data:`KEY_WAIT`, they answer
"in progress" (409).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg.errors import LockNotAvailable
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from access import audit
from access.audit import Actor
from cases import live, views
from cases.codes import TIMEZONE, reserve_codes
from cases.dispatch import Desk, desk_for
from cases.errors import IdempotencyInProgress, IdempotencyKeyMissing, IdempotencyKeyReused
from cases.loop import limits
from cases.report import id_number_problem
from cases.routing import minor_category
from cases.sql import query
from geo.assign import Placement, place
from geo.errors import InvalidInput, NotFound
from geo.points import parse_point
from geo.privacy import mask_strings
from geo.scope import WHOLE_BANNER, Scope

#: How long a retry waits for the first request with its key before answering 409.
KEY_WAIT = "5s"
#: Keys are remembered this long.
KEY_TTL = timedelta(days=7)
#: A client's key; stored behind its account id (``idempotency_key.key`` holds 200).
MAX_KEY_LENGTH = 180
DUPLICATE_RADIUS_M = 50.0
DUPLICATE_WINDOW = timedelta(hours=24)


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
    #: 居民身份证号, checked by :func:`cases.report.id_number_problem`; never leaves the service
    #: in clear.
    reporter_id_number: str | None = None
    #: An urgent case: the loop's urgent time limits apply (accept within 10 minutes …).
    urgent: bool = False

    def fingerprint(self) -> str:
        """A hash of the report's content, to tell a retry from a different request."""
        content = asdict(self)
        if content["reporter_id_number"] is None:  # the hash of reports without one is unchanged
            del content["reporter_id_number"]
        if not content["urgent"]:  # nor that of reports that are not urgent
            del content["urgent"]
        canonical = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
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
            where="header",
        )
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            "Idempotency-Key", f"must be 1-{MAX_KEY_LENGTH} printable characters", where="header"
        )
    return key


def submit(
    engine: Engine,
    report: Report,
    *,
    idempotency_key: str | None,
    nearest_limit_m: float,
    actor: Actor,
    owner: int,
    source: str = "api",
    admit: Callable[[], None] | None = None,
    scope: Scope = WHOLE_BANNER,
    within: Connection | None = None,
) -> Outcome:
    """File ``report`` as an incident for ``actor``, or replay the answer already given for
    the key ``owner`` (an account id) sent before.

    ``admit`` is called once the report is known to be new, inside the transaction: raising
    (a rate limit) refuses it and leaves nothing behind, the key included.

    A report may be filed anywhere, but the answer (the first and every replay) holds only
    what the reporter's ``scope`` may see: possible duplicates they may read, and the chain,
    queue area and member cut by :func:`cases.views.as_seen_by`.

    ``within`` is the caller's open transaction (a visit that opens a case,
    :mod:`cases.routines.visit_case`): the report is written in it and commits or rolls back
    with the rest of it.
    """
    key = check_key(idempotency_key)
    stored_key = f"{owner}:{key}"
    point = parse_point(report.lon, report.lat, report.datum)
    _check_times(report)
    _check_reporter(report)
    fingerprint = report.fingerprint()
    try:
        with _transaction(engine, within) as conn:
            start = conn.execute(
                query("intake_begin"),
                {"wait": KEY_WAIT, "key": stored_key, "ttl": KEY_TTL, "timezone": TIMEZONE,
                 "category": report.category},
            ).one()  # fmt: skip
            replay = _claim_key(conn, stored_key, fingerprint, shown=key)
            if replay is not None:
                return replace(replay, body=_as_seen_by(replay.body, scope))
            if admit is not None:
                admit()
            if start.category_code is None:
                minor_category(conn, report.category)  # refuses it, listing the valid codes
            if start.generation is None:
                raise NotFound("no boundary generation has been published yet")
            placement = place(conn, point.lon, point.lat, start.generation, nearest_limit_m)
            desk = desk_for(conn, placement, start.category_code)
            incident_id, code = _insert(conn, report, point, start, desk, stored_key, source, actor)
            view = _view(conn, incident_id, placement)
            audit.record(conn, actor, "incident.create", "incident", view["code"], after=view)
            body = view | {"possible_duplicates": _duplicates(conn, incident_id, scope)}
            news = live.created(code, start.category_code, point, placement, desk.department_code)
            _answer(conn, stored_key, incident_id, body, news)
            return Outcome(201, _as_seen_by(body, scope))
    except OperationalError as exc:
        if isinstance(exc.orig, LockNotAvailable):
            raise IdempotencyInProgress(
                f"a request with Idempotency-Key {key!r} is still being processed; retry shortly"
            ) from None
        raise


@contextmanager
def _transaction(engine: Engine, within: Connection | None) -> Iterator[Connection]:
    """``within`` as it is, or a new connection in a transaction of its own."""
    if within is not None:
        yield within
        return
    with engine.connect() as conn, conn.begin():
        yield conn


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


def _check_reporter(report: Report) -> None:
    if report.reporter_id_number is None:
        return
    problem = id_number_problem(report.reporter_id_number)
    if problem is not None:
        raise InvalidInput("reporter.id_number", problem)


def _claim_key(conn: Connection, key: str, fingerprint: str, *, shown: str) -> Outcome | None:
    """Claim ``key`` for this transaction (``intake_begin.sql`` forgot it if it expired), or
    return the stored answer of its first use; errors name the key as the client sent it
    (``shown``)."""
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
            "Idempotency-Key", f"{shown!r} was already used for a different report", where="header"
        )
    if stored.status_code is None:  # pragma: no cover - the claim and the answer commit together
        raise IdempotencyInProgress(
            f"a request with Idempotency-Key {shown!r} is still in progress"
        )
    return Outcome(stored.status_code, stored.response, replayed=True)


def _insert(
    conn: Connection,
    report: Report,
    point: Any,
    start: Any,
    desk: Desk,
    key: str,
    source: str,
    actor: Actor,
) -> tuple[int, str]:
    """Write the incident and the first entry of its trail; its id and code."""
    placement = desk.placement
    (code,) = reserve_codes(conn, start.year)
    params = {
        "code": code,
        "category": start.category_code,
        "description": report.description,
        "occurred_at": report.occurred_at,
        "datum": point.datum.value,
        "raw_lon": point.raw_lon,
        "raw_lat": point.raw_lat,
        "lon": point.lon,
        "lat": point.lat,
        "reporter_name": report.reporter_name,
        "reporter_phone": report.reporter_phone,
        "reporter_id_number": _upper(report.reporter_id_number),
        "media": json.dumps(report.media, ensure_ascii=False),
        **desk.columns(),
        "key": key,
        "source": source,
        "urgent": report.urgent,
        # The accept deadline runs from the report time (the transaction's) on the calendar.
        "step_due_at": limits.step_due(
            conn, _Case(start.category_code, report.urgent), "accept", start.now
        ),
        "actor": actor.username,
        "event_data": json.dumps(
            {
                "assignment": placement.assignment.value,
                "distance_m": placement.distance_m,
                "tied_codes": placement.tied_codes,
                "source": source,
            }
        ),
    }
    return int(conn.execute(query("insert_incident"), params).scalar_one()), code


@dataclass(frozen=True)
class _Case:
    """What the accept deadline reads of a new case (:class:`cases.loop.limits.CaseRow`)."""

    category_code: str
    urgent: bool


def _upper(number: str | None) -> str | None:
    return None if number is None else number.upper()


def _as_seen_by(body: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """An answer as the reporter may see it; a stored one is masked again, for answers
    stored before free text was masked."""
    return views.as_seen_by(mask_strings(body), scope)


def _duplicates(conn: Connection, incident_id: int, scope: Scope) -> list[dict[str, Any]]:
    rows = conn.execute(
        query("duplicates"),
        {
            "id": incident_id,
            "radius": DUPLICATE_RADIUS_M,
            "window": DUPLICATE_WINDOW,
            **scope.params(),
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


def _view(conn: Connection, incident_id: int, placement: Placement) -> dict[str, Any]:
    """The new incident as :func:`cases.views.incident_view` shows it, its chain being the
    placement's (the queue area's, banner first)."""
    row = conn.execute(query("incident_view"), {"id": incident_id}).one()
    links = [
        {"level": level, "id": area_id, "code": code, "name": name}
        for level, (area_id, code, name) in placement.areas.items()
    ]
    return views.view(row, links)


def _answer(
    conn: Connection, key: str, incident_id: int, body: dict[str, Any], news: dict[str, Any]
) -> None:
    """Store ``body`` as the answer to ``key`` and queue the live map's ``news``
    (:mod:`cases.live`), in one statement; PostgreSQL sends the notification only if the
    transaction commits."""
    conn.execute(
        text(
            "WITH stored AS (UPDATE idempotency_key SET status_code = 201, response = :body, "
            "incident_id = :id WHERE key = :key) SELECT pg_notify(:channel, :payload)"
        ),
        {
            "body": json.dumps(body, ensure_ascii=False),
            "id": incident_id,
            "key": key,
            "channel": live.CHANNEL,
            "payload": live.payload(news),
        },
    )
