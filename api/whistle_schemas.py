"""Request and response bodies of the whistle routes (``api/routers/whistles.py``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas import Strict

Kind = Literal["beyond_township", "joint_enforcement", "emergency"]
Criterion = Literal["efficiency", "handling", "satisfaction"]


class WhistleIn(Strict):
    code: str = Field(max_length=32, description="The case's code, e.g. DLT-2026-000123.")
    kind: Kind = Field(description="群众诉求 beyond_township · 联合执法 · 应急 emergency.")
    reason: str = Field(max_length=2000)
    lead_department: str | None = Field(
        None, max_length=16, description="主办; default the department the case is routed to."
    )
    assisting_departments: list[str] | None = Field(
        None, max_length=8, description="协办; default the routing matrix's suggestion."
    )
    lon: float | None = Field(None, description="Meeting point; default the case's area.")
    lat: float | None = None
    datum: str | None = Field(None, max_length=16, description="wgs84, cgcs2000, gcj02, bd09")


class CheckInIn(Strict):
    lon: float | None = None
    lat: float | None = None
    datum: str | None = Field(None, max_length=16)
    accuracy: float | None = Field(None, description="The phone's accuracy in metres.")
    client_id: str | None = Field(
        None, max_length=200, description="Same id again: a retry of the same check-in."
    )


class ScoreIn(Strict):
    department_code: str = Field(max_length=16)
    criterion: Criterion
    score: int = Field(ge=0, le=100)
    reason: str = Field(max_length=2000)


class ScoresIn(Strict):
    scores: list[ScoreIn] = Field(min_length=1, max_length=27)


class Point(BaseModel):
    lon: float
    lat: float


class Attendance(BaseModel):
    code: str
    name: str
    lead: bool
    acknowledge_due: str
    respond_due: str | None
    arrive_due: str
    acknowledged_at: str | None
    arrived_at: str | None
    attendance: Literal["arrived", "late", "absent", "awaiting"]
    checkins: int
    left_at: str | None
    left_early: bool


class Score(BaseModel):
    department_code: str
    criterion: Criterion
    criterion_label: str
    score: int
    reason: str
    at: str


class Whistle(BaseModel):
    id: int
    code: str
    kind: Kind
    kind_label: str
    reason: str
    status: Literal["open", "released", "closed"]
    area_code: str
    blown_role: str
    blown_at: str
    released_at: str | None
    point: Point
    meeting: Point | None
    area: dict[str, Any] | None = Field(description="The case's area (GeoJSON), no meeting point.")
    departments: list[Attendance]
    scores: list[Score]


class WhistleList(BaseModel):
    items: list[Whistle]


class CheckIn(BaseModel):
    id: int
    department: str
    at: str
    judgement: Literal["on_time", "late", "outside"]
    distance_m: float
    accuracy_m: float | None


class CheckInOut(BaseModel):
    whistle: Whistle
    check_in: CheckIn
    replayed: bool


class Conflict(BaseModel):
    department_code: str
    department_name: str
    whistles: list[int]
    codes: list[str]


class ConflictList(BaseModel):
    items: list[Conflict]
