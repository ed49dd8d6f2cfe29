"""Intake: a report becomes an incident on the right desk, exactly once per Idempotency-Key.

Everything a report causes happens in ONE transaction of two statements, so a failure anywhere
(a crash, a refusal, a lost connection) rolls all of it back; nothing is half-written:

1. ``sql/intake_start.sql`` claims the key, reserves the year's next code, places the point
   in the current generation, finds the desk (department and grid worker), the accept step's
   time limit and the possible duplicates, and reads what the answer shows of them;
2. in between, Python refuses what must be refused (a rate limit, an unknown category, no
   generation, no department) and builds the answer (:func:`cases.views.view`, masked) and
   the accept deadline (the working calendar, :mod:`cases.loop.calendar`);
3. ``sql/intake_write.sql`` writes the incident, the first entry of its trail, the audit
   entry and the answer stored against the key, and queues a ``NOTIFY`` (PostgreSQL delivers
   it only on commit).

Each statement is atomic on its own and both run in the one transaction: a report is either
written whole (incident, trail, audit row, stored answer, code, notification) or not at all,
its code given back. The answer is built from the values written, not read back.

Keys belong to the account that sent them: the key is stored as ``<account id>:<key>``, so two
accounts using the same key file two incidents and never see each other's answer. A replayed
retry is answered before ``admit`` is asked (the caller's rate limit), so a client retrying a
report that went through is never refused for it.

Concurrent requests with the same key queue on the key's row: the first one's commit makes
the others replay its stored response; if it takes longer than :data:`KEY_WAIT`, they answer
"in progress" (409). Every report queues on the year's code counter, held from the first
statement to the commit: one that waited :data:`KEY_WAIT` for it is "busy" (503, retry after
1 s), with nothing written, rather than hold its connection longer while more queue behind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from psycopg.errors import LockNotAvailable
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from access import audit
from access.audit import Actor
from cases import live, views
from cases.codes import TIMEZONE, format_code
from cases.dispatch import Desk
from cases.errors import IdempotencyInProgress, IdempotencyKeyMissing, IdempotencyKeyReused
from cases.loop import calendar
from cases.models import IncidentStatus
from cases.report import id_number_problem
from cases.routing import minor_category
from cases.sql import query
from geo import assign
from geo.errors import Busy, InvalidInput, NotFound
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
            params = _start_params(report, point, stored_key, fingerprint, nearest_limit_m, scope)
            start = conn.execute(query("intake_start"), params).one()
            if not start.claimed:
                replay = _replay(conn, stored_key, fingerprint, shown=key)
                if replay is not None:
                    return replace(replay, body=_as_seen_by(replay.body, scope))
                start = conn.execute(query("intake_start"), params).one()  # it had expired
                if not start.claimed:  # someone else took it over first: theirs, replayed
                    replay = _replay(conn, stored_key, fingerprint, shown=key)
                    if replay is None:  # pragma: no cover - a key is not taken over twice
                        raise IdempotencyInProgress(f"Idempotency-Key {key!r} is being reused")
                    return replace(replay, body=_as_seen_by(replay.body, scope))
            if admit is not None:
                admit()
            incident = _incident(conn, report, point, start, source)
            body = incident.view | {"possible_duplicates": _duplicates(start)}
            conn.execute(query("intake_write"), _write_params(incident, body, stored_key, actor))
            return Outcome(201, _as_seen_by(body, scope))
    except OperationalError as exc:
        if isinstance(exc.orig, LockNotAvailable):
            if 'relation "idempotency_key"' in (exc.orig.diag.context or ""):
                raise IdempotencyInProgress(
                    f"a request with Idempotency-Key {key!r} is still being processed; "
                    "retry shortly"
                ) from None
            raise Busy(  # queued past KEY_WAIT behind the reports ahead on the year's counter
                "too many reports are being filed at this moment; nothing was written: retry "
                "with the same Idempotency-Key"
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


#: How many years ahead the yearly partitions of incidents and their trail are made.
PARTITIONS_AHEAD = 2


def add_year_partitions(engine: Engine, ahead: int = PARTITIONS_AHEAD) -> int:
    """Make the partitions of ``incident`` and ``incident_event`` for this year and the
    ``ahead`` next ones that are missing (``wangge_year_partitions``, migration 0016); returns
    how many were made. A report dated where no yearly partition is lands in the default
    partition, so nothing is refused; this keeps each year in its own."""
    with engine.begin() as conn:
        made = conn.execute(text("SELECT wangge_year_partitions(:ahead)"), {"ahead": ahead})
        return int(made.scalar_one())


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


def _start_params(
    report: Report, point: Any, key: str, fingerprint: str, limit_m: float, scope: Scope
) -> dict[str, Any]:
    """The parameters of ``intake_start.sql``."""
    return {
        "wait": KEY_WAIT,
        "key": key,
        "hash": fingerprint,
        "timezone": TIMEZONE,
        "category": report.category,
        "urgent": report.urgent,
        "lon": point.lon,
        "lat": point.lat,
        "limit_m": limit_m,
        "radius": DUPLICATE_RADIUS_M,
        "window": DUPLICATE_WINDOW,
        **scope.params(),
    }


def _replay(conn: Connection, key: str, fingerprint: str, *, shown: str) -> Outcome | None:
    """The stored answer of the first use of ``key``, which ``intake_start.sql`` could not
    claim; None when the key had expired (``intake_replay.sql`` deleted it: claim it again).
    Errors name the key as the client sent it (``shown``)."""
    stored = conn.execute(query("intake_replay"), {"key": key, "ttl": KEY_TTL}).one_or_none()
    if stored is None or stored.expired:
        return None
    if stored.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            "Idempotency-Key", f"{shown!r} was already used for a different report", where="header"
        )
    if stored.status_code is None:  # pragma: no cover - the claim and the answer commit together
        raise IdempotencyInProgress(
            f"a request with Idempotency-Key {shown!r} is still in progress"
        )
    return Outcome(stored.status_code, stored.response, replayed=True)


#: What a new incident starts with, written by ``intake_write.sql`` and shown in the answer.
NEW = {
    "version": 1,
    "level": "micro_grid",
    "card": "none",
    "delay_state": "none",
    "transfers": 0,
    "reopened_count": 0,
}


@dataclass(frozen=True)
class _Incident:
    """A report about to be written: the incident's columns and trail entry (``params``), its
    view (the answer without the duplicates) and the live map's news."""

    params: dict[str, Any]
    view: dict[str, Any]
    news: dict[str, Any]


