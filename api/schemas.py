"""Response models: they document the API and the tests validate bodies against them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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
    detail: str
    errors: list[ErrorItem] = []


class Reporter(Strict):
    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=20, pattern=r"^\+?[0-9][0-9 -]{2,19}$")


class Media(Strict):
    url: str = Field(max_length=2000)
    type: str | None = Field(default=None, max_length=100)


class IncidentIn(Strict):
    """A report. Unknown fields (status, assignee, area code …) are refused."""

    lon: float = Field(description="Longitude (east) in `datum`.")
    lat: float = Field(description="Latitude (north) in `datum`.")
    datum: str = Field(description="wgs84, cgcs2000, gcj02 or bd09.")
    category: str = Field(description="Four-digit minor category code, e.g. 0101 邻里纠纷.")
    description: str = Field(default="", max_length=4000)
    occurred_at: datetime | None = None
    reporter: Reporter | None = None
    media: list[Media] = Field(default_factory=list, max_length=20)


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


class IncidentPage(BaseModel):
    items: list[Incident]
    next_cursor: str | None
    links: list[Link] = []


class DepartmentChoice(Strict):
    department_code: str = Field(max_length=16, description="e.g. D14")
