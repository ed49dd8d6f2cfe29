"""The whole sample set in one transaction: areas and people, taxonomy, routing, history.

The incident history (``incidents.csv``) goes through the importer like any other file, in
the same transaction: a refused row fails the whole load. Its trails (``trails.csv``) are then
written by :mod:`cases.loop.history`, which replays each through the transition table to set
the cases' status and the rest; a trail the table refuses fails the load too.
"""

from __future__ import annotations

import csv
import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from cases.cobuild.sample import load_cobuild
from cases.imports.importer import import_incidents_in
from cases.loop.history import write_trails
from cases.loop.sql import query as loop_query
from cases.mediation.sample import load_mediation
from cases.party.sample import load_party
from cases.registry.load import load_registry
from cases.routines.sample import load_routines
from cases.whistle.sample import load_whistles
from geo.loader import DEFAULT_SAMPLE_DIR, load_areas_and_people, place_folders
from geo.settings import Settings

log = logging.getLogger(__name__)


def load_sample(engine: Engine, sample_dir: Path | None = None) -> None:
    """Load everything in ``sample_dir`` (default ``sample_data/``) into an empty database."""
    folder = sample_dir or DEFAULT_SAMPLE_DIR
    with engine.begin() as conn:
        load_areas_and_people(conn, folder)
        load_taxonomy(conn, folder / "categories.csv", folder / "routing_overrides.csv")
        load_history(conn, folder / "incidents.csv", folder / "trails.csv")
        load_whistles(conn, folder / "whistles.csv")
        load_party(conn, folder)
        load_registry(conn, folder, key=Settings().id_key)
        load_routines(conn, folder)  # after the registry's households and the history
        for place in place_folders(folder)[1:]:  # the further places: routing and history
            load_place_history(conn, place)
        load_cobuild(conn, folder)  # after the places: 团结新村 is Haibowan's (#18)


def load_place_history(conn: Connection, place: Path) -> None:
    """A further place's routing overrides (its streets and towns to its own departments)
    and its incident history, imported with the plain status trail (no trails file), as
    source ``sample-<folder>`` (``sample-150302``)."""
    conn.execute(
        text(
            "INSERT INTO routing_override (category_code, township_code, department_id) "
            "VALUES (:category_code, :township_code, "
            "(SELECT id FROM department WHERE code = :department_code))"
        ),
        _rows(place / "routing_overrides.csv"),
    )
    source = f"{SAMPLE_SOURCE}-{place.name}"  # sample-150302: Dalad's history stays "sample"
    report = import_incidents_in(conn, place / "incidents.csv", source=source)
    if report.refused:
        raise ValueError(f"{place}: the sample history must import whole:\n{report.summary()}")
    log.info("loaded %d sample incidents of %s", report.accepted, place.name)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_taxonomy(conn: Connection, categories: Path, overrides: Path) -> None:
    """Load the incident categories (majors before minors), their handling limits as
    time-limit rows, and the routing overrides."""
    rows = sorted(_rows(categories), key=lambda r: (len(r["code"]), r["code"]))
    conn.execute(
        text(
            "INSERT INTO category (code, name, parent_code, department_id, time_limit_hours, "
            "sensitive) VALUES (:code, :name, :parent_code, "
            "(SELECT id FROM department WHERE code = :department_code), "
            "CAST(:time_limit_hours AS integer), CAST(:sensitive AS boolean))"
        ),
        [
            {
                **r,
                "parent_code": r["parent_code"] or None,
                "time_limit_hours": r["time_limit_hours"] or None,
            }
            for r in rows
        ],
    )
    conn.execute(
        text(
            "INSERT INTO routing_override (category_code, township_code, department_id) "
            "VALUES (:category_code, :township_code, "
            "(SELECT id FROM department WHERE code = :department_code))"
        ),
        _rows(overrides),
    )
    conn.execute(loop_query("seed_handle_limits"))
    log.info("loaded %d categories", len(rows))


#: The ``source`` of the sample's incidents.
SAMPLE_SOURCE = "sample"


def load_history(conn: Connection, path: Path, trails: Path | None = None) -> int:
    """Import the sample incidents (:mod:`cases.imports.importer`); every row must be accepted.

    With ``trails`` (``trails.csv``) the incidents are imported as reported and their trails
    written from that file (:func:`cases.loop.history.write_trails`, which sets the status and
    everything else the trail leads to); without it, the importer's plain status trail."""
    report = import_incidents_in(conn, path, source=SAMPLE_SOURCE, status_trail=trails is None)
    if report.refused:
        raise ValueError(f"{path}: the sample history must import whole:\n{report.summary()}")
    log.info("loaded %d sample incidents in %.1f s", report.accepted, report.seconds)
    if trails is not None:
        codes = _codes_by_line(path, report.codes)
        written = write_trails(conn, codes, trails)
        log.info("wrote %(entries)d trail entries of %(cases)d sample incidents", written)
        log.info("loaded %d mediation files", load_mediation(conn, path.parent, codes))
    return report.accepted


def _codes_by_line(path: Path, codes: list[str]) -> list[str]:
    """The codes of ``path``'s rows in file order (the importer numbers them oldest first,
    by report time and then line)."""
    stamps = [datetime.fromisoformat(r["reported_at"]) for r in _rows(path)]
    order = sorted(range(len(stamps)), key=lambda k: (stamps[k], k))
    by_line = [""] * len(stamps)
    for code, k in zip(codes, order, strict=True):
        by_line[k] = code
    return by_line
