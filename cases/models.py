"""Tables of the incident workflow: taxonomy, routing, incidents and their event trail."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.assign import Assignment
from geo.models import STORAGE_SRID, Base, str_enum


class IncidentStatus(enum.StrEnum):
    """The states of China's digital urban-management loop (数字化城管)."""

    REPORTED = "reported"
    ACCEPTED = "accepted"
    VOID = "void"
    FILED = "filed"
    DISPATCHED = "dispatched"
    RETURNED = "returned"
    IN_PROGRESS = "in_progress"
    HANDLED = "handled"
    REWORK = "rework"
    HUNG = "hung"
    CLOSED = "closed"
    EVALUATED = "evaluated"
    REOPENED = "reopened"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self not in CLOSED_STATUSES


STATUS_LABELS = {
    IncidentStatus.REPORTED: "已上报",
    IncidentStatus.ACCEPTED: "已受理",
    IncidentStatus.VOID: "不予立案",
    IncidentStatus.FILED: "已立案",
    IncidentStatus.DISPATCHED: "已派遣",
    IncidentStatus.RETURNED: "已回退",
    IncidentStatus.IN_PROGRESS: "处置中",
    IncidentStatus.HANDLED: "已处置",
    IncidentStatus.REWORK: "返工",
    IncidentStatus.HUNG: "挂账",
    IncidentStatus.CLOSED: "已结案",
    IncidentStatus.EVALUATED: "已评价",
    IncidentStatus.REOPENED: "重办",
}
CLOSED_STATUSES = frozenset({IncidentStatus.VOID, IncidentStatus.CLOSED, IncidentStatus.EVALUATED})


class Category(Base):
    """An incident class: two-digit major classes, four-digit minor classes under them."""

    __tablename__ = "category"
    __table_args__ = (
        CheckConstraint("code ~ '^[0-9]{2}([0-9]{2})?$'", name="code_format"),
        CheckConstraint("(parent_code IS NULL) = (length(code) = 2)", name="minor_has_major"),
        CheckConstraint(
            "parent_code IS NULL OR (department_id IS NOT NULL AND time_limit_hours > 0)",
            name="minor_is_routable",
        ),
    )

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("category.code"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    time_limit_hours: Mapped[int | None] = mapped_column(Integer)
    sensitive: Mapped[bool] = mapped_column(Boolean, server_default=false())


class RoutingOverride(Base):
    """A township's own choice of department for a category (the matrix's exceptions)."""

    __tablename__ = "routing_override"

    category_code: Mapped[str] = mapped_column(ForeignKey("category.code"), primary_key=True)
    township_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


_LEVELS = "('micro_grid', 'grid', 'village', 'township', 'banner')"


def case_reference() -> ForeignKeyConstraint:
    """A reference to a case: its id and its partition key, ``reported_at`` (migration 0016).

    MATCH FULL: both or neither; ON UPDATE CASCADE. A writer that does not know the case's
    ``reported_at`` leaves it out, and the trigger ``incident_reference_fill`` reads it from
    the case.
    """
    return ForeignKeyConstraint(
        ["incident_id", "incident_reported_at"],
        ["incident.id", "incident.reported_at"],
        match="FULL",
        onupdate="CASCADE",  # a corrected reported_at moves the case; its references follow
    )


class Incident(Base):
    """A reported appeal, dispute or hazard, where it fell and who must handle it."""

    __tablename__ = "incident"
    __table_args__ = (
        # one partition a year of China time, as the codes count (migration 0016): the
        # partition key is part of every unique key
        UniqueConstraint("code", "reported_at"),
        Index("ix_incident_reported_at_id", "reported_at", "id"),
        Index("ix_incident_status", "status"),
        Index("ix_incident_micro_grid_id", "micro_grid_id"),
        Index("ix_incident_queue_area_id", "queue_area_id"),
        Index("ix_incident_member_id", "member_id"),
        Index("ix_incident_department_id", "department_id"),
        Index("ix_incident_category_code", "category_code"),
        CheckConstraint("length(description) <= 4000", name="description_length"),
        Index("ix_incident_step_due_at", "step_due_at"),
        CheckConstraint(f"level IN {_LEVELS}", name="level_known"),
        CheckConstraint(f"closed_level IN {_LEVELS}", name="closed_level_known"),
        CheckConstraint("card IN ('none', 'yellow', 'red')", name="card_known"),
        CheckConstraint(
            "delay_state IN ('none', 'applied', 'approved', 'rejected')", name="delay_state_known"
        ),
        CheckConstraint(
            "evaluation IN ('satisfied', 'basically_satisfied', 'dissatisfied')",
            name="evaluation_known",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        {"postgresql_partition_by": "RANGE (reported_at)"},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    category_code: Mapped[str] = mapped_column(ForeignKey("category.code"))
    description: Mapped[str] = mapped_column(Text, server_default="")
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reported_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), primary_key=True
    )
    datum: Mapped[str] = mapped_column(String(8))
    raw_lon: Mapped[float] = mapped_column(Float)
    raw_lat: Mapped[float] = mapped_column(Float)
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=True), nullable=False)
    reporter_name: Mapped[str | None] = mapped_column(Text)
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    #: 居民身份证号 (18 characters), when a resident's appeal needs it; always masked on output.
    reporter_id_number: Mapped[str | None] = mapped_column(String(18))
    media: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    status: Mapped[IncidentStatus] = mapped_column(
        str_enum(IncidentStatus, "incident_status"), server_default="reported"
    )
    generation_id: Mapped[int] = mapped_column(ForeignKey("generation.id"))
    micro_grid_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    queue_area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    assignment: Mapped[Assignment] = mapped_column(str_enum(Assignment, "assignment"))
    assignment_distance_m: Mapped[float | None] = mapped_column(Float)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(16), server_default="api")
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # The closed loop (issue #13, WORKFLOW.md §1): attributes beside the status.
    #: Bumped by every action and card; the ``ETag`` an ``If-Match`` must name.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    urgent: Mapped[bool] = mapped_column(Boolean, server_default=false())
    #: The level that holds the case: micro_grid | grid | village | township | banner.
    level: Mapped[str] = mapped_column(Text, server_default="micro_grid")
    #: The level that closed it (两在三不出), set at closing.
    closed_level: Mapped[str | None] = mapped_column(Text)
    #: The supervision card: none | yellow | red.
    card: Mapped[str] = mapped_column(Text, server_default="none")
    #: none | applied | approved | rejected.
    delay_state: Mapped[str] = mapped_column(Text, server_default="none")
    #: The handling clock starts at dispatch.
    handling_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hung_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The deadline of the current step (``deadline_at`` stays the handling deadline).
    step_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    transfers: Mapped[int] = mapped_column(Integer, server_default="0")
    reopened_count: Mapped[int] = mapped_column(Integer, server_default="0")
    #: satisfied | basically_satisfied | dissatisfied.
    evaluation: Mapped[str | None] = mapped_column(Text)


