"""The scale run (issue #20): 10,000,000 incidents over the province's 63,000 micro-grids.

Built once into the database ``bench_scale`` of the bench cluster and kept there: later runs
reuse it when its marker (``COMMENT ON DATABASE``, written last, so that a build cut short is
built again) names the same size and seed. The build:

1. a copy of the template with the banner copied nine times (:func:`data.add_province`);
2. 1,000,000 synthetic incidents over those micro-grids imported through the service's importer,
   exactly as the province scale's (each with its trail);
3. the rest, up to 10,000,000, cloned in SQL from the imported cases that are closed or
   evaluated, one copy at a time: each copy an hour earlier than the one before, with its own
   codes and ids and the whole trail shifted with it. Ten million cases of a province over three
   years are history, not open work: the open set the supervision sweep watches and the field
   pages list stays the million's (about 600,000 open cases);
4. the closed-loop clocks and the first supervision sweep (:func:`supervision.prepare`), then
   ``VACUUM (ANALYZE)``.

Building it takes about half an hour on this machine and 19 GB of disk, so only ``make bench``
(full mode) runs it, and ``python -m bench run --scales scale`` alone. The standby of the
CLUSTER measure is a ``pg_basebackup`` of the whole cluster: a second copy, made only when it
fits on the disk (:func:`bench.cluster.standby_fits`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from psycopg import sql
from sqlalchemy import create_engine

from bench import bulk, data, supervision
from bench.common import artefacts, libpq_url

DATABASE = "bench_scale"
TARGET = 10_000_000
BASE = 1_000_000
#: What the marker says; a database without exactly this comment is built again.
MARKER = "wangge bench scale: {target} incidents, seed {seed}, copies of closed cases"
#: Columns the clones do not copy as they are (every timestamptz column is shifted too).
OVERRIDES: dict[str, dict[str, str | None]] = {
    "incident": {
        "id": "id + %(offset)s",
        "code": (
            "split_part(code, '-', 1) || '-' || to_char((reported_at - %(shift)s::interval) "
            "AT TIME ZONE 'Asia/Shanghai', 'YYYY') || '-' || lpad(%(copy)s::text, 2, '0') "
            "|| split_part(code, '-', 3)"
        ),
    },
    "incident_event": {"id": None, "incident_id": "incident_id + %(offset)s"},
}
CLOSED = "status IN ('closed', 'evaluated')"


@dataclass(frozen=True)
class Built:
    """The scale database: its URL, size, and the first sweep (timed when it was built)."""

    url: str
    micro_grids: int
    incidents: int
    first_sweep: supervision.FirstSweep
    built_in: float


def ensure(
    where: data.Cluster,
    say: Callable[[str], None],
    *,
    name: str = DATABASE,
    base: int = BASE,
    target: int = TARGET,
) -> Built:
    """The scale database ``name``, built now unless a complete one is already there."""
    url = where.database(name)
    found = _marker(where, name)
    head = MARKER.format(target=target, seed=data.SEED)
    if found is not None and found.startswith(head + ";"):
        say(f"scale: reusing {name} ({found})")
        return _describe(url, found)
    started = time.perf_counter()
    url = data.fresh_database(where, name)
    micro = data.add_province(url)
    centroids_x, centroids_y, outline = data.micro_grids(url)
    frame = data.incident_table(
        base, (centroids_x, centroids_y), outline, data.minor_categories(url), copies=data.COPIES
    )
    csv = data.write_csv(frame, artefacts("data") / f"incidents-scale-{base}.csv")
    del frame
    say(f"scale: importing {base:,} incidents into {micro:,} micro-grids")
    engine = create_engine(url)
    report, seconds = bulk.load(engine, csv)
    say(f"scale: imported {report.accepted:,} in {seconds:.1f} s; cloning closed cases")
    total = clone(url, target, say)
    first = supervision.prepare(engine)
    engine.dispose()
    say(f"scale: first supervision sweep in {first.seconds:.1f} s; VACUUM (ANALYZE)")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) incident")
        conn.execute("VACUUM (ANALYZE) incident_event")
    built_in = time.perf_counter() - started
    issued = ",".join(f"{k}={v}" for k, v in sorted(first.issued.items()))
    marker = (
        f"{head}; micro-grids {micro}; incidents {total}; built {datetime.now(UTC):%Y-%m-%d} "
        f"in {built_in:.0f} s; first sweep {first.seconds:.1f} s at {first.now.isoformat()} "
        f"issued {issued}"
    )
    with psycopg.connect(libpq_url(where.url), autocommit=True) as conn:
        comment = sql.SQL("COMMENT ON DATABASE {} IS {}")
        conn.execute(comment.format(sql.Identifier(name), sql.Literal(marker)))
    say(f"scale: {total:,} incidents built in {built_in / 60:.1f} minutes")
    return Built(url, micro, total, first, built_in)


def clone(url: str, target: int, say: Callable[[str], None]) -> int:
    """Copies of the closed and evaluated cases (and their trails) until there are ``target``
    incidents; returns how many there are. The copies go in as a bulk load does: the tables'
    secondary indexes dropped first and built again after, and the foreign-key and trigger
    checks off for the session (``session_replication_role``: the copies reference copies
    made in the same transaction, so there is nothing for them to find)."""
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET session_replication_role = replica")
        columns = {t: _columns(conn, t) for t in OVERRIDES}
        total, top = conn.execute("SELECT count(*), max(id) FROM incident").fetchone()  # type: ignore[misc]
        closed = conn.execute(f"SELECT count(*) FROM incident WHERE {CLOSED}").fetchone()[0]  # type: ignore[index]
        copies = math.ceil((target - total) / closed)
        offset = 10 ** len(str(top))  # ids of copy k: the originals' + k × offset
        originals = f"SELECT id FROM incident WHERE id < {offset} AND {CLOSED} ORDER BY id"
        indexes = _drop_secondary_indexes(conn) if copies > 0 else []
        for k in range(1, copies + 1):
            started = time.perf_counter()
            params = {"offset": k * offset, "shift": f"{k} hours", "copy": k}
            params["n"] = min(closed, target - total)
            made = conn.execute(
                _insert("incident", columns["incident"], f"WHERE id IN ({originals} LIMIT %(n)s)"),
                params,
            )
            conn.execute(
                _insert(
                    "incident_event",
                    columns["incident_event"],
                    f"WHERE incident_id IN ({originals} LIMIT %(n)s)",
                ),
                params,
            )
            total += made.rowcount
            say(
                f"scale: copy {k}/{copies}: {made.rowcount:,} cases and their trails in "
                f"{time.perf_counter() - started:.0f} s ({total:,} incidents)"
            )
        started = time.perf_counter()
        for definition in indexes:
            conn.execute(definition)
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('incident', 'id'), max(id)) FROM incident"
        )
        conn.commit()
        if indexes:
            took = time.perf_counter() - started
            say(f"scale: {len(indexes)} indexes built again in {took:.0f} s")
    return total


def _drop_secondary_indexes(conn: psycopg.Connection) -> list[str]:
    """Drop the indexes of ``incident`` and ``incident_event`` that no constraint owns; the
    statements that make them again (over every partition)."""
    rows = conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid IN ('incident'::regclass, 'incident_event'::regclass) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
    ).fetchall()
    for name, _ in rows:
        conn.execute(f"DROP INDEX {name}")
    return [definition.replace(" ON ONLY ", " ON ", 1) for _, definition in rows]


def _columns(conn: psycopg.Connection, table: str) -> list[tuple[str, str]]:
    return [
        (name, kind)
        for name, kind in conn.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (table,),
        ).fetchall()
    ]


def _insert(table: str, columns: list[tuple[str, str]], where: str) -> str:
    """``INSERT INTO table (…) SELECT …`` of the originals (ids below the offset) that match."""
    names, values = [], []
    for name, kind in columns:
        override = OVERRIDES[table].get(name, "")
        if override is None:
            continue  # an identity: the copy gets a new one
        names.append(name)
        if override:
            values.append(override)
        elif kind == "timestamp with time zone":
            values.append(f"{name} - %(shift)s::interval")
        else:
            values.append(name)
    select = f"SELECT {', '.join(values)} FROM {table} {where}"
    return f"INSERT INTO {table} ({', '.join(names)}) {select}"


def _marker(where: data.Cluster, name: str) -> str | None:
    with psycopg.connect(libpq_url(where.url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
    return row[0] if row else None


def _describe(url: str, marker: str) -> Built:
    """What the marker of a built database says (so a reused one reports its first sweep)."""
    fields = dict(part.split(" ", 1) for part in marker.split("; ")[1:] if " " in part)
    sweep, _, rest = fields["first"].removeprefix("sweep ").partition(" s at ")
    at, _, issued = rest.partition(" issued ")
    counts = {k: int(v) for k, v in (p.split("=") for p in issued.split(",") if p)}
    built_in = float(fields["built"].split(" in ")[1].removesuffix(" s"))
    return Built(
        url,
        int(fields["micro-grids"]),
        int(fields["incidents"]),
        supervision.FirstSweep(datetime.fromisoformat(at), float(sweep), counts),
        built_in,
    )
