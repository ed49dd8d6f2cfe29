"""Tables of the indicators room (migration ``0009_indicators``): the townships' scores of
departments per case, frozen ranking snapshots, appeals, the annual evaluation's rules and the
year-end reviews. Nothing here stores a figure: indicators are computed from the trail."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Integer,
    LargeBinary,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from cases.models import case_reference
from geo.models import Base


class CaseScore(Base):
    """A township's score (0–100) of the department that handled one case in its area."""

    __tablename__ = "case_score"
    __table_args__ = (
        UniqueConstraint("incident_id", "department_id"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
        case_reference(),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigInteger)
    township_code: Mapped[str] = mapped_column(String(9))
    department_id: Mapped[int] = mapped_column(Integer, ForeignKey("department.id"))
    score: Mapped[Decimal] = mapped_column(Numeric)
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    incident_reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RankingSnapshot(Base):
    """A published quarter's ranking: the exact JSON bytes served (a trigger refuses UPDATE
    and DELETE). ``within`` is '' for the banner's rankings, the township for its villages."""

    __tablename__ = "ranking_snapshot"
    __table_args__ = (
        PrimaryKeyConstraint("quarter", "kind", "within"),
        CheckConstraint("kind IN ('township', 'department', 'village')", name="kind_known"),
    )

    quarter: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(16))
    within: Mapped[str] = mapped_column(String(9))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    published_by: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ScoreAppeal(Base):
    """An appeal (申诉) by a ranked unit against its row of a published ranking, and its
    outcome (upheld | rejected) once decided."""

    __tablename__ = "score_appeal"
    __table_args__ = (
        ForeignKeyConstraint(
            ["quarter", "kind", "within"],
            ["ranking_snapshot.quarter", "ranking_snapshot.kind", "ranking_snapshot.within"],
        ),
        CheckConstraint("outcome IN ('upheld', 'rejected')", name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(16))
    within: Mapped[str] = mapped_column(String(9))
    code: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    outcome: Mapped[str | None] = mapped_column(Text)
    outcome_note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EvaluationRule(Base):
    """The annual evaluation's configurable rules as data: ``weights``, ``grades``,
    ``department_weights`` (WORKFLOW.md §4.3, §3.6)."""

    __tablename__ = "evaluation_rule"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[Any] = mapped_column(JSONB)


class YearEndReview(Base):
    """The year-end review's score (0–100) of one township, department or village."""

    __tablename__ = "year_end_review"
    __table_args__ = (
        PrimaryKeyConstraint("year", "kind", "code"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
    )

    year: Mapped[int] = mapped_column(Integer, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(Text)
    score: Mapped[Decimal] = mapped_column(Numeric)
    by: Mapped[str] = mapped_column(Text)
