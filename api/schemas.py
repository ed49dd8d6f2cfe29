"""Response models: they document the API and the tests validate bodies against them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from cases import report


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(Strict):
    status: Literal["ok"]
    database: Literal["ok"]
    postgis: str
    generation: int


class ChainLink(Strict):
    level: str
    code: str
    name: str


class Department(Strict):
    code: str
    name: str


class Person(Strict):
    id: int
    kind: Literal["grid_worker", "party_member", "leader", "instructor"]
    name: str
    phone: str | None
    title: str | None
    area_code: str
    department: Department | None


class Responsible(Strict):
    grid_worker: Person | None
    party_members: list[Person]
    instructors: list[Person]
    leaders: list[Person]


class LonLat(Strict):
    lon: float
    lat: float


class QueryPoint(Strict):
    lon: float
    lat: float
    datum: str
    cgcs2000: LonLat


class Located(Strict):
    point: QueryPoint
    generation: int
    boundary_tie: bool
    tied_codes: list[str]
    chain: list[ChainLink]
    responsible: Responsible


class Feature(BaseModel):
    type: Literal["Feature"]
    id: str | int | None = None
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class Link(Strict):
    rel: str
    href: str
    type: str | None = None


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[Feature]
    numberMatched: int | None = None
    numberReturned: int | None = None
    links: list[Link] = []


class MemberArea(Strict):
    member: Person
    area: Feature
    chain: list[ChainLink]
    neighbours: FeatureCollection


class ErrorItem(Strict):
    where: str
    field: str
    message: str


class Error(BaseModel):
    """Every error answer of the native API (Open311 and OGC API have their own)."""

    detail: str = Field(description="What went wrong, in English, for API clients.")
    code: str = Field(
        description="Follows from the status: bad_request, unauthenticated, forbidden, "
        "not_found, method_not_allowed, not_acceptable, conflict, version_mismatch, too_large, "
        "unsupported_media_type, invalid, version_required, rate_limited, internal, unavailable."
    )
    errors: list[ErrorItem] = Field(description="The fields at fault, if any.")
    message_zh: str | None = Field(
        default=None, description="The refusal in Chinese (plan routes: /api/v1/plans…)."
    )


def _rule(problem_of: Callable[[str], str | None]) -> AfterValidator:
    """A rule of :mod:`cases.report` as a pydantic check whose message is the rule's own."""

    def check(value: str) -> str:
        problem = problem_of(value)
        if problem is not None:
            raise PydanticCustomError("report", "{problem}", {"problem": problem})
        return value

    return AfterValidator(check)


class Reporter(Strict):
    name: Annotated[str, _rule(report.name_problem)] | None = Field(
        default=None, json_schema_extra={"maxLength": report.MAX_NAME}
    )
    phone: Annotated[str, _rule(report.phone_problem)] | None = Field(
        default=None,
        json_schema_extra={"maxLength": report.MAX_PHONE, "pattern": r"^\+?[0-9][0-9 -]{2,19}$"},
    )
    id_number: Annotated[str, _rule(report.id_number_problem)] | None = Field(
        default=None,
        description="居民身份证号: 17 digits and a GB 11643 check digit (0-9 or X); "
        "every response masks it.",
    )


class Media(Strict):
    url: Annotated[str, _rule(report.media_url_problem)] = Field(
        json_schema_extra={
            "maxLength": report.MAX_MEDIA_URL,
            "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://",
        }
    )
    type: str | None = Field(default=None, max_length=100)


class IncidentIn(Strict):
    """A report. Unknown fields (status, assignee, area code …) are refused; the fields every
    report has are checked by the rules of :mod:`cases.report`, in its words."""

    lon: float = Field(description="Longitude (east) in `datum`.")
    lat: float = Field(description="Latitude (north) in `datum`.")
    datum: str = Field(description="wgs84, cgcs2000, gcj02 or bd09.")
    category: Annotated[str, _rule(report.category_problem)] = Field(
        description="Four-digit minor category code, e.g. 0101 邻里纠纷.",
        json_schema_extra={"pattern": "^[0-9]{4}$"},
    )
    description: Annotated[str, _rule(report.description_problem)] = Field(
        default="", json_schema_extra={"maxLength": report.MAX_DESCRIPTION}
    )
    occurred_at: datetime | None = None
    reporter: Reporter | None = None
    media: list[Media] = Field(default_factory=list, max_length=20)
    urgent: bool = Field(
        default=False, description="Urgent: accepted within 10 minutes, not half a working day."
    )


class ActionName(Strict):
    name: str
    label: str


