"""Request and response models of the balanced-split suggestion (/api/v1/plans/{id}/…)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from api.schemas import Strict

Measure = Literal["households", "population", "cases_year"]
_MEASURE = (
    "What is evened out per grid: households (the registry's), population (their persons) "
    "or cases_year (incidents reported in the last 365 days)."
)
Ref = Annotated[str, Field(min_length=1, max_length=32)]


class BalanceIn(Strict):
    grids: list[Ref] = Field(
        min_length=2, max_length=20, description="Draft refs of two or more bordering grids."
    )
    measure: Measure = Field(default="households", description=_MEASURE)


class Move(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    ref: str = Field(description="The micro-grid that moves.")
    from_: str = Field(alias="from", description="The grid it leaves.")
    to: str = Field(description="The grid it joins.")


class Balance(Strict):
    moves: list[Move]
    loads_before: dict[str, int]
    loads_after: dict[str, int]
    spread_before: float = Field(description="(max - min) / mean of the grids' loads.")
    spread_after: float


class SplitSuggestIn(Strict):
    grid: Ref = Field(description="Draft ref of the grid to split.")
    parts: int = Field(ge=2, le=6, description="Into how many grids.")
    measure: Measure = Field(default="households", description=_MEASURE)


class Part(Strict):
    micro_grids: list[str]
    load: int


class SplitSuggestion(Strict):
    parts: list[Part] = Field(description="The part holding the smallest ref first.")
    spread: float = Field(description="(max - min) / mean of the parts' loads.")


class SplitApplyIn(Strict):
    grid: Ref = Field(description="Draft ref of the grid to split.")
    parts: list[Annotated[list[Ref], Field(min_length=1, max_length=200)]] = Field(
        min_length=2,
        max_length=6,
        description="Micro-grid refs per part, each micro-grid of the grid once; the first "
        "part stays in the grid, each further one becomes a new grid of its village.",
    )
    version: int | None = Field(
        default=None, ge=1, description="The grid's version, checked when given (or If-Match)."
    )


class SplitApplied(Strict):
    grids: list[str] = Field(description="The grid's ref, then the new grids' refs.")
