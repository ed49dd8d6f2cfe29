"""The fixed choices behind the Haibowan sample: codes, names, sizes, seed (see the package)."""

from __future__ import annotations

from pathlib import Path

#: ``sample_data/``: Dalad's files (whose names the district's avoid) and the sources.
SAMPLE_DIR = Path(__file__).resolve().parents[1]
OUTLINE_PATH = SAMPLE_DIR / "sources" / "150302_haibowan_outline_gcj02.geojson"
OUT_DIR = SAMPLE_DIR / "places" / "150302"

CODE, NAME, KIND = "150302", "海勃湾区", "district"
SEED = 150302
POPULATION = 320_000
MICRO_GRID_COUNT = 240
MICRO_GRIDS_PER_GRID = 6
URBAN_SHARE = 0.88
#: The city core by the river (lon, lat) and the town's seat in the hills.
CORE = (106.822, 39.675)
#: Streets north to south, then the town: (code suffix, name, kind, communities or villages).
TOWNSHIPS = (
    ("001", "新华街道", "street", 4),
    ("002", "新华西街道", "street", 4),
    ("003", "凤凰岭街道", "street", 4),
    ("004", "滨河街道", "street", 4),
    ("101", "千里山镇", "town", 6),
)
#: The first village of 千里山镇 (code 150302101001): the village of the co-building story.
FIRST_VILLAGE = "团结新村"
FIRST_MEMBER_ID = 100_001
INCIDENTS = 2_000
DEPARTMENT_PREFIX = "H"