class IncidentEvent(Base):
    """One entry of an incident's append-only trail (a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "incident_event"
    __table_args__ = (
        Index("ix_incident_event_incident_id_id", "incident_id", "id"),
        Index("ix_incident_event_at", "at"),
        case_reference(),
        {"postgresql_partition_by": "RANGE (at)"},  # one partition a year (migration 0016)
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), primary_key=True
    )
    actor: Mapped[str] = mapped_column(Text, server_default="system")
    kind: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    from_area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    to_area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    from_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    to_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    from_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    to_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    #: The action taken (``cases.loop.table.ACTIONS``), or ``card`` for supervision.
    action: Mapped[str | None] = mapped_column(Text)
    #: Where the actor stood (the phone's position), in the storage SRID.
    where_geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=False))
    #: ``[{"id", "sha256", "type", "bytes"}]`` of the attachments the action carried.
    attachments: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    #: The deadline of the step this action ended, as it stood when the action was taken
    #: (the indicators' "on time": ``at <= due_at``).
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The case's handling deadline after the action (its last entry says the one in force).
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    incident_reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TimeLimit(Base):
    """How long a step may take, per category ('*' = any) and urgency (WORKFLOW.md §1)."""

    __tablename__ = "time_limit"
    __table_args__ = (
        PrimaryKeyConstraint("category_code", "urgent", "step"),
        CheckConstraint(
            "step IN ('accept', 'file', 'dispatch', 'sign', 'handle', 'verify', 'evaluate')",
            name="step_known",
        ),
        CheckConstraint("unit IN ('minutes', 'work_hours', 'work_days')", name="unit_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    category_code: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean)
    step: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Numeric)
    #: minutes | work_hours | work_days.
    unit: Mapped[str] = mapped_column(Text)
    #: Work days past due before a yellow (red) supervision card.
    yellow_after: Mapped[Decimal | None] = mapped_column(Numeric)
    red_after: Mapped[Decimal | None] = mapped_column(Numeric)


class EscalationRule(Base):
    """A skip rule: cases of a category ('*' = any; a major class covers its categories) and
    urgency may escalate straight up to ``target_level``, copied (抄告) to ``copy_to``."""

    __tablename__ = "escalation_rule"
    __table_args__ = (
        PrimaryKeyConstraint("category_code", "urgent"),
        CheckConstraint(
            "target_level IN ('grid', 'village', 'township', 'banner')", name="target_level_known"
        ),
        CheckConstraint("jsonb_typeof(copy_to) = 'array'", name="copy_to_list"),
    )

    category_code: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean)
    target_level: Mapped[str] = mapped_column(Text)
    #: Department codes.
    copy_to: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))


class WorkDay(Base):
    """A day that differs from the calendar package: a holiday or a make-up working day (调休)."""

    __tablename__ = "work_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)


class Attachment(Base):
    """A photo or file uploaded for an action, stored by content hash."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_incident_id", "incident_id"), case_reference())

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    sha256: Mapped[str] = mapped_column(CHAR(64))
    media_type: Mapped[str] = mapped_column(Text)
    bytes: Mapped[int] = mapped_column(Integer)
    incident_id: Mapped[int | None] = mapped_column(BigInteger)
    uploaded_by: Mapped[str] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    incident_reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SupervisionNotice(Base):
    """A warning, card or 催办 already issued for one deadline (so each is issued once)."""

    __tablename__ = "supervision_notice"
    __table_args__ = (
        PrimaryKeyConstraint("incident_id", "kind", "due_at"),
        CheckConstraint(
            "kind IN ('warning', 'yellow', 'red', 'urge', 'notice')", name="kind_known"
        ),
    )

    incident_id: Mapped[int] = mapped_column(BigInteger)
    #: warning | yellow | red | urge | notice (通报).
    kind: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=True
    )


class IdempotencyKey(Base):
    """A client's retry key and the response its first request produced (kept 7 days)."""

    __tablename__ = "idempotency_key"
    __table_args__ = (Index("ix_idempotency_key_created_at", "created_at"), case_reference())

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    incident_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    incident_reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IncidentCounter(Base):
    """The last number handed out per year, for readable codes like DLT-2026-000123."""

    __tablename__ = "incident_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


# the indicators room's tables join Base.metadata
import cases.indicators.models  # noqa: E402
import cases.party.models  # noqa: E402, F401  (the party members' tables join Base.metadata)
