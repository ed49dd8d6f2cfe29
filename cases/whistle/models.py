"""The whistle's tables (migration ``0008``), declared so that models and migrations cannot
drift (``tests/test_migrations.py``); the code reads and writes them through ``sql/``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from cases.models import case_reference
from geo.models import STORAGE_SRID, Base

_KINDS = "kind IN ('beyond_township', 'joint_enforcement', 'emergency')"


class WhistleLimit(Base):
    """How long a summoned department has for a step, per whistle kind (WORKFLOW.md §3.3)."""

    __tablename__ = "whistle_limit"
    __table_args__ = (
        PrimaryKeyConstraint("kind", "step"),
        CheckConstraint(_KINDS, name="kind_known"),
        CheckConstraint("step IN ('acknowledge', 'respond', 'arrive')", name="step_known"),
        CheckConstraint("unit IN ('minutes', 'work_hours', 'work_days')", name="unit_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    kind: Mapped[str] = mapped_column(Text)
    step: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Numeric)
    unit: Mapped[str] = mapped_column(Text)


class Whistle(Base):
    """A whistle blown on a case: its kind, reason, meeting point (null: the case's area)."""

    __tablename__ = "whistle"
    __table_args__ = (
        CheckConstraint(_KINDS, name="kind_known"),
        Index("ix_whistle_incident_id", "incident_id"),
        case_reference(),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    meeting_geom = mapped_column(
        Geometry("POINT", srid=STORAGE_SRID, spatial_index=False), nullable=True
    )
    #: The code of the case's queue area when blown: whose scope the whistle lies in.
    area_code: Mapped[str] = mapped_column(Text)
    blown_by: Mapped[str] = mapped_column(Text)
    blown_role: Mapped[str] = mapped_column(Text)
    blown_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    released_by: Mapped[str | None] = mapped_column(Text)
    incident_reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WhistleDepartment(Base):
    """A department summoned (主办 when ``lead``, else 协办), its deadlines and attendance."""

    __tablename__ = "whistle_department"
    __table_args__ = (
        PrimaryKeyConstraint("whistle_id", "department_id"),
        Index("ix_whistle_department_department_id", "department_id"),
    )

    whistle_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("whistle.id"))
    department_id: Mapped[int] = mapped_column(Integer, ForeignKey("department.id"))
    lead: Mapped[bool] = mapped_column(Boolean)
    acknowledge_due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    respond_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    arrive_due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(Text)
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    left_early: Mapped[bool | None] = mapped_column(Boolean)


class WhistleCheckin(Base):
    """One check-in (append-only): where, how accurate, and the judgement."""

    __tablename__ = "whistle_checkin"
    __table_args__ = (
        CheckConstraint("judgement IN ('on_time', 'late', 'outside')", name="judgement_known"),
        ForeignKeyConstraint(
            ["whistle_id", "department_id"],
            ["whistle_department.whistle_id", "whistle_department.department_id"],
        ),
        UniqueConstraint("whistle_id", "department_id", "retry_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    whistle_id: Mapped[int] = mapped_column(BigInteger)
    department_id: Mapped[int] = mapped_column(Integer)
    #: The ``Idempotency-Key`` or client id: a retry with the same one is the same check-in.
    retry_key: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=False), nullable=False)
    datum: Mapped[str] = mapped_column(Text)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float] = mapped_column(Float)
    judgement: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(Text)


class WhistleNotice(Base):
    """An overdue step already noticed by the sweep (so each is noticed once)."""

    __tablename__ = "whistle_notice"
    __table_args__ = (
        PrimaryKeyConstraint("whistle_id", "department_id", "kind"),
        CheckConstraint("kind IN ('acknowledge', 'respond', 'arrive')", name="kind_known"),
    )

    whistle_id: Mapped[int] = mapped_column(BigInteger)
    department_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WhistleScore(Base):
    """一哨一考核: the whistler's score of one attending department on one criterion
    (append-only; the rankings read it)."""

    __tablename__ = "whistle_score"
    __table_args__ = (
        CheckConstraint(
            "criterion IN ('efficiency', 'handling', 'satisfaction')", name="criterion_known"
        ),
        CheckConstraint("score BETWEEN 0 AND 100", name="score_range"),
        UniqueConstraint("whistle_id", "department_code", "criterion"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    whistle_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("whistle.id"))
    department_code: Mapped[str] = mapped_column(Text)
    criterion: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
