"""The party members' tables (达拉特红, WORKFLOW.md §4.4): who reported in where, the tasks a
community publishes, who claimed each and how it ended.

Claims and confirmations are append-only (a trigger refuses UPDATE and DELETE, as on the
incident trail): points are computed from them (:mod:`cases.party.points`), never stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from geo.models import Base


class PartyRegistration(Base):
    """A party member's 在线报到: the micro-grid they live in, their skills and availability."""

    __tablename__ = "party_registration"
    __table_args__ = (
        Index("ix_party_registration_micro_grid_id", "micro_grid_id"),
        CheckConstraint("length(availability) <= 200", name="availability_short"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), unique=True)
    micro_grid_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    skills: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    availability: Mapped[str] = mapped_column(Text, server_default="")
    registered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class PartyTask(Base):
    """A task a community (嘎查村/社区) publishes for its registered party members."""

    __tablename__ = "party_task"
    __table_args__ = (
        Index("ix_party_task_community_id", "community_id"),
        CheckConstraint("length(title) BETWEEN 1 AND 100", name="title_length"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, server_default="")
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PartyClaim(Base):
    """A member's claim of a task; one per task (a second one is refused)."""

    __tablename__ = "party_claim"
    __table_args__ = (Index("ix_party_claim_member_id", "member_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("party_task.id"), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PartyConfirmation(Base):
    """The community's word on a claim: completed (+5) or no-show (a deduction)."""

    __tablename__ = "party_confirmation"
    __table_args__ = (CheckConstraint("outcome IN ('completed', 'no_show')", name="outcome_known"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("party_claim.id"), unique=True)
    outcome: Mapped[str] = mapped_column(Text)
    confirmed_by: Mapped[str] = mapped_column(Text)
    confirmed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