class Deadlines(Strict):
    step: str | None = Field(description="The step the case waits on: accept, file, dispatch …")
    step_due_at: str | None
    deadline_at: str
    remaining_s: int | None = Field(description="Seconds left (negative: late); None: no clock.")


class Incident(BaseModel):
    code: str
    status: str
    status_label: str
    category: dict[str, Any]
    description: str
    occurred_at: str | None
    reported_at: str
    deadline_at: str
    location: dict[str, Any]
    reporter: dict[str, Any] | None
    media: list[Any]
    assignment: dict[str, Any]
    responsible: dict[str, Any]
    source: str
    possible_duplicates: list[dict[str, Any]] | None = None
    events: list[dict[str, Any]] | None = None
    version: int = Field(
        description='The case\'s version: `ETag: "<version>"`, `If-Match` on actions.'
    )
    urgent: bool
    level: Literal["micro_grid", "grid", "village", "township", "banner"]
    closed_level: str | None
    card: Literal["none", "yellow", "red"]
    delay_state: Literal["none", "applied", "approved", "rejected"]
    step_due_at: str | None
    transfers: int
    reopened_count: int
    evaluation: Literal["satisfied", "basically_satisfied", "dissatisfied"] | None
    actions: list[ActionName] | None = Field(
        None, description="The actions the caller may take now (one incident only)."
    )
    deadlines: Deadlines | None = None


class IncidentPage(BaseModel):
    items: list[Incident]
    next_cursor: str | None
    links: list[Link] = []


class IncidentSummary(Strict):
    """The command centre's figures in the caller's scope; "today" is China time."""

    new_today: int = Field(description="Reported since midnight China time.")
    open: int = Field(description="Not closed, evaluated or void.")
    due_24h: int = Field(
        description="Waiting on someone (open, not hung), the running deadline within 24 hours."
    )
    overdue: int = Field(
        description="Waiting on someone (open, not hung), the running deadline passed."
    )
    as_of: datetime


class DepartmentChoice(Strict):
    department_code: str = Field(max_length=16, description="e.g. D14")


class HeatFilterEcho(Strict):
    category: str | None
    from_: str | None = Field(alias="from")
    to: str | None
    status: list[str]


class HeatAreaProperties(Strict):
    code: str
    name: str
    count: int | None = Field(description="Null: from 1 to k-1, suppressed for the caller.")
    rate: float | None = Field(description="Incidents per 1,000 residents.")
    population: int | None


class HeatAreaFeature(Feature):
    properties: HeatAreaProperties  # type: ignore[assignment]


class HeatAreas(BaseModel):
    """Micro-grids with counts and rates, and natural class breaks for a choropleth."""

    type: Literal["FeatureCollection"]
    features: list[HeatAreaFeature]
    total: int
    suppressed_below: int | None = Field(
        description="Counts from 1 to this minus one are null (WANGGE_PRIVACY_K); null: none."
    )
    breaks: list[float] = Field(description="Upper bounds of the count classes (Fisher-Jenks).")
    rate_breaks: list[float] = Field(description="Upper bounds of the rate classes.")
    classification: dict[str, Any]
    generation: int
    filter: HeatFilterEcho


class HeatBinProperties(Strict):
    i: int
    j: int
    count: int


class HeatBinFeature(Feature):
    properties: HeatBinProperties  # type: ignore[assignment]


class HeatBins(BaseModel):
    """Hexagonal bins with at least one incident."""

    type: Literal["FeatureCollection"]
    features: list[HeatBinFeature]
    total: int
    suppressed_below: int | None = Field(
        description="Hexagons with fewer incidents than this are left out; null: none."
    )
    max: int
    breaks: list[float]
    size_m: float
    grid: str
    filter: HeatFilterEcho


class HotspotProperties(Strict):
    code: str
    name: str
    count: int | None = Field(description="Null: from 1 to k-1, suppressed for the caller.")
    neighbour_count: int | None = Field(
        description="Incidents of its Queen neighbours, itself not (null: suppressed)."
    )
    gi_z: float | None
    p_sim: float | None
    class_: Literal[
        "hot_99", "hot_95", "hot_90", "not_significant", "cold_90", "cold_95", "cold_99"
    ] = Field(alias="class")
    label: str


class HotspotFeature(Feature):
    properties: HotspotProperties  # type: ignore[assignment]


class Hotspots(BaseModel):
    """Getis-Ord Gi* classes per micro-grid, with the settings used."""

    type: Literal["FeatureCollection"]
    features: list[HotspotFeature]
    classes: dict[str, int] = Field(description="Micro-grids per class label.")
    method: dict[str, Any]
    total: int
    generation: int
    filter: HeatFilterEcho
