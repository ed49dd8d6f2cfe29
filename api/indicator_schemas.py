"""Response models of the indicators and rankings API (issue #15)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas import Strict


class IndicatorName(Strict):
    name: str
    label: str = Field(description="中文名称")
    formula: str = Field(description="计算公式（WORKFLOW.md §2）")
    unit: Literal["rate", "count"]


class PeriodOut(Strict):
    start: str = Field(description="First day, China time.")
    end: str = Field(description="Last day (inclusive), China time.")
    label: str


class Named(Strict):
    code: str
    name: str


class Figure(Strict):
    name: str
    label: str
    numerator: int | None
    denominator: int | None
    value: float | None
    insufficient: bool = Field(description="样本不足: denominator under the minimum sample.")
    suppressed: bool = Field(description="A count under k hidden from a role without the cases.")


class Indicators(Strict):
    period: PeriodOut
    area: Named | None
    department: Named | None
    indicators: list[Figure]


class Trend(Strict):
    name: str
    label: str
    months: list[str]
    this_year: list[float | None]
    last_year: list[float | None]


class CategoryCount(Strict):
    code: str
    name: str
    count: int


class RankingRow(BaseModel):
    rank: int | None
    code: str
    name: str
    score: float | None
    change: int | None = Field(description="Places gained since the previous published quarter.")
    inputs: dict[str, Any]
    top_categories: list[CategoryCount]


class Ranking(BaseModel):
    quarter: str
    kind: Literal["township", "department", "village"]
    published: bool
    rows: list[RankingRow]
    top: list[RankingRow]
    bottom: list[RankingRow]


class PublishRequest(Strict):
    kind: Literal["township", "department", "village"]
    township: str | None = Field(default=None, description="For villages: the township.")
