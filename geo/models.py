"""Tables of the spatial core: generations, areas, departments and members.

Every geometry is stored in :data:`STORAGE_SRID` (CGCS2000). Inputs are converted at the edge
(:mod:`geo.datum`), so nothing below this module knows about datums.
"""

from __future__ import annotations

import enum
from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: CGCS2000 geographic, China's legal datum; the only SRID stored.
STORAGE_SRID = 4490

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AreaLevel(enum.StrEnum):
    """The five levels of the hierarchy, coarsest first."""

    BANNER = "banner"
    TOWNSHIP = "township"
    VILLAGE = "village"
    GRID = "grid"
    MICRO_GRID = "micro_grid"

    @property
    def depth(self) -> int:
        return list(AreaLevel).index(self)

    @property
    def label(self) -> str:
        return _LEVEL_LABELS[self]


_LEVEL_LABELS = {
    AreaLevel.BANNER: "旗",
    AreaLevel.TOWNSHIP: "苏木镇",
    AreaLevel.VILLAGE: "嘎查村社区",
    AreaLevel.GRID: "网格",
    AreaLevel.MICRO_GRID: "微网格",
}


class MemberKind(enum.StrEnum):
    GRID_WORKER = "grid_worker"
    PARTY_MEMBER = "party_member"
    LEADER = "leader"
    INSTRUCTOR = "instructor"


def str_enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


class Generation(Base):
    """One published layout of the boundaries (MapIt's generation).

    A generation is created inactive and becomes current once ``activated_at`` has passed;
    the current generation is the highest activated one.
    """

    __tablename__ = "generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Area(Base):
    """A polygon at one level of the hierarchy, alive from generation_low to generation_high.

    ``generation_high`` is NULL while the area is part of the current layout.
    """

    __tablename__ = "area"
    __table_args__ = (
        CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
        CheckConstraint(
            "generation_high IS NULL OR generation_high >= generation_low",
            name="generation_range",
        ),
        CheckConstraint("code ~ '^[0-9]+$'", name="code_digits"),
        UniqueConstraint("code", "generation_low", name="uq_area_code_generation_low"),
        Index("ix_area_level_code", "level", "code"),
        Index("ix_area_parent_id", "parent_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[AreaLevel] = mapped_column(str_enum(AreaLevel, "area_level"))
    kind: Mapped[str | None] = mapped_column(String(16))
    population: Mapped[int | None] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    generation_low: Mapped[int] = mapped_column(ForeignKey("generation.id"))
    generation_high: Mapped[int | None] = mapped_column(ForeignKey("generation.id"))
    geom = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=True), nullable=False
    )


class Department(Base):
    """A functional department of the banner (职能部门)."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(Text, unique=True)


class Member(Base):
    """A person who serves an area: grid worker, party member, leader or department instructor."""

    __tablename__ = "member"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'instructor') = (department_id IS NOT NULL)",
            name="instructor_has_department",
        ),
        Index("ix_member_area_id_kind", "area_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[MemberKind] = mapped_column(str_enum(MemberKind, "member_kind"))
    name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(Text)
    home = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=False))
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))


class RegionLevel(enum.StrEnum):
    """The levels above the county-level unit (the stored ``banner`` level)."""

    PROVINCE = "province"
    CITY = "city"


class Region(Base):
    """A province or city above the county-level units (see :mod:`geo.places`).

    Codes are prefixes of everything inside (``15`` Inner Mongolia, ``1506`` Ordos, ``1503``
    Wuhai), so a region needs no geometry or link to the areas: a county-level area belongs to
    the region whose code begins its own, and a scope at a region is that prefix.
    """

    __tablename__ = "region"
    __table_args__ = (CheckConstraint("code ~ '^[0-9]+$'", name="code_digits"),)

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[RegionLevel] = mapped_column(str_enum(RegionLevel, "region_level"))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
