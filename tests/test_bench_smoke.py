"""The benchmarks still run: ``python -m bench run --smoke`` on tiny data, in a subprocess.

Timings are not judged here (they belong in ``bench/RESULTS.md``); the test checks that every
measure produced its row with a number. tipg is left out (``--no-tipg``), so ``make test``
never needs its venv: P5 then reports the service's tiles per second with no ratio. The run
uses its own cluster under ``var/bench-smoke``; locust runs only in a subprocess of it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MEASURES = ["P1", "P2", "P3", "P4", "P11", "P11 sweep", "P5 z12–14", "P5 z10", "P6", "P7",
            "P8 ×1", "P8 ×3", "P9", "P10", "P12", "P13", "P14", "MEM", "LOAD", "TOPO",
            "P12 paint", "CLUSTER"]  # fmt: skip
#: The scale run's own measures (``bench.scale``: at smoke size a few copies of closed cases).
AT_SCALE = ["P11", "P11 sweep", "CLUSTER"]
NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?(×| KB| MiB| %| s)$")


def test_every_measure_reports_a_number(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    run = subprocess.run(
        [sys.executable, "-m", "bench", "run", "--smoke", "--no-tipg", "--out", str(out)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=360,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    rows = {}
    at_scale = set()
    for line in out.read_text().splitlines():
        found = re.match(
            r"^\| \*\*(.+?)\*\* .*?\| (\w+) \| (.*?) \| (.*?) \| (.*?) \| (.*?) \|", line
        )
        if found and found.group(2) == "scale":
            at_scale.add(found.group(1))
        elif found:
            rows[found.group(1)] = (found.group(3), found.group(6))
    assert sorted(rows) == sorted(MEASURES), out.read_text()
    assert sorted(at_scale) == sorted(AT_SCALE), out.read_text()
    assert re.search(r"^- scale: 63,240 micro-grids, 9,000 incidents", out.read_text(), re.M)
    for measure, (ratio, raw) in rows.items():
        if measure.startswith("P5"):
            assert ratio == "—" and re.search(r"service [\d,]+ tiles/s", raw), (measure, raw)
        else:
            assert NUMBER.match(ratio), (measure, ratio, raw)
    assert "## What was run" in out.read_text()
