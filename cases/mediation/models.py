"""The mediation ladder's tables (migration ``0007_mediation``): files, parties, attempts,
agreements, follow-up calls, the ladder's limits and the sweep's reminders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from cases.models import case_reference
from geo.models import STORAGE_SRID, Base


class MediationLimit(Base):
    """A rung's attempts and per-attempt deadline, or (``ladder``) the whole ladder's limit."""

    __tablename__ = "mediation_limit"

    level: Mapped[str] = mapped_column(Text, primary_key=True)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric)
    #: work_days | days.
    unit: Mapped[str] = mapped_column(Text)


class MediationFile(Base):
    """A dispute's file (卷宗): one per incident."""

    __tablename__ = "mediation_file"
    __table_args__ = (UniqueConstraint("incident_id"), case_reference())

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigInteger)
    intake_on: Mapped[date] = mapped_column(Date)
    dispute_type: Mapped[str] = mapped_column(Text)
    #: application | own_initiative | police | court | government.
    source: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    rights_notified: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    rights_notified_on: Mapped[date | None] = mapped_column(Date)
    #: green | yellow | red.
    risk: Mapped[str] = mapped_column(Text, server_default="green")
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_by: Mapped[str] = mapped_column(Text)
    #: When the ladder reached the rung it is on (its attempts' clock starts there).
    rung_since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    incident_reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MediationParty(Base):
    __tablename__ = "mediation_party"
    __table_args__ = (Index("ix_mediation_party_file_id", "file_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("mediation_file.id"))
    #: applicant | respondent | third_party.
    side: Mapped[str] = mapped_column(Text)
    #: person | unit.
    kind: Mapped[str] = mapped_column(Text, server_default="person")
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    id_number: Mapped[str | None] = mapped_column(Text)
    agent: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class MediationAttempt(Base):
    """One attempt on a rung (append-only)."""

    __tablename__ = "mediation_attempt"
    __table_args__ = (UniqueConstraint("file_id", "level", "rung"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("mediation_file.id"))
    level: Mapped[str] = mapped_column(Text)
    rung: Mapped[int] = mapped_column(Integer)
    held_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    place: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=STORAGE_SRID, spatial_index=False), nullable=True
    )
    micro_grid: Mapped[str | None] = mapped_column(Text)
    mediators: Mapped[Any] = mapped_column(JSONB)
    participants: Mapped[Any] = mapped_column(JSONB)
    record: Mapped[str] = mapped_column(Text)
    attachments: Mapped[Any] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    outcome: Mapped[str] = mapped_column(Text)
    refused: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    recorded_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class MediationAgreement(Base):
    __tablename__ = "mediation_agreement"
    __table_args__ = (UniqueConstraint("file_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("mediation_file.id"))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("mediation_attempt.id"))
    #: written | oral.
    form: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)
    effective_on: Mapped[date] = mapped_column(Date)
    confirmation_due: Mapped[date] = mapped_column(Date)
    #: pending | applied | confirmed | rejected | not_sought.
    confirmation: Mapped[str] = mapped_column(Text, server_default="pending")
    confirmation_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class MediationFollowUp(Base):
    __tablename__ = "mediation_follow_up"
    __table_args__ = (Index("ix_mediation_follow_up_file_id", "file_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("mediation_file.id"))
    called_on: Mapped[date] = mapped_column(Date)
    performed: Mapped[str] = mapped_column(Text)
    satisfaction: Mapped[str] = mapped_column(Text)
    remaining_risk: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class MediationNotice(Base):
    """A reminder already issued for one deadline of a file (so each is issued once)."""

    __tablename__ = "mediation_notice"
    __table_args__ = (PrimaryKeyConstraint("file_id", "kind", "due_at"),)

    file_id: Mapped[int] = mapped_column(ForeignKey("mediation_file.id"))
    kind: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=True
    )
