"""Request and response models of the boundary plans API (/api/v1/plans)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas import Feature, Strict

GeoJSONGeometry = dict[str, Any]
_DATUM = "Datum of the coordinates: wgs84, cgcs2000, gcj02 or bd09."
_POLYGON = (
    "GeoJSON Polygon or MultiPolygon: positions are [lon, lat] numbers (no height), every "
    "ring ends where it began, and it reaches at most 2 km past the bounding box of the "
    "plan's scope."
)
_VERSION = 'The version you edited (or send If-Match: "<version>").'


class PlanIn(Strict):
    """A new draft; its author is the account that creates it."""

    scope_code: str = Field(max_length=32, description="A township, village or grid code.")
    description: str = Field(default="", max_length=2000)


class Scope(Strict):
    code: str
    name: str
    level: str


class LevelCounts(Strict):
    unchanged: int
    changed: int
    new: int
    retired: int


class PlanSummary(Strict):
    id: int
    scope: Scope
    description: str
    author: str
    status: Literal["draft", "scheduled", "published"]
    version: int
    base_generation: int
    current_generation: int | None
    stale: bool = Field(description="A generation was published after the base: cannot publish.")
    created_at: str
    updated_at: str
    levels: dict[str, LevelCounts]
    generation: int | None
    published_at: str | None
    published_by: str | None
    report: dict[str, Any] | None


class PlanListed(Strict):
    id: int
    scope: dict[str, str]
    status: Literal["draft", "scheduled", "published"]
    description: str
    author: str
    version: int
    base_generation: int
    generation: int | None
    created_at: str
    updated_at: str
    published_at: str | None
    published_by: str | None


class PlanAreaIn(Strict):
    """A new area drawn in the draft (e.g. a micro-grid)."""

    parent: str = Field(description="Ref of the parent draft area, or the scope code.")
    name: str = Field(min_length=1, max_length=200)
    geometry: GeoJSONGeometry = Field(description=_POLYGON)
    datum: str = Field(description=_DATUM)
    level: str | None = Field(default=None, description="Checked against the parent's level.")
    kind: str | None = Field(default=None, max_length=16)


class GeometryIn(Strict):
    geometry: GeoJSONGeometry = Field(description=_POLYGON)
    datum: str = Field(description=_DATUM)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    version: int | None = Field(default=None, ge=1, description=_VERSION)


class SplitIn(Strict):
    line: GeoJSONGeometry = Field(
        description="GeoJSON LineString crossing the area once; positions are [lon, lat]."
    )
    datum: str = Field(description=_DATUM)
    name: str | None = Field(
        default=None, max_length=200, description="Name of the new piece (default: …（拆分）)."
    )
    snap_m: float = Field(
        default=5.0,
        ge=0,
        le=50,
        description="Move the cut onto the vertices of the draft's areas within this many "
        "metres, so the neighbours' shared edges still match vertex for vertex.",
    )
    cut_children: bool | None = Field(
        default=None,
        description="Cut the areas under it along the same line, so none straddles it "
        "(default: yes for a village or a grid).",
    )
    version: int | None = Field(default=None, ge=1, description=_VERSION)


class MergeIn(Strict):
    refs: list[str] = Field(min_length=2, max_length=100, description="The first one survives.")
    versions: dict[str, int] | None = Field(
        default=None, description="The version of every merged area: {ref: version}."
    )
    name: str | None = Field(default=None, max_length=200)


class PublishIn(Strict):
    """Publication; the publisher recorded is the account that publishes."""

    effective_at: datetime | None = Field(
        default=None,
        description="When the new layout takes effect (no offset: China time), from now to "
        "366 days ahead; default now.",
    )


class RepairsIn(Strict):
    ids: list[str] = Field(
        min_length=1,
        description="Ids of offered repairs (they name the area version they were made for).",
    )
    snap_tolerance_m: float = Field(default=0.5, gt=0, le=50)


class RepairsApplied(Strict):
    changed: list[str]
    version: int


class PlanFeatureCollection(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[Feature]


class UploadResult(Strict):
    level: str
    kept: list[str]
    added: list[str]
    removed: list[str]
    reparented: int
    version: int


class Impact(Strict):
    plan: int
    scope: str
    base_generation: int
    current_generation: int
    areas: dict[str, list[str]]
    incidents: list[dict[str, Any]]
    members: list[dict[str, Any]]
    counts: dict[str, list[dict[str, Any]]]
    workload: dict[str, dict[str, dict[str, Any]]]
    registry: list[dict[str, Any]] = Field(
        description="Houses and households of retired micro-grids, by the draft micro-grid "
        "they go to."
    )
    warnings: list[str]


class PublishReport(Strict):
    plan: int
    generation: int
    base_generation: int
    effective_at: str | None
    status: Literal["published", "scheduled"]
    codes: dict[str, str] = Field(description="Draft ref → the code it was given.")
    retired: list[str]
    members: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    registry: dict[str, Any] | None = Field(
        default=None,
        description="Houses, households, facilities and organisations placed again (null "
        "until a scheduled generation is current).",
    )
    warnings: list[str] = Field(
        default=[], description="Grids far outside the households norm (not a refusal)."
    )


class MoveIn(Strict):
    """Children handed to another parent of the draft (micro-grids to a grid, grids to a
    village); the parents become the unions of their children."""

    refs: list[str] = Field(min_length=1, max_length=500, description="Draft refs of one level.")
    to: str = Field(max_length=32, description="Draft ref of the new parent, one level above.")
    versions: dict[str, int] | None = Field(
        default=None, description="The version of every area moved: {ref: version}."
    )


class MoveResult(Strict):
    moved: list[str] = Field(description="The refs that changed parent.")
    versions: dict[str, int] = Field(description="Their new versions.")
    parents: dict[str, int] = Field(
        description="Parents rebuilt as unions of their children, with their new versions."
    )
    plan_version: int


class GridFigures(Strict):
    households: int
    population: int
    open_cases: int
    cases_year: int = Field(description="Incidents reported inside it in the last 365 days.")
    members: int = Field(description="Its staff and the party members at home inside it.")


class GridWorkload(GridFigures):
    ref: str
    name: str
    kind: Literal["urban", "rural"]
    before: GridFigures | None = Field(description="The live grid it copies; null if new.")
    flag: Literal["too_small", "too_large"] | None


class Workload(Strict):
    norms: dict[str, Any] = Field(
        description='Households per grid: {"urban": [300, 500], "rural": 300} (±50 %).'
    )
    grids: list[GridWorkload]
