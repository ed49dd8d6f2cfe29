"""Open311 GeoReport v2 over the incident workflow, so civic-reporting clients can post.

The mapping (spec: http://wiki.open311.org/GeoReport_v2):

- A *service* is a four-digit minor category: ``service_code`` is its code, ``group`` the name of
  its major class. Services are ``realtime`` (a request becomes an incident at once) and carry no
  attributes yet.
- A *service request* is an incident; ``service_request_id`` is its code (``DLT-2026-000123``).
  Posting one goes through :func:`cases.intake.submit` with ``source="open311"``: the same
  validation, assignment, routing and single transaction as the native API.
- Coordinates are WGS-84, as the spec says. They are stored in CGCS2000, which equals WGS-84
  to well under a metre (see :mod:`geo.datum`), so stored coordinates are returned as they are.
  A location given only as ``address_string`` or ``address_id`` is refused: nothing is geocoded.
- ``status`` is ``closed`` for the statuses in :data:`cases.models.CLOSED_STATUSES` (不予立案,
  已结案, 已评价) and ``open`` for the ten others, so it follows the case as actions move it
  (:mod:`cases.loop`); ``status_notes`` is the Chinese label with the action that set the
  status and when, the evaluation once given, and a refusal's reason (:func:`status_notes`).
- Authentication: discovery and services are public. Posting needs an API key (``api_key`` in
  the form or query, or the ``X-API-Key`` header) or a token of an account that may report;
  reading requests needs a credential, and lists only the requests inside the caller's scope
  (another township's answer 404, as a missing one). Posts count against the account's intake
  rate, as native reports do, and their retry keys are the account's own.
  ``email``, ``device_id``, ``account_id`` and ``address_string``/``address_id`` are accepted
  but not stored (incidents have no column for them); ``first_name``/``last_name`` and ``phone``
  become the reporter's name and phone, which only staff see, masked.

Retries. A client may send an ``Idempotency-Key`` header. Without one the key is derived from
the request: ``open311:`` + the SHA-256 of its fields in canonical form (``api_key`` left out),
so a client that blindly re-posts the same form gets the first answer back instead of a second
incident. The key lives as long as any key (:data:`cases.intake.KEY_TTL`, 7 days), so the
exact same form posted again by the same account within that time is also answered with the
first request's id.

Privacy. Listings carry no personal data: no reporter or member column is even read
(``sql/open311_requests.sql``), and phone numbers, ID numbers and e-mail addresses typed into
a description are masked. For sensitive categories (婚姻家庭纠纷, 涉毒线索 …) the description
and media are omitted, the address stops at the grid, and lat/long are rounded to
:data:`SENSITIVE_DECIMALS` decimals (about 100 m).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from access.audit import Actor
from cases import report
from cases.codes import TIMEZONE
from cases.intake import Report, submit
from cases.loop.table import ACTIONS
from cases.models import CLOSED_STATUSES, IncidentStatus
from cases.routing import categories, matrix
from cases.sql import query
from geo.errors import InvalidInput, NotFound
from geo.privacy import mask_phone
from geo.scope import Scope

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: When this mapping last changed (the discovery document's ``changeset``).
CHANGESET = "2026-11-29T00:00:00+08:00"
#: GET requests.json answers at most this many requests, over at most this window.
MAX_REQUESTS = 1000
MAX_WINDOW = timedelta(days=90)
#: Decimals kept of a sensitive request's lat/long (0.001° is about 111 m north-south).
SENSITIVE_DECIMALS = 3
_WHERE = ("lat", "long", "address_string", "address_id")
_WHO = ("email", "device_id", "account_id", "first_name", "last_name", "phone")
#: The fields of POST requests.json this service reads (``api_key`` is read by api/auth.py).
POST_FIELDS = frozenset(
    ("jurisdiction_id", "service_code", "description", "media_url", *_WHERE, *_WHO)
)
#: Domain field names as a GeoReport client knows them.
_FIELD_NAMES = {"lon": "long", "category": "service_code"}
_LONG_NUMBER = re.compile(r"(?<![0-9])[0-9]{7,}[0-9Xx]?(?![0-9])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_LOCAL = ZoneInfo(TIMEZONE)


def georeport_status(status: str) -> str:
    """``open`` or ``closed`` for one of the 13 incident statuses.

    >>> georeport_status("dispatched"), georeport_status("evaluated")
    ('open', 'closed')
    """
    return "closed" if IncidentStatus(status) in CLOSED_STATUSES else "open"


def public_text(text: str) -> str:
    """``text`` with phone and ID numbers and e-mail addresses masked.

    >>> public_text("楼道堆物，联系13812345678或 li.si@example.com")
    '楼道堆物，联系138****5678或 l***@example.com'
    """
    text = _LONG_NUMBER.sub(lambda m: mask_phone(m.group()) or "", text)
    return _EMAIL.sub(lambda m: m.group()[0] + "***@" + m.group().split("@", 1)[1], text)


def w3c(value: datetime) -> str:
    """A timestamp in China Standard Time, in the W3C profile of ISO 8601 the spec asks for."""
    return value.astimezone(_LOCAL).isoformat()


def service_notice(department: str, reported_at: datetime, deadline_at: datetime) -> str:
    hours = round((deadline_at - reported_at).total_seconds() / 3600)
    deadline = deadline_at.astimezone(_LOCAL).strftime("%Y-%m-%d %H:%M")
    return f"由{department}承办，处置时限 {hours} 小时（{deadline} 前）"


def discovery(url: str) -> dict[str, Any]:
    """The discovery document for the GeoReport v2 endpoint at ``url``."""
    return {
        "changeset": CHANGESET,
        "contact": "网格 Wangge 达拉特旗网格化治理服务",
        "key_service": "上报需要 API key（api_key 参数或 X-API-Key 头），请向系统管理员申请",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json"],
            }
        ],
    }


def services(conn: Connection) -> list[dict[str, Any]]:
    """Every minor category as a GeoReport service, in code order."""
    majors = {c.code: c.name for c in categories(conn) if c.parent_code is None}
    out = []
    for row in matrix(conn):
        name, group = row["category_name"], majors[row["major_code"]]
        department = row["department"]["name"]
        description = (
            f"{name}（{group}）：默认由{department}承办，处置时限 {row['time_limit_hours']} 小时。"
        )
        if row["sensitive"]:
            description += "敏感类别：公开查询不显示描述和照片，地址只到网格，坐标约百米精度。"
        out.append(
            {
                "service_code": row["category_code"],
                "service_name": name,
                "description": description,
                "metadata": False,
                "type": "realtime",
                "keywords": ", ".join((group, name, department)),
                "group": group,
            }
        )
    return out


def service_definition(conn: Connection, service_code: str) -> dict[str, Any]:
    """The definition of one service; it has no attributes yet."""
    if not any(s["service_code"] == service_code for s in services(conn)):
        raise NotFound(f"service_code: unknown service {service_code!r}; see services.json")
    return {"service_code": service_code, "attributes": []}


# --- POST requests.json ---------------------------------------------------------------------


def form_fields(items: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """The request's fields as text, from a form or a JSON object (the last value wins).

    Unknown fields (``api_key``, ``attribute[…]``) are dropped; numbers become their text.

    >>> form_fields([("lat", 40.4), ("long", "110.0"), ("api_key", "k"), ("lat", "40.5")])
    {'lat': '40.5', 'long': '110.0'}
    """
    fields: dict[str, str] = {}
    for name, value in items:
        if name not in POST_FIELDS or value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidInput(name, "must be text or a number")
        fields[name] = value if isinstance(value, str) else repr(value)
    return fields


def _value(fields: Mapping[str, str], name: str) -> str | None:
    return (fields.get(name) or "").strip() or None


def _coordinate(fields: Mapping[str, str], name: str, other: str) -> float:
    raw = _value(fields, name)
    if raw is None:
        raise InvalidInput(
            name,
            f"is required (with {other}): this service does not geocode address_string or "
            "address_id, so send the location as lat/long in WGS-84",
        )
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(name, f"must be a number in decimal degrees, got {raw!r}") from None


def _checked(fields: Mapping[str, str], name: str, rule: Callable[[str], str | None]) -> str | None:
    """The field's value, refused under its GeoReport name when ``rule`` finds a problem."""
    value = _value(fields, name)
    problem = None if value is None else rule(value)
    if problem is not None:
        raise InvalidInput(name, problem)
    return value


