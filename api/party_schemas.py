"""Request and response models of the party members' routes (``api/routers/party.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from api.schemas import Strict

AreaCode = Field(pattern=r"^[0-9]{6,20}$", description="An area code.")


class Named(Strict):
    code: str
    name: str


class MemberRef(Strict):
    id: int
    name: str = Field(description="Masked: the first character and *.")


class RegistrationIn(Strict):
    micro_grid: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6,20}$",
        description="The micro-grid you live in; default the one your account serves.",
    )
    skills: list[str] = Field(default_factory=list, max_length=10)
    availability: str = Field(default="", max_length=200, description="e.g. 周末、工作日晚上")


class Registration(Strict):
    id: int
    member: MemberRef
    micro_grid: Named
    skills: list[str]
    availability: str
    registered_at: str


class TaskIn(Strict):
    community: str = Field(pattern=r"^[0-9]{6,20}$", description="The village or community code.")
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    starts_at: datetime | None = Field(default=None, description="With a UTC offset.")


class Claimed(Strict):
    member: MemberRef
    at: str


class Task(Strict):
    id: int
    community: Named
    title: str
    description: str
    starts_at: str | None
    created_at: str
    state: Literal["open", "claimed", "completed", "no_show"]
    claim: Claimed | None
    confirmed_at: str | None


class ConfirmIn(Strict):
    outcome: Literal["completed", "no_show"]


class PointEvent(Strict):
    outcome: Literal["completed", "no_show"]
    at: str


class Points(Strict):
    member: MemberRef
    year: int
    registered: bool
    base: int
    completed: int
    no_shows: int
    points: int
    events: list[PointEvent]


class RankingRow(Strict):
    rank: int
    member: MemberRef
    micro_grid: Named
    points: int = Field(description="The year's points at the quarter's end.")
    completed: int = Field(description="Tasks completed within the quarter.")
    no_shows: int = Field(description="No-shows within the quarter.")


class Ranking(Strict):
    community: Named
    quarter: str
    rows: list[RankingRow]


class Unit(Strict):
    code: str
    name: str
    members: int
    registered: int
    share: float | None = Field(description="registered ÷ members; null without members.")
    flagged: bool = Field(description="share under 95 %.")