def _incident(conn: Connection, report: Report, point: Any, start: Any, source: str) -> _Incident:
    """The incident ``intake_start.sql`` prepared (its row ``start``), or the refusal: an
    unknown category, no generation, no banner to queue in, no department, no time limit."""
    if start.category_code is None:
        minor_category(conn, report.category)  # refuses it, listing the valid codes
    if start.generation is None:
        raise NotFound("no boundary generation has been published yet")
    if start.how is None:
        raise NotFound(f"generation {start.generation} has no banner to queue the point in")
    if start.department_id is None:
        raise NotFound(f"category {start.category_code} has no department to route to")
    if start.limit_amount is None:
        raise NotFound(f"no time limit for step accept (urgent: {report.urgent})")
    links = [{"level": lv, "id": int(i), "code": c, "name": n} for lv, i, c, n in start.chain]
    row = SimpleNamespace(how=start.how, id=start.queue_area_id, distance_m=start.distance_m,
                          tied=start.tied)  # fmt: skip
    placement = assign.placement(row, links, start.generation)
    desk = Desk(placement, start.member_id, start.department_id, start.department_code)
    code = format_code(start.year, start.number)
    # The accept deadline runs from the report time (the transaction's) on the calendar.
    step_due_at = calendar.current(conn, start.calendar_stamp).add(
        start.now, Decimal(start.limit_amount), start.limit_unit
    )
    media = json.dumps(report.media, ensure_ascii=False)
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
        "media": media,
        **desk.columns(),
        "deadline_at": start.deadline_at,
        "source": source,
        "urgent": report.urgent,
        "step_due_at": step_due_at,
        **NEW,
        "event_data": json.dumps(
            {
                "assignment": placement.assignment.value,
                "distance_m": placement.distance_m,
                "tied_codes": placement.tied_codes,
                "source": source,
            }
        ),
    }
    queue = next(level for level, area in placement.areas.items() if area[0] == row.id)
    shown = {f"{p}_{k}": getattr(start, f"{p}_{k}") for p, k in _SHOWN}
    written = SimpleNamespace(
        **(params | shown),
        status=IncidentStatus.REPORTED.value,
        category_code=start.category_code,
        major_code=start.major_code,
        major_name=start.major_name,
        sensitive=start.sensitive,
        reported_at=start.now,
        generation_id=placement.generation,
        assignment_distance_m=placement.distance_m,
        member_id=start.member_id,
        queue_code=placement.areas[queue][1],
        queue_name=placement.areas[queue][2],
        queue_level=queue,
        tied_codes=placement.tied_codes,
        closed_level=None,
        evaluation=None,
    )
    # as the database gives them back: a time in the session's time zone, media as JSON
    written.occurred_at = _as_stored(report.occurred_at, start.now)
    written.step_due_at = _as_stored(step_due_at, start.now)
    written.media = json.loads(media)
    news = live.created(code, start.category_code, point, placement, desk.department_code)
    return _Incident(params, views.view(written, links), news)


#: The columns of the answer that ``intake_start.sql`` read: ``<prefix>_<name>``.
_SHOWN = (
    ("category", "name"),
    ("member", "name"),
    ("member", "phone"),
    ("member", "kind"),
    ("department", "code"),
    ("department", "name"),
)


def _as_stored(at: datetime | None, now: datetime) -> datetime | None:
    """``at`` as the database gives a stored time back: in the time zone of ``now``, a time
    it gave."""
    return None if at is None else at.astimezone(now.tzinfo)


def _upper(number: str | None) -> str | None:
    return None if number is None else number.upper()


def _as_seen_by(body: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """An answer as the reporter may see it; a stored one is masked again, for answers
    stored before free text was masked."""
    return views.as_seen_by(mask_strings(body), scope)


def _duplicates(start: Any) -> list[dict[str, Any]]:
    """The possible duplicates ``intake_start.sql`` found, nearest first."""
    found = zip(
        start.duplicate_codes or [],
        start.duplicate_distances or [],
        start.duplicate_times or [],
        strict=True,
    )
    return [
        {"code": code, "distance_m": round(distance, 1), "reported_at": at.isoformat()}
        for code, distance, at in found
    ]


def _write_params(
    incident: _Incident, body: dict[str, Any], key: str, actor: Actor
) -> dict[str, Any]:
    """The parameters of ``intake_write.sql``: the incident, its audit entry (the view as
    written), the answer stored against ``key`` and the notification."""
    entry = audit.values(
        actor, "incident.create", "incident", incident.view["code"], after=incident.view
    )
    return {
        **incident.params,
        "key": key,
        "actor": actor.username,
        **{f"audit_{name}": value for name, value in entry.items()},
        "body": json.dumps(body, ensure_ascii=False),
        "channel": live.CHANNEL,
        "payload": live.payload(incident.news),
    }
