"""the whistle (街道吹哨、部门报到): whistles on cases, the departments summoned, check-ins,
overdue notices, scores, and the deadlines per type as data

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: WORKFLOW.md §3.3: (kind, step, amount, unit). Acknowledge ≤ 10 min for every kind;
#: emergency and joint enforcement on site ≤ 30 min; a resident's problem respond ≤ 1 WD
#: and on site ≤ 2 WD.
DEFAULT_LIMITS = [
    ("beyond_township", "acknowledge", "10", "minutes"),
    ("beyond_township", "respond", "1", "work_days"),
    ("beyond_township", "arrive", "2", "work_days"),
    ("joint_enforcement", "acknowledge", "10", "minutes"),
    ("joint_enforcement", "arrive", "30", "minutes"),
    ("emergency", "acknowledge", "10", "minutes"),
    ("emergency", "arrive", "30", "minutes"),
]

KINDS = "kind IN ('beyond_township', 'joint_enforcement', 'emergency')"

APPEND_ONLY = """
CREATE FUNCTION whistle_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
#: Tables written once and never changed: a check-in and a score are facts.
APPEND_ONLY_TABLES = ("whistle_checkin", "whistle_score")


def upgrade() -> None:
    limit = op.create_table(
        "whistle_limit",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.CheckConstraint(KINDS, name=op.f("ck_whistle_limit_kind_known")),
        sa.CheckConstraint(
            "step IN ('acknowledge', 'respond', 'arrive')",
            name=op.f("ck_whistle_limit_step_known"),
        ),
        sa.CheckConstraint(
            "unit IN ('minutes', 'work_hours', 'work_days')",
            name=op.f("ck_whistle_limit_unit_known"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_whistle_limit_amount_positive")),
        sa.PrimaryKeyConstraint("kind", "step", name=op.f("pk_whistle_limit")),
    )
    op.bulk_insert(
        limit,
        [{"kind": k, "step": s, "amount": a, "unit": u} for k, s, a, u in DEFAULT_LIMITS],
    )
    op.create_table(
        "whistle",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "meeting_geom",
            Geometry(geometry_type="POINT", srid=4490, spatial_index=False),
            nullable=True,
        ),
        sa.Column("area_code", sa.Text(), nullable=False),
        sa.Column("blown_by", sa.Text(), nullable=False),
        sa.Column("blown_role", sa.Text(), nullable=False),
        sa.Column(
            "blown_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.Text(), nullable=True),
        sa.CheckConstraint(KINDS, name=op.f("ck_whistle_kind_known")),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_whistle_incident_id_incident")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whistle")),
    )
    op.create_index("ix_whistle_incident_id", "whistle", ["incident_id"], unique=False)
    op.create_table(
        "whistle_department",
        sa.Column("whistle_id", sa.BigInteger(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("lead", sa.Boolean(), nullable=False),
        sa.Column("acknowledge_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("respond_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("arrive_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Text(), nullable=True),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("left_early", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["whistle_id"], ["whistle.id"], name=op.f("fk_whistle_department_whistle_id_whistle")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_whistle_department_department_id_department"),
        ),
        sa.PrimaryKeyConstraint("whistle_id", "department_id", name=op.f("pk_whistle_department")),
    )
    op.create_index("ix_whistle_department_department_id", "whistle_department", ["department_id"])
    op.create_table(
        "whistle_checkin",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("whistle_id", sa.BigInteger(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("retry_key", sa.Text(), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "geom", Geometry(geometry_type="POINT", srid=4490, spatial_index=False), nullable=False
        ),
        sa.Column("datum", sa.Text(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("judgement", sa.Text(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "judgement IN ('on_time', 'late', 'outside')",
            name=op.f("ck_whistle_checkin_judgement_known"),
        ),
        sa.ForeignKeyConstraint(
            ["whistle_id", "department_id"],
            ["whistle_department.whistle_id", "whistle_department.department_id"],
            name=op.f("fk_whistle_checkin_whistle_id_whistle_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whistle_checkin")),
        sa.UniqueConstraint(
            "whistle_id",
            "department_id",
            "retry_key",
            name=op.f("uq_whistle_checkin_whistle_id"),
        ),
    )
    op.create_table(
        "whistle_notice",
        sa.Column("whistle_id", sa.BigInteger(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint(
            "kind IN ('acknowledge', 'respond', 'arrive')",
            name=op.f("ck_whistle_notice_kind_known"),
        ),
        sa.PrimaryKeyConstraint(
            "whistle_id", "department_id", "kind", name=op.f("pk_whistle_notice")
        ),
    )
    op.create_table(
        "whistle_score",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("whistle_id", sa.BigInteger(), nullable=False),
        sa.Column("department_code", sa.Text(), nullable=False),
        sa.Column("criterion", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint(
            "criterion IN ('efficiency', 'handling', 'satisfaction')",
            name=op.f("ck_whistle_score_criterion_known"),
        ),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name=op.f("ck_whistle_score_score_range")),
        sa.ForeignKeyConstraint(
            ["whistle_id"], ["whistle.id"], name=op.f("fk_whistle_score_whistle_id_whistle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_whistle_score")),
        sa.UniqueConstraint(
            "whistle_id", "department_code", "criterion", name=op.f("uq_whistle_score_whistle_id")
        ),
    )
    op.execute(APPEND_ONLY)
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION whistle_append_only()"
        )


def downgrade() -> None:
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    op.execute("DROP FUNCTION whistle_append_only()")
    op.drop_table("whistle_score")
    op.drop_table("whistle_notice")
    op.drop_table("whistle_checkin")
    op.drop_index("ix_whistle_department_department_id", table_name="whistle_department")
    op.drop_table("whistle_department")
    op.drop_index("ix_whistle_incident_id", table_name="whistle")
    op.drop_table("whistle")
    op.drop_table("whistle_limit")
