"""Tables of the registry (revision 0011): houses, households, persons, tags, facilities,
organisations and the append-only edit history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.models import STORAGE_SRID, Base

#: The stored residence types (户籍 / 流动 / 境外).
RESIDENCE_TYPES = ("registered", "floating", "overseas")


class House(Base):
    """A standard address / house (地): its point and the live micro-grid covering it."""

    __tablename__ = "house"
    __table_args__ = (Index("ix_house_micro_grid_id", "micro_grid_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), nullable=False)
    micro_grid_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("area.id"))
    use: Mapped[str | None] = mapped_column(Text)
    structure: Mapped[str | None] = mapped_column(Text)
    rented: Mapped[bool | None] = mapped_column(Boolean)
    owner_name: Mapped[str | None] = mapped_column(Text)
    owner_id_number: Mapped[str | None] = mapped_column(Text)
    owner_phone: Mapped[str | None] = mapped_column(Text)


class Household(Base):
    """A household (户) living in a house; its micro-grid is its house's."""

    __tablename__ = "household"
    __table_args__ = (
        Index("ix_household_house_id", "house_id"),
        Index("ix_household_claimed_by_member_id", "claimed_by_member_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    house_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("house.id"))
    head_person_id: Mapped[int | None] = mapped_column(BigInteger)
    claimed_by_member_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("member.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Person(Base):
    """A resident (人); ``id_hash`` (HMAC of the ID number) matches without serving it."""

    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint(
            "residence_type IN ('registered', 'floating', 'overseas')",
            name="residence_type_known",
        ),
        Index("ix_person_household_id", "household_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    household_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("household.id"))
    name: Mapped[str] = mapped_column(Text)
    id_number: Mapped[str] = mapped_column(Text)
    id_hash: Mapped[str] = mapped_column(Text, unique=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(Text)
    ethnicity: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    residence_type: Mapped[str | None] = mapped_column(Text)
    party_member: Mapped[bool] = mapped_column(Boolean, server_default="false")


class TagKind(Base):
    """A person tag's label, sensitivity mark and visit cadence; ``ordinary`` is the default
    cadence of a household none of whose persons has a stricter tag."""

    __tablename__ = "tag_kind"
    __table_args__ = (CheckConstraint("mark IN ('P1', 'P2', 'P3')", name="mark_known"),)

    tag: Mapped[str] = mapped_column(Text, primary_key=True)
    label: Mapped[str] = mapped_column(Text)
    mark: Mapped[str] = mapped_column(Text)
    visit_every_days: Mapped[int | None] = mapped_column(Integer)


class PersonTag(Base):
    __tablename__ = "person_tag"

    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(Text, ForeignKey("tag_kind.tag"), primary_key=True)
    since: Mapped[date | None] = mapped_column(Date)


class Facility(Base):
    """A facility (物): hydrant, camera, pipe well … with its owner unit and state."""

    __tablename__ = "facility"
    __table_args__ = (Index("ix_facility_micro_grid_id", "micro_grid_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text)
    owner_unit: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), nullable=False)
    micro_grid_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("area.id"))


class Organisation(Base):
    """A unit or organisation (组织): company, shop, social or party organisation."""

    __tablename__ = "organisation"
    __table_args__ = (Index("ix_organisation_micro_grid_id", "micro_grid_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(Text)
    key_unit: Mapped[bool] = mapped_column(Boolean, server_default="false")
    party_members: Mapped[int | None] = mapped_column(Integer)
    legal_person: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), nullable=True)
    micro_grid_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("area.id"))


class RegistryVersion(Base):
    """One edit of a registry row: who, when, the row before and after (append-only; real
    values, never served unmasked)."""

    __tablename__ = "registry_version"
    __table_args__ = (Index("ix_registry_version_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    entity: Mapped[str] = mapped_column(Text)
    entity_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    by_account: Mapped[str] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