def _full_name(first: str | None, last: str | None) -> str | None:
    """Family name first and unspaced for Chinese names, "first last" otherwise."""
    parts = [p for p in (first, last) if p]
    if not parts:
        return None
    if any(ord(ch) > 0x2E7F for ch in "".join(parts)):
        return "".join(p for p in (last, first) if p)
    return " ".join(parts)


def _reporter_name(fields: Mapping[str, str]) -> str | None:
    """``first_name`` and ``last_name`` as one name, checked as a report's name is."""
    first, last = _value(fields, "first_name"), _value(fields, "last_name")
    name = _full_name(first, last)
    problem = None if name is None else report.name_problem(name)
    if problem is not None:
        raise InvalidInput(
            "+".join(f for f, v in (("first_name", first), ("last_name", last)) if v), problem
        )
    return name


def to_report(fields: Mapping[str, str]) -> Report:
    """The incident report a GeoReport request stands for; bad fields are named by their
    GeoReport names, and refused by the rules of :mod:`cases.report`, in its words."""
    if _value(fields, "service_code") is None:
        raise InvalidInput("service_code", "is required; see services.json for the codes")
    category = _checked(fields, "service_code", report.category_problem)
    lat = _coordinate(fields, "lat", "long")
    lon = _coordinate(fields, "long", "lat")
    media_url = _checked(fields, "media_url", report.media_url_problem)
    return Report(
        lon=lon,
        lat=lat,
        datum="wgs84",
        category=category,
        description=_checked(fields, "description", report.description_problem) or "",
        reporter_name=_reporter_name(fields),
        reporter_phone=_checked(fields, "phone", report.phone_problem),
        media=[{"url": media_url}] if media_url else [],
    )


