"""``bench/RESULTS.md``: the machine, the data, every raw figure, ratio, goal and verdict."""

from __future__ import annotations

import math
import os
import platform
import re
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.common import BENCH, Result

NOTES = BENCH / "notes.md"


def machine() -> dict[str, str]:
    """nproc, RAM, CPU model, kernel, Python and PostgreSQL/PostGIS versions."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": nproc or str(os.cpu_count()),
        "RAM": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "CPU": cpu,
        "kernel": platform.release(),
        "Python": platform.python_version(),
    }


def _ratio(r: Result) -> str:
    if r.ratio is None or math.isnan(r.ratio):
        return "—"
    if r.unit == "×":
        return f"{r.ratio:.2f}×"
    return f"{r.ratio:,.2f} {r.unit}"


def _goal(r: Result) -> str:
    op, bound = r.goal
    if not op:
        return "—"
    unit = "×" if r.unit == "×" else f" {r.unit}"
    return f"{op.replace('<=', '≤').replace('>=', '≥')} {bound:g}{unit}"


def _verdict(r: Result) -> str:
    return {True: "pass", False: "**FAIL**", None: "—"}[r.passed]


def render(
    results: Sequence[Result],
    *,
    mode: str,
    started: datetime,
    seconds: float,
    what: Sequence[str],
    database: dict[str, str],
    argv: Sequence[str],
    previous: str = "",
) -> str:
    """The results file of this run; rows of ``previous`` (the file it replaces) for measures
    and scales this run left out are kept under their own heading, with that run's date."""
    lines = [
        "# Benchmarks",
        "",
        "Written by `python -m bench run` (`make bench`); every ratio is measured side by side "
        "in the same run on this machine. Do not edit by hand: edit `bench/notes.md`.",
        "",
        f"- date: {started.astimezone(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- mode: `{mode}` (`python -m bench {' '.join(argv)}`), {seconds / 60:.1f} minutes",
        *(f"- {k}: {v}" for k, v in machine().items()),
        *(f"- {k}: {v}" for k, v in database.items()),
        "",
        "## Ratios",
        "",
        "| measure | scale | ratio | goal | verdict | raw figures | notes |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        raw = "; ".join(f"{k} {v}" for k, v in r.raw.items())
        lines.append(
            f"| **{r.id}** {r.title} | {r.scale} | {_ratio(r)} | {_goal(r)} | {_verdict(r)} "
            f"| {raw} | {r.note} |"
        )
    kept = carried(previous, {(r.id, r.scale) for r in results})
    if kept:
        lines += ["", "## Carried from an earlier run (not measured in this one)", "", *kept]
    lines += ["", "## What was run", "", *(f"- {w}" for w in what), ""]
    if NOTES.exists():
        lines += [NOTES.read_text().rstrip(), ""]
    return "\n".join(lines)


def carried(previous: str, measured: set[tuple[str, str]]) -> list[str]:
    r"""Table rows of an earlier RESULTS.md whose (measure, scale) this run did not measure,
    the earlier run's date added to their notes, under the table's header; [] when none is.

    >>> old = "- date: 2026-11-29 21:05 UTC\n| **P1** locate | province | 3.14× | note |"
    >>> carried(old, {("P1", "banner")})[2]
    '| **P1** locate | province | 3.14× | note (run of 2026-11-29 21:05 UTC) |'
    >>> carried(old, {("P1", "province")})
    []
    >>> once = carried(old, set())[2]
    >>> carried("- date: 2026-12-05 02:00 UTC\n" + once, set())[2]  # carried again: its own date
    '| **P1** locate | province | 3.14× | note (run of 2026-11-29 21:05 UTC) |'
    """
    lines = previous.splitlines()
    date = next((x.removeprefix("- date: ") for x in lines if x.startswith("- date: ")), "?")
    rows = []
    for line in lines:
        if not line.startswith("| **") or not line.rstrip().endswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if (cells[0][2:].split("**", 1)[0], cells[1]) in measured:
            continue
        if re.search(r"\(run of [^)]*\) \|$", line.rstrip()):  # carried before: its own date
            rows.append(line.rstrip())
        else:
            rows.append(f"{line.rstrip()[:-1].rstrip()} (run of {date}) |")
    if not rows:
        return []
    return [
        "| measure | scale | ratio | goal | verdict | raw figures | notes |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
    ]
