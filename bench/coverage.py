"""P14: the coverage roll-up for the banner (``GET /api/v1/coverage?level=township``'s work)
with 400,000 persons ÷ the same figures in one raw SQL statement.

The sample registry holds 340,000 persons; the measure first twins whole households (their
persons, tags and contacts, in the same houses) until the banner holds :data:`PERSONS`, one
set of statements, untimed. Timed, each warm and repeated: :func:`cases.routines.coverage.
coverage` for the whole banner at township level (the rule's fragment per household: LATERAL
lookups of its tags and last contact) and the baseline, a plain grouped statement over the
same rows giving the same per-township households, claimed, visited, overdue, last contact
and uncovered micro-grids (checked equal). The ratio is the first ÷ the second.

Standalone::

    python -m bench.coverage [--quick | --smoke]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from sqlalchemy import Engine, text

from bench import data
from bench.common import VAR, Result
from bench.context import SIZES, Context
from cases.routines import coverage
from geo.areas import current_generation
from geo.scope import WHOLE_BANNER

PERSONS = 400_000
TWIN = """
WITH persons AS (
    SELECT h.id, sum(count(p.id)) OVER (ORDER BY h.id) - count(p.id) AS before
    FROM household h JOIN person p ON p.household_id = h.id
    WHERE h.code NOT LIKE '%-B'
    GROUP BY h.id
)
INSERT INTO household (code, house_id, claimed_by_member_id)
SELECT h.code || '-B', h.house_id, h.claimed_by_member_id
FROM household h JOIN persons s ON s.id = h.id
WHERE s.before < :need
"""
TWIN_PERSONS = """
INSERT INTO person (household_id, name, id_number, id_hash, birth_date, sex, ethnicity, phone,
                    residence_type, party_member)
SELECT b.id, p.name, p.id_number, p.id_hash || '-B', p.birth_date, p.sex, p.ethnicity, p.phone,
       p.residence_type, p.party_member
FROM household b
JOIN household h ON b.code = h.code || '-B'
JOIN person p ON p.household_id = h.id
"""
TWIN_TAGS = """
INSERT INTO person_tag (person_id, tag, since)
SELECT b.id, t.tag, t.since
FROM person b JOIN person p ON b.id_hash = p.id_hash || '-B'
JOIN person_tag t ON t.person_id = p.id
"""
TWIN_CONTACTS = """
WITH o AS (SELECT max(id) AS offset_ FROM contact),
c AS (
    INSERT INTO contact (id, member_id, account, at, channel, needs, micro_grid_id)
    SELECT c.id + o.offset_, c.member_id, 'bench', c.at, c.channel, c.needs, c.micro_grid_id
    FROM contact c CROSS JOIN o
    WHERE c.id IN (SELECT ch.contact_id FROM contact_household ch
                   JOIN household h ON h.id = ch.household_id
                   JOIN household b ON b.code = h.code || '-B')
    RETURNING id
)
INSERT INTO contact_household (contact_id, household_id)
SELECT ch.contact_id + o.offset_, b.id
FROM contact_household ch CROSS JOIN o
JOIN household h ON h.id = ch.household_id
JOIN household b ON b.code = h.code || '-B'
"""
RAW = """
WITH seen AS (
    SELECT ch.household_id, max(c.at) AS at
    FROM contact_household ch JOIN contact c ON c.id = ch.contact_id
    WHERE c.at <= %(now)s GROUP BY ch.household_id
),
strict AS (
    SELECT p.household_id, min(k.visit_every_days) AS days
    FROM person p JOIN person_tag pt ON pt.person_id = p.id JOIN tag_kind k ON k.tag = pt.tag
    GROUP BY p.household_id
),
mg AS (
    SELECT a.id, a.code, a.parent_id FROM area a
    WHERE a.level = 'micro_grid' AND a.generation_low <= %(g)s
      AND (a.generation_high IS NULL OR a.generation_high >= %(g)s)
),
per_mg AS (
    SELECT mg.code, count(h.id) AS households, count(h.claimed_by_member_id) AS claimed,
           count(h.id) FILTER (WHERE s.at > %(now)s - least(182, t.days) * interval '1 day')
               AS visited,
           max(s.at) AS last_contact
    FROM mg
    LEFT JOIN house ho ON ho.micro_grid_id = mg.id
    LEFT JOIN household h ON h.house_id = ho.id
    LEFT JOIN strict t ON t.household_id = h.id
    LEFT JOIN seen s ON s.household_id = h.id
    GROUP BY mg.code
),
staffed AS (
    SELECT DISTINCT m.area_id FROM member m WHERE m.kind IN ('grid_worker', 'party_member')
)
SELECT left(p.code, 9) AS township, sum(p.households), sum(p.claimed), sum(p.visited),
       sum(p.households - p.visited), max(p.last_contact),
       count(*) FILTER (WHERE (mg.id NOT IN (SELECT area_id FROM staffed)
                               AND mg.parent_id NOT IN (SELECT area_id FROM staffed))
                         OR p.last_contact IS NULL
                         OR p.last_contact <= %(now)s - interval '14 days')