def derived_key(fields: Mapping[str, str]) -> str:
    """The idempotency key of a request sent without one: its fields, hashed.

    >>> derived_key({"lat": "40.4", "long": "110"}) == derived_key({"long": "110", "lat": "40.4"})
    True
    """
    canonical = json.dumps(sorted(fields.items()), ensure_ascii=False, separators=(",", ":"))
    return "open311:" + hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Created:
    """The answer to POST requests.json, and whether it replays an earlier one."""

    body: list[dict[str, Any]]
    replayed: bool


def post_request(
    engine: Engine,
    fields: Mapping[str, str],
    *,
    idempotency_key: str | None,
    nearest_limit_m: float,
    actor: Actor,
    owner: int,
    admit: Callable[[], None] | None = None,
) -> Created:
    """File a GeoReport request as an incident for ``actor`` (see the module docstring for
    retries; ``owner`` and ``admit`` are :func:`cases.intake.submit`'s)."""
    report = to_report(fields)
    key = idempotency_key if idempotency_key and idempotency_key.strip() else derived_key(fields)
    try:
        outcome = submit(
            engine,
            report,
            idempotency_key=key,
            nearest_limit_m=nearest_limit_m,
            actor=actor,
            owner=owner,
            source="open311",
            admit=admit,
        )
    except InvalidInput as exc:
        if exc.field not in _FIELD_NAMES:
            raise
        raise type(exc)(_FIELD_NAMES[exc.field], exc.problem) from None
    incident = outcome.body
    notice = service_notice(
        incident["responsible"]["department"]["name"],
        datetime.fromisoformat(incident["reported_at"]),
        datetime.fromisoformat(incident["deadline_at"]),
    )
    body = [{"service_request_id": incident["code"], "service_notice": notice, "account_id": None}]
    return Created(body, outcome.replayed)


# --- GET requests.json ----------------------------------------------------------------------


def _codes(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def parse_datetime(field: str, value: str | None) -> datetime | None:
    """A W3C/ISO 8601 timestamp with its UTC offset; a ``+`` that a query string turned into
    a space is put back.

    >>> parse_datetime("start_date", "2026-11-29T09:30:00 08:00").isoformat()
    '2026-11-29T09:30:00+08:00'
    """
    if value is None or not value.strip():
        return None
    text = re.sub(r" ([0-9]{2}:?[0-9]{2})$", r"+\1", value.strip())
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            field, f"{value!r} is not an ISO 8601 datetime like 2026-11-29T09:30:00+08:00"
        ) from None
    if parsed.tzinfo is None:
        raise InvalidInput(field, f"{value!r} needs a UTC offset, e.g. +08:00 or Z")
    return parsed


def _statuses(value: str | None) -> list[str] | None:
    wanted = set(_codes(value))
    if not wanted <= {"open", "closed"}:
        bad = sorted(wanted - {"open", "closed"})
        raise InvalidInput("status", f"unknown status {bad[0]!r}; expected open or closed")
    if not wanted or wanted == {"open", "closed"}:
        return None
    return [s.value for s in IncidentStatus if georeport_status(s) in wanted]


def _window(start_date: str | None, end_date: str | None) -> tuple[datetime, datetime]:
    start, end = parse_datetime("start_date", start_date), parse_datetime("end_date", end_date)
    end = end or datetime.now(UTC)
    start = start or end - MAX_WINDOW
    if start > end:
        raise InvalidInput("start_date", "must not be after end_date")
    if end - start > MAX_WINDOW:
        raise InvalidInput(
            "start_date",
            f"start_date to end_date (default now) may span at most {MAX_WINDOW.days} days",
        )
    return start, end


