"""Response models: they document the API and the tests validate bodies against them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


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
