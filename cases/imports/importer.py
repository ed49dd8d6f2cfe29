"""Importing incidents from a file, every row accounted for.

A file is CSV, GeoJSON or GeoPackage (told apart by content; see :mod:`geo.files.pointfile` for
how each is read, how its rows are numbered and where the datum comes from). CSV is UTF-8
with the columns

    lon, lat, datum, category, description, occurred_at, reported_at, status, status_at,
    reporter_name, reporter_phone, reporter_id_number

of which ``lon``, ``lat``, ``datum`` and ``category`` are required (in GeoJSON and GeoPackage
the coordinates are the point geometry; a GeoJSON feature without a ``datum`` property is
WGS-84, as RFC 7946 says). A missing ``reported_at`` is the time of the import; a missing
``status`` is ``reported``.

Every row is checked (:mod:`cases.imports.rows`); a refused row is reported with its line and
the field at fault, never dropped: ``accepted + refused rows == rows read``. An importer with
a narrower scope than the banner (a township officer) has the rows that land outside it
refused as well (field ``location``: "outside 150621001"). The accepted
rows are placed, routed and written set-wise with ``COPY``, incidents and their trails
together, in one transaction (:mod:`cases.imports.write`), followed by a single
``pg_notify('incidents', '{"kind": "import", "count": N}')``. With ``all_or_nothing`` a file
with any refused row writes nothing. One audit entry (``incident.import``) records who imported
which file and the counts, in the same transaction; the trail entries name the importer.

Examples
--------
>>> report = ImportReport("a.csv", "csv", rows=3, accepted=2,
...                       refused=[Refusal(3, "lat", "is required")],
...                       codes=["DLT-2024-000001", "DLT-2024-000002"], written=True)
>>> print(report.summary())
accepted 2 of 3 rows (DLT-2024-000001 … DLT-2024-000002)
refused 1 row:
line 3: lat: is required
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text

from access import audit
from access.audit import SYSTEM, Actor
from cases.imports.rows import Refusal, Row, RowChecker
from cases.imports.write import storage_coordinates, write_rows
from geo.areas import current_generation
from geo.assign_bulk import place_many
from geo.errors import InvalidInput
from geo.files.pointfile import read_points
from geo.scope import WHOLE_BANNER, Scope

__all__ = ["ImportReport", "Refusal", "import_incidents", "import_incidents_in"]

#: Columns a CSV header (or GeoPackage layer, for the non-coordinate ones) must have.
REQUIRED = ("lon", "lat", "datum", "category")
#: Metres outside every micro-grid within which a point still goes to the nearest one; the
#: service passes ``Settings.nearest_limit_m``, whose default this is.
DEFAULT_LIMIT_M = 500.0
MAX_SOURCE = 16

#: Called with (rows finished, rows in the file): refused rows as they are checked, accepted
#: rows as they are written.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportReport:
    """What an import did with each row of a file."""

    file: str
    format: str
    rows: int
    accepted: int
    refused: list[Refusal]
    codes: list[str]
    written: bool
    seconds: float = field(default=0.0, compare=False)

    @property
    def refused_rows(self) -> int:
        """Rows refused (a row may be refused for several fields)."""
        return len({r.line for r in self.refused})

    def summary(self) -> str:
        """The report as lines of text: the accepted count, then every refusal."""
        lines = [f"accepted {self.accepted} of {self.rows} rows"]
        if self.codes:
            lines[0] += f" ({self.codes[0]} … {self.codes[-1]})"
        if not self.written and self.accepted:
            lines[0] += "; nothing written, since some rows were refused (all or nothing)"
        if self.refused:
            plural = "row" if self.refused_rows == 1 else "rows"
            lines.append(f"refused {self.refused_rows} {plural}:")
            lines += [str(r) for r in self.refused]
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "format": self.format,
            "rows": self.rows,
            "accepted": self.accepted,
            "written": self.written,
            "refused": [
                {"line": r.line, "field": r.field, "reason": r.reason} for r in self.refused
            ],
            "codes": {
                "count": len(self.codes),
                "first": self.codes[0] if self.codes else None,
                "last": self.codes[-1] if self.codes else None,
            },
        }


def import_incidents(
    engine: Engine,
    path: Path | str,
    *,
    source: str = "import",
    progress: Progress | None = None,
    all_or_nothing: bool = False,
    limit_m: float = DEFAULT_LIMIT_M,
    scope: Scope = WHOLE_BANNER,
    actor: Actor = SYSTEM,
    name: str | None = None,
) -> ImportReport:
    """Import the incidents of ``path`` for ``actor`` in one transaction of its own (see the
    module doc); rows landing outside ``scope`` are refused. ``name`` is the file's name as
    reported and audited (an upload's, when ``path`` is a temporary copy).

    Raises :class:`~geo.errors.InvalidFile` when the file cannot be read as a whole (nothing
    is written then); row problems are in the report.
    """
    with engine.begin() as conn:
        return import_incidents_in(
            conn,
            path,
            source=source,
            progress=progress,
            all_or_nothing=all_or_nothing,
            limit_m=limit_m,
            scope=scope,
            actor=actor,
            name=name,
        )


def import_incidents_in(
    conn: Connection,
    path: Path | str,
    *,
    source: str = "import",
    progress: Progress | None = None,
    all_or_nothing: bool = False,
    limit_m: float = DEFAULT_LIMIT_M,
    scope: Scope = WHOLE_BANNER,
    actor: Actor = SYSTEM,
    name: str | None = None,
    status_trail: bool = True,
) -> ImportReport:
    """:func:`import_incidents` inside the caller's transaction, which it does not commit.

    With ``status_trail=False`` each incident's trail is its ``reported`` entry alone and the
    incident is written as reported: the caller writes the rest of the trail and what it sets
    (the sample loader does, from ``trails.csv``, :mod:`cases.loop.history`)."""
    started = time.perf_counter()
    if not source or len(source) > MAX_SOURCE:
        raise InvalidInput("source", f"must be 1-{MAX_SOURCE} characters, got {source!r}")
    path = Path(path)
    points = read_points(path, required=REQUIRED)
    total = len(points.records)
    checker = RowChecker(
        set(
            conn.execute(text("SELECT code FROM category WHERE parent_code IS NOT NULL")).scalars()
        ),
        conn.execute(text("SELECT now()")).scalar_one(),
    )
    accepted: list[Row] = []
    refused: list[Refusal] = []
    for record in points.records:
        result = checker.check(record)
        if isinstance(result, Row):
            accepted.append(result)
        else:
            refused += result
    if scope.area_prefix is not None and accepted:
        accepted, outside = _inside(conn, accepted, scope.area_prefix, limit_m)
        refused = sorted(refused + outside, key=lambda r: r.line)
    refused_rows = len({r.line for r in refused})
    assert len(accepted) + refused_rows == total, "every row is accepted or refused"
    if progress is not None:
        progress(refused_rows, total)
    codes: list[str] = []
    write = bool(accepted) and not (all_or_nothing and refused)
    if write:
        codes = write_rows(
            conn,
            accepted,
            source=source,
            limit_m=limit_m,
            progress=None if progress is None else lambda n: progress(refused_rows + n, total),
            actor=actor.username,
            status_trail=status_trail,
        )
    report = ImportReport(
        file=name or path.name,
        format=points.format,
        rows=total,
        accepted=len(accepted),
        refused=refused,
        codes=codes,
        written=write,
        seconds=time.perf_counter() - started,
    )
    summary = report.as_dict() | {"source": source, "refused_rows": report.refused_rows}
    del summary["refused"]  # the reasons may quote the rows' values; the counts say enough
    audit.record(conn, actor, "incident.import", "import_file", report.file, after=summary)
    return report


def _inside(
    conn: Connection, rows: list[Row], prefix: str, limit_m: float
) -> tuple[list[Row], list[Refusal]]:
    """The rows whose incident would be held inside area ``prefix``, and a refusal for each
    other one. The points are placed as :func:`~cases.imports.write.write_rows` will place
    them (the same generation and rules), once more for the narrower importers only."""
    x, y = storage_coordinates(rows)
    placed = place_many(conn, x, y, current_generation(conn), limit_m)
    queue_ids = sorted({int(i) for i in placed.queue_area_id})
    code_of: dict[int, str] = dict(
        conn.execute(
            text("SELECT id, code FROM area WHERE id = ANY(:ids)"), {"ids": queue_ids}
        ).all()
    )
    inside: list[Row] = []
    outside: list[Refusal] = []
    for row, queue_id in zip(rows, placed.queue_area_id.tolist(), strict=True):
        if str(code_of[queue_id]).startswith(prefix):
            inside.append(row)
        else:
            outside.append(Refusal(row.line, "location", f"outside {prefix}"))
    return inside, outside