def list_requests(
    conn: Connection,
    *,
    scope: Scope,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """Requests inside ``scope`` as the spec's GET requests.json filters them, newest first.

    ``service_request_id`` (comma-separated) overrides every other filter, as the spec says.
    Otherwise the window is ``start_date`` to ``end_date``: by default the last 90 days, and
    never more than 90 days; at most :data:`MAX_REQUESTS` requests are returned.
    """
    params: dict[str, Any] = dict.fromkeys(("codes", "services", "statuses", "start", "end"))
    if service_request_id is not None:
        params["codes"] = _codes(service_request_id)
        if len(params["codes"]) > MAX_REQUESTS:
            raise InvalidInput("service_request_id", f"at most {MAX_REQUESTS} ids at once")
    else:
        params["services"] = _codes(service_code) or None
        known = {s["service_code"] for s in services(conn)}
        for code in params["services"] or ():
            if code not in known:
                raise InvalidInput("service_code", f"unknown service {code!r}; see services.json")
        params["statuses"] = _statuses(status)
        params["start"], params["end"] = _window(start_date, end_date)
    rows = conn.execute(
        query("open311_requests"), {**params, **scope.params(), "limit": MAX_REQUESTS}
    )
    return [_public(row) for row in rows]


def get_request(conn: Connection, service_request_id: str, *, scope: Scope) -> list[dict[str, Any]]:
    """The one request ``service_request_id`` inside ``scope``, as a one-element list (the
    spec's shape); outside the scope it does not exist."""
    found = list_requests(conn, scope=scope, service_request_id=service_request_id)
    if len(found) != 1 or found[0]["service_request_id"] != service_request_id:
        raise NotFound(f"service_request_id: {service_request_id!r} does not exist")
    return found


_EVALUATION_LABELS = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
}


def status_notes(
    status: str,
    action: str | None,
    at: datetime | None,
    evaluation: str | None,
    reason: str | None = None,
) -> str:
    """The case's state in words: its label, the action that set it and when (China time),
    the reporter's evaluation once given, and the reason of a refusal (不予立案).

    >>> status_notes("reported", None, None, None)
    '已上报'
    >>> status_notes("closed", "verify", datetime(2026, 12, 4, 7, 5, tzinfo=UTC), None)
    '已结案：核查（2026-12-04 15:05）'
    >>> status_notes("evaluated", "evaluate", datetime(2026, 12, 5, 1, 0, tzinfo=UTC), "satisfied")
    '已评价：评价（2026-12-05 09:00）；评价：满意'
    >>> status_notes("void", "void", datetime(2026, 12, 5, 1, 0, tzinfo=UTC), None, "重复上报")
    '不予立案：不予立案（2026-12-05 09:00）；原因：重复上报'
    """
    notes = IncidentStatus(status).label
    if action is not None and at is not None:
        notes += f"：{ACTIONS[action].label}（{at.astimezone(_LOCAL):%Y-%m-%d %H:%M}）"
    if evaluation is not None:
        notes += f"；评价：{_EVALUATION_LABELS[evaluation]}"
    if reason:
        notes += f"；原因：{reason}"
    return notes


def _public(row: Any) -> dict[str, Any]:
    """One row of ``open311_requests.sql`` as a GeoReport service request."""
    digits = SENSITIVE_DECIMALS if row.sensitive else 7
    media = [] if row.sensitive else [m["url"] for m in row.media or [] if m.get("url")]
    return {
        "service_request_id": row.code,
        "status": georeport_status(row.status),
        "status_notes": status_notes(
            row.status,
            row.last_action,
            row.last_action_at,
            row.evaluation,
            None if row.sensitive or row.void_reason is None else public_text(row.void_reason),
        ),
        "service_name": row.category_name,
        "service_code": row.category_code,
        "description": None if row.sensitive else public_text(row.description),
        "agency_responsible": row.department_name,
        "service_notice": service_notice(row.department_name, row.reported_at, row.deadline_at),
        "requested_datetime": w3c(row.reported_at),
        "updated_datetime": w3c(row.updated_at or row.reported_at),
        "expected_datetime": w3c(row.deadline_at),
        "address": row.address,
        "lat": round(row.lat, digits),
        "long": round(row.lon, digits),
        "media_url": media[0] if media else None,
    }
