"""Facilities (物) and units and organisations (组织): listed and read inside the reader's
scope, the way households are (their micro-grid's code), the P2 fields of an organisation
(legal person, contact phone) masked; the clear values need a reveal with a reason
(:func:`reveal_organisation`, then :func:`api.reveal.reveal`, which audits it).

A facility's fields are all P0/P1 (code, kind, owner unit, state, point): served as stored.
An organisation known by address only has no micro-grid: only a reader whose scope is the
whole banner sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection

from cases.registry.households import MAX_PAGE, Reader
from cases.registry.marks import EDIT_ROLES
from cases.registry.sql import query
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.privacy import mask_name, mask_phone


def _params(reader: Reader, limit: int, **filters: str | None) -> dict[str, Any]:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("limit", f"must be between 1 and {MAX_PAGE}, got {limit}")
    return {**filters, "limit": limit, **reader.scope.params()}


def _page(
    rows: Sequence[Any], view: Callable[[Any], dict[str, Any]], key: str, limit: int
) -> dict[str, Any]:
    return {key: [view(r) for r in rows], "next": rows[-1].code if len(rows) == limit else None}


def facility_view(row: Any) -> dict[str, Any]:
    return {
        "code": row.code,
        "kind": row.kind,
        "owner_unit": row.owner_unit,
        "state": row.state,
        "lon": row.lon,
        "lat": row.lat,
        "micro_grid": row.micro_grid_code,
    }


def organisation_view(row: Any) -> dict[str, Any]:
    """An organisation as every reader gets it: legal person and contact phone masked."""
    return {
        "code": row.code,
        "name": row.name,
        "address": row.address,
        "kind": row.kind,
        "key_unit": row.key_unit,
        "party_members": row.party_members,
        "legal_person": mask_name(row.legal_person),
        "contact_phone": mask_phone(row.contact_phone),
        "lon": row.lon,
        "lat": row.lat,
        "micro_grid": row.micro_grid_code,
    }


def list_facilities(
    conn: Connection, reader: Reader, *, code: str | None = None,
    micro_grid: str | None = None, grid: str | None = None, kind: str | None = None,
    after: str | None = None, limit: int = 100,
) -> dict[str, Any]:  # fmt: skip
    """A page of facilities in code order; ``next`` is the ``after`` of the next page."""
    params = _params(
        reader, limit, code=code, micro_grid=micro_grid, grid=grid, kind=kind, after=after
    )
    rows = conn.execute(query("facility_list"), params).all()
    return _page(rows, facility_view, "facilities", limit)


def get_facility(conn: Connection, reader: Reader, code: str) -> dict[str, Any]:
    """One facility inside the reader's scope; :class:`NotFound` otherwise."""
    found = list_facilities(conn, reader, code=code, limit=1)["facilities"]
    if not found:
        raise NotFound(f"facility {code} not found")
    return dict(found[0])


def list_organisations(
    conn: Connection, reader: Reader, *, code: str | None = None,
    micro_grid: str | None = None, grid: str | None = None, kind: str | None = None,
    after: str | None = None, limit: int = 100,
) -> dict[str, Any]:  # fmt: skip
    """A page of organisations in code order, masked; ``next`` as for facilities."""
    params = _params(
        reader, limit, code=code, micro_grid=micro_grid, grid=grid, kind=kind, after=after
    )
    rows = conn.execute(query("organisation_list"), params).all()
    return _page(rows, organisation_view, "organisations", limit)


def _organisation_row(conn: Connection, reader: Reader, code: str) -> Any:
    params = _params(reader, 1, code=code, micro_grid=None, grid=None, kind=None, after=None)
    row = conn.execute(query("organisation_list"), params).one_or_none()
    if row is None:
        raise NotFound(f"organisation {code} not found")
    return row


def get_organisation(conn: Connection, reader: Reader, code: str) -> dict[str, Any]:
    """One organisation inside the reader's scope, masked; :class:`NotFound` otherwise."""
    return organisation_view(_organisation_row(conn, reader, code))


def reveal_organisation(conn: Connection, reader: Reader, code: str) -> dict[str, str | None]:
    """The clear P2 fields of an organisation (for :func:`api.reveal.reveal`, which audits)."""
    if reader.role not in EDIT_ROLES:
        raise Forbidden("this role may not reveal an organisation's legal person and contact")
    row = _organisation_row(conn, reader, code)
    return {"legal_person": row.legal_person, "contact_phone": row.contact_phone}
