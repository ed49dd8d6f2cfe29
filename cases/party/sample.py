"""Load the sample's party year (``sample_data/party_*.csv``, :mod:`sample_data.party`).

Every row must land: a registration at a micro-grid or a task in a village that is not
current fails the load, as the rest of the sample does.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from sqlalchemy import Connection

from cases.party.sql import query

log = logging.getLogger(__name__)

FILES = ("party_registrations.csv", "party_tasks.csv", "party_claims.csv")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_party(conn: Connection, folder: Path) -> None:
    """Registrations, tasks, claims and confirmations from ``folder``; none when its files
    are absent (an older sample)."""
    if not (folder / FILES[0]).exists():
        return
    registrations, tasks, claims = (_rows(folder / name) for name in FILES)
    for name, rows, statement in (
        (FILES[0], registrations, query("sample_registrations")),
        (FILES[1], tasks, query("sample_tasks")),
    ):
        written = conn.execute(statement, rows).rowcount
        if written != len(rows):
            raise ValueError(f"{name}: {len(rows) - written} rows name no current area")
    conn.execute(query("sample_claims"), claims)
    confirmed = [c for c in claims if c["outcome"]]
    conn.execute(query("sample_confirmations"), confirmed)
    conn.execute(query("sample_sequences"))
    log.info(
        "loaded %d party registrations, %d tasks, %d claims (%d confirmed)",
        len(registrations),
        len(tasks),
        len(claims),
        len(confirmed),
    )