FROM per_mg p JOIN mg ON mg.code = p.code
GROUP BY 1 ORDER BY 1
"""


def grow(engine: Engine, persons: int = PERSONS) -> int:
    """Twin households until the banner holds at least ``persons``; how many it holds."""
    with engine.begin() as conn:
        have = conn.execute(text("SELECT count(*) FROM person")).scalar_one()
        if have < persons:
            conn.execute(text(TWIN), {"need": persons - have})
            for statement in (TWIN_PERSONS, TWIN_TAGS, TWIN_CONTACTS):
                conn.execute(text(statement))
        for table in ("household", "person", "person_tag", "contact", "contact_household"):
            conn.execute(text(f"ANALYZE {table}"))
        return int(conn.execute(text("SELECT count(*) FROM person")).scalar_one())


def measure(ctx: Context, repeat: int = 3) -> list[Result]:
    persons = grow(ctx.engine)
    now = datetime.now(UTC)
    with ctx.engine.connect() as conn:
        g = current_generation(conn)
        ours = coverage.coverage(conn, WHOLE_BANNER, g, level="township", now=now)  # warm
        started = time.perf_counter()
        for _ in range(repeat):
            ours = coverage.coverage(conn, WHOLE_BANNER, g, level="township", now=now)
        service = (time.perf_counter() - started) / repeat
    with ctx.raw() as raw:
        rows = raw.execute(RAW, {"now": now, "g": g}).fetchall()  # warm
        started = time.perf_counter()
        for _ in range(repeat):
            rows = raw.execute(RAW, {"now": now, "g": g}).fetchall()
        baseline = (time.perf_counter() - started) / repeat
    mine = [
        (a["code"], a["households"], a["claimed"], a["visited"], a["overdue"], a["uncovered"])
        for a in ours["areas"]
    ]
    theirs = [(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[6])) for r in rows]
    if mine != theirs:
        raise AssertionError(f"the roll-up and the raw SQL differ: {mine[:2]} ≠ {theirs[:2]}")
    households = sum(a["households"] for a in ours["areas"])
    return [
        Result(
            "P14",
            "coverage roll-up for the banner (8 townships) ÷ one raw grouped SQL",
            ctx.scale,
            {"roll-up": f"{service:.3f} s", "raw SQL": f"{baseline:.3f} s"},
            service / baseline,
            ("<=", 2.0),
            note=f"{persons:,} persons in {households:,} households, 6,300 micro-grids",
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.coverage", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_const", dest="mode", const="quick")
    mode.add_argument("--smoke", action="store_const", dest="mode", const="smoke")
    args = parser.parse_args()
    sizes = SIZES[args.mode or "full"]
    with data.cluster(VAR) as where:
        name = "bench_coverage"
        url = data.fresh_database(where, name)
        ctx = Context("banner", url, sizes, None, None, 0, 6300)  # type: ignore[arg-type]
        for r in measure(ctx):
            print(r.id, r.title, r.raw, f"{r.ratio:.2f}×", r.note, flush=True)
        ctx.close()
        data.drop_database(where, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
