"""结对共建: a partner unit paired with a village (agreement, yearly commitment, since), and
the paired villages as a map layer (partner, year, money received)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cases.cobuild import common
from cases.cobuild.money import text
from cases.cobuild.sql import query
from geo.areas import current_generation
from geo.scope import Scope


@dataclass(frozen=True)
class PairingIn:
    village: str
    partner: str
    agreement: str
    yearly_commitment: Decimal
    since: date


def record(conn: Connection, principal: common.Principal, pairing: PairingIn) -> dict[str, Any]:
    """Write a pairing of a village in the caller's scope; the pairing as listed."""
    common.may_write(principal)
    village = common.village(conn, principal.scope, pairing.village)
    common.not_after_today(pairing.since, "since")
    row = {
        "village_code": village["code"],
        "partner": pairing.partner,
        "agreement": pairing.agreement,
        "yearly_commitment": pairing.yearly_commitment,
        "since": pairing.since,
        "account": principal.actor.username,
    }
    pairing_id = conn.execute(query("pairing_insert"), row).scalar_one()
    common.record(conn, principal, "cobuild.pairing", "cobuild_pairing", pairing_id, row)
    return pairings(conn, principal.scope, pairing_id=pairing_id)[0]


def _view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "village": {"code": row.village_code, "name": row.village_name},
        "partner": row.partner,
        "agreement": row.agreement,
        "yearly_commitment": text(row.yearly_commitment),
        "since": row.since.isoformat(),
        "since_year": row.since.year,
        "received": text(row.received),
        "receipts": row.receipts,
        "last_receipt_on": row.last_on.isoformat() if row.last_on else None,
    }


def _rows(
    conn: Connection,
    scope: Scope,
    *,
    village: str | None = None,
    pairing_id: int | None = None,
    geometry: bool = False,
) -> list[Any]:
    params = {
        "village": village,
        "pairing_id": pairing_id,
        "geometry": geometry,
        "g": current_generation(conn),
        **scope.params(),
    }
    return list(conn.execute(query("pairings"), params))


def pairings(
    conn: Connection, scope: Scope, *, village: str | None = None, pairing_id: int | None = None
) -> list[dict[str, Any]]:
    """The pairings in ``scope`` with the money received under each."""
    return [_view(r) for r in _rows(conn, scope, village=village, pairing_id=pairing_id)]


def paired_villages(conn: Connection, scope: Scope) -> dict[str, Any]:
    """The "结对共建" map layer: a GeoJSON FeatureCollection of the paired villages' outlines
    with partner, since year, yearly commitment and money received (no personal data)."""
    features = [
        {
            "type": "Feature",
            "id": r.id,
            "geometry": json.loads(r.geometry) if r.geometry else None,
            "properties": _view(r),
        }
        for r in _rows(conn, scope, geometry=True)
    ]
    return {"type": "FeatureCollection", "features": features}
