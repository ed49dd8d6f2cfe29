"""Tables of the routines (revision 0012): contacts with households, meetings and the
reminders the supervision sweep has sent (each append-only for the service)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.models import STORAGE_SRID, Base

#: 入户 / 电话 / 微信 / 偶遇.
CHANNELS = ("visit", "phone", "wechat", "chance")
#: 半月碰一碰 / 月底议一议.
MEETING_KINDS = ("grid_meeting", "village_council")


class Contact(Base):
    """A visit or call by a member (who, when, how, what was raised, cases opened, where)."""

    __tablename__ = "contact"
    __table_args__ = (
        CheckConstraint("channel IN ('visit', 'phone', 'wechat', 'chance')", name="channel_known"),
        Index("ix_contact_micro_grid_id_at", "micro_grid_id", "at"),
        Index("ix_contact_member_id_at", "member_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    member_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("member.id"))
    account: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(Text)
    needs: Mapped[str | None] = mapped_column(Text)
    incident_codes: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'"))
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=False), nullable=True)
    micro_grid_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("area.id"))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ContactHousehold(Base):
    """The households one contact reached."""

    __tablename__ = "contact_household"
    __table_args__ = (Index("ix_contact_household_household_id", "household_id"),)

    contact_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("contact.id"), primary_key=True)
    household_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("household.id"), primary_key=True
    )


class Meeting(Base):
    """A grid meeting (半月碰一碰) or a village council (月底议一议, 民情议事会)."""

    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint("kind IN ('grid_meeting', 'village_council')", name="kind_known"),
        Index("ix_meeting_area_id_at", "area_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    area_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("area.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attendees: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'"))
    issues: Mapped[str | None] = mapped_column(Text)
    decisions: Mapped[str | None] = mapped_column(Text)
    incident_codes: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'"))
    agenda: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    account: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class RoutineReminder(Base):
    """A reminder of overdue routines sent to a member on a China-time day (at most one)."""

    __tablename__ = "routine_reminder"

    member_id: Mapped[int] = mapped_column(Integer, ForeignKey("member.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    households: Mapped[int] = mapped_column(Integer)
    micro_grids: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
