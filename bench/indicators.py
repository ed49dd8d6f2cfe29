"""P12: the dashboard's indicators (every one of ``cases.indicators.registry``, the whole
banner, one year) as ``GET /api/v1/indicators`` answers them p50 ÷ the raw SQL they wrap
(``cases/indicators/sql/indicator_counts.sql``, run with the same parameters on a plain
psycopg connection) p50. Goal ≤ 1.5×.

The synthetic incidents come through the importer with a status trail but no actions, so
:func:`give_trails` first writes each one a legal path through the transition table up to its
status, in ONE ``INSERT … SELECT`` (accept → file → dispatch → sign → handle → 核查 →
evaluate, minutes to days apart, the deadlines each step answered recorded as the service
records them; some handled late, one in twenty evaluated 不满意). The service's share on top of
the raw statement is the period parsing, the area and department lookups (none here), the
registry turning counts into figures and the JSON answer.
"""

from __future__ import annotations

import re
import time

from bench.common import Result, auth_headers, client, ms, p50
from bench.context import Context
from cases.indicators.periods import parse_period
from cases.indicators.registry import INDICATORS
from cases.indicators.sql import query

YEAR = "2024"

#: Each synthetic case's path up to its status: (step, action, from, to, hours after the
#: report). Step k is written when the case's status is at least as far as step k.
TRAILS = """
INSERT INTO incident_event (incident_id, incident_reported_at, at, actor, kind, action,
                            from_status, to_status, data, due_at, deadline_at)
SELECT i.id, i.reported_at, i.reported_at + make_interval(secs => s.hours * 3600
                                           + CASE WHEN s.step >= 5 THEN (i.id % 9) * 86400
                                                  ELSE 0 END),
       'bench', 'action', s.action, s.from_status, s.to_status,
       CASE s.step WHEN 6 THEN '{"approve": true}'::jsonb
                   WHEN 7 THEN jsonb_build_object('evaluation', CASE WHEN i.id % 20 = 0
                                                                     THEN 'dissatisfied'
                                                                     ELSE 'satisfied' END)
       END,
       CASE s.step WHEN 1 THEN i.reported_at + interval '4 hours'
                   WHEN 2 THEN i.reported_at + interval '2 hours'
                   WHEN 3 THEN i.reported_at + interval '1 hour'
                   WHEN 4 THEN i.reported_at + interval '1 day'
                   WHEN 5 THEN d.deadline
                   WHEN 6 THEN i.reported_at + (i.id % 9) * interval '1 day' + interval '8 hours'
                   WHEN 7 THEN i.reported_at + (i.id % 9) * interval '1 day' + interval '4 days'
       END,
       CASE WHEN s.step >= 3 THEN d.deadline END
FROM incident i
CROSS JOIN LATERAL (SELECT i.reported_at + interval '1 hour' + (3 + i.id % 5) * interval '1 day'
                    AS deadline) d
JOIN (VALUES (1, 'accept', 'reported', 'accepted', 0.2),
             (2, 'file', 'accepted', 'filed', 0.4),
             (3, 'dispatch', 'filed', 'dispatched', 0.6),
             (4, 'sign', 'dispatched', 'in_progress', 2.0),
             (5, 'handle', 'in_progress', 'handled', 4.0),
             (6, 'verify', 'handled', 'closed', 6.0),
             (7, 'evaluate', 'closed', 'evaluated', 30.0))
     AS s(step, action, from_status, to_status, hours)
  ON s.step <= CASE i.status WHEN 'dispatched' THEN 3 WHEN 'in_progress' THEN 4
                             WHEN 'handled' THEN 5 WHEN 'closed' THEN 6 WHEN 'evaluated' THEN 7
                             ELSE 0 END
WHERE i.source <> 'sample'
  AND NOT EXISTS (SELECT 1 FROM incident_event e
                  WHERE e.incident_id = i.id AND e.kind = 'action')
"""


def give_trails(ctx: Context) -> tuple[int, float]:
    """Write the synthetic cases' action trails (once); how many entries, in how long."""
    started = time.perf_counter()
    with ctx.raw() as conn:
        written = conn.execute(TRAILS).rowcount
        conn.execute("ANALYZE incident_event")
    return written, time.perf_counter() - started


def raw_statement() -> str:
    """``indicator_counts.sql`` with its fragments filled, in psycopg's parameter style."""
    sql = query("indicator_counts").text.replace("%", "%%")
    return re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql)


def measure(ctx: Context) -> list[Result]:
    """The service's answers and the raw statement, taken in turns (service, raw, service …)
    so that the shared machine's load drifts over both alike."""
    n = max(3, ctx.sizes.heavy_requests)
    written, seconds = give_trails(ctx)
    window = parse_period(YEAR)
    names = ",".join(INDICATORS)
    params = {
        "starts": [window.start],
        "ends": [window.end],
        "as_ofs": [window.end],
        "area": None,
        "department": None,
        "group_by": "none",
        "key_len": 0,
        "scope_prefix": None,
        "scope_department": None,
    }
    statement = raw_statement()
    service: list[float] = []
    raw: list[float] = []
    with client(ctx.service.base, ctx.url) as http, ctx.raw() as conn:
        for i in range(n + 1):  # the first pair warms both up, untimed
            # at a million cases under load the requests can outlast one access token
            http.headers.update(auth_headers(ctx.url))
            started = time.perf_counter()
            response = http.get("/api/v1/indicators", params={"period": YEAR, "names": names})
            took = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"indicators answered {response.status_code}: {response.text}")
            started = time.perf_counter()
            conn.execute(statement, params).fetchall()
            if i:
                service.append(took)
                raw.append(time.perf_counter() - started)
    return [
        Result(
            "P12",
            "the dashboard's indicators (all, whole banner, one year) p50 ÷ the raw SQL p50",
            ctx.scale,
            {"indicators p50": ms(p50(service)), "raw SQL p50": ms(p50(raw))},
            p50(service) / p50(raw),
            ("<=", 1.5),
            note=f"{len(INDICATORS)} indicators over {YEAR}; {written:,} trail entries written "
            f"for the synthetic cases in {seconds:.0f} s; {n} requests, each followed by the "
            "raw statement",
        )
    ]


def main() -> None:
    """Measure P12 again on the bench cluster's existing ``bench_banner`` database (after a
    ``--only P12`` run): ``python -m bench.indicators``."""
    from bench.common import VAR, serve_service
    from bench.context import SIZES
    from bench.data import cluster

    with cluster(VAR) as where:
        url = where.database("bench_banner")
        ctx = Context("banner", url, SIZES["full"], None, None, 0, 0)  # type: ignore[arg-type]
        with serve_service(url) as service:
            ctx.service = service
            for result in measure(ctx):
                print(result)
        ctx.close()


if __name__ == "__main__":
    main()
