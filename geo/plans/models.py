"""Tables of boundary plans: a draft copy of part of a generation, edited and then published.

A plan (规划方案) copies the live areas under its scope from its base generation into
``plan_area``. Copies keep their code as ``ref``; areas drawn in the draft get ``new-N`` refs
until publication hands out real codes. Every draft area carries a ``version`` that each edit
bumps (optimistic concurrency: an edit names the version it read). Published plans stay as the
record of who published which generation, when, and what moved.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.models import STORAGE_SRID, AreaLevel, Base, str_enum


class PlanStatus(enum.StrEnum):
    """A plan is edited as a ``draft``; published now it is ``published``; published with a
    future ``effective_at`` it is ``scheduled`` until its generation becomes current and the
    people and open incidents have moved."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


class Plan(Base):
    """A redraw of the areas under one township, village or grid (the scope)."""

    __tablename__ = "plan"
    __table_args__ = (
        Index("ix_plan_status", "status"),
        CheckConstraint(
            "(status = 'draft') = (generation_id IS NULL)", name="published_has_generation"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope_code: Mapped[str] = mapped_column(String(32))
    scope_area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    base_generation: Mapped[int] = mapped_column(ForeignKey("generation.id"))
    description: Mapped[str] = mapped_column(Text, server_default="")
    author: Mapped[str] = mapped_column(Text, server_default="planner")
    status: Mapped[PlanStatus] = mapped_column(
        str_enum(PlanStatus, "plan_status"), server_default="draft"
    )
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    last_new: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    generation_id: Mapped[int | None] = mapped_column(ForeignKey("generation.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(Text)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class PlanArea(Base):
    """One area of a draft: a copy of a live area (``source_area_id``) or a new one.

    ``parent_ref`` is another draft area's ``ref`` or the plan's scope code.
    ``area_id`` is the area row the draft area became at publication (kept or new).
    """

    __tablename__ = "plan_area"
    __table_args__ = (
        UniqueConstraint("plan_id", "ref", name="uq_plan_area_plan_id_ref"),
        CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_plan_area_plan_id_parent_ref", "plan_id", "parent_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(32))
    source_area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[AreaLevel] = mapped_column(str_enum(AreaLevel, "area_level"))
    kind: Mapped[str | None] = mapped_column(String(16))
    parent_ref: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    geom = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True), nullable=False
    )
