"""the closed loop: case attributes, trail actions, time limits, working days, attachments,
supervision notices

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: WORKFLOW.md §1's default limits for any category ('*'): (urgent, step, amount, unit,
#: yellow_after, red_after), the card limits in work days past due.
DEFAULT_LIMITS = [
    (False, "accept", "0.5", "work_days", "2", "5"),
    (True, "accept", "10", "minutes", "2", "5"),
    (False, "file", "2", "work_hours", None, None),
    (True, "file", "1", "work_hours", None, None),
    (False, "dispatch", "30", "minutes", None, None),
    (True, "dispatch", "10", "minutes", None, None),
    (False, "sign", "1", "work_days", None, None),
    (True, "sign", "1", "work_days", None, None),
    (False, "handle", "5", "work_days", "5", "10"),
    (True, "handle", "2", "work_hours", "5", "10"),
    (False, "verify", "2", "work_hours", None, None),
    (True, "verify", "1", "work_hours", None, None),
    (False, "evaluate", "3", "work_days", None, None),
    (True, "evaluate", "3", "work_days", None, None),
]

#: A category's handling limit as a time-limit row: up to 24 hours in working hours, longer
#: ones in working days (hours / 24). ``cases/loop/sql/seed_handle_limits.sql`` says the same
#: for a taxonomy loaded after this revision.
SEED_HANDLE_LIMITS = """
INSERT INTO time_limit (category_code, urgent, step, amount, unit, yellow_after, red_after)
SELECT code, false, 'handle',
       CASE WHEN time_limit_hours <= 24 THEN time_limit_hours ELSE time_limit_hours / 24.0 END,
       CASE WHEN time_limit_hours <= 24 THEN 'work_hours' ELSE 'work_days' END,
       5, 10
FROM category
WHERE time_limit_hours IS NOT NULL
ON CONFLICT DO NOTHING
"""


#: The incident's closed-loop attributes take only the values WORKFLOW.md names.
CHECKS = [
    ("level_known", "level IN ('micro_grid', 'grid', 'village', 'township', 'banner')"),
    (
        "closed_level_known",
        "closed_level IN ('micro_grid', 'grid', 'village', 'township', 'banner')",
    ),
    ("card_known", "card IN ('none', 'yellow', 'red')"),
    ("delay_state_known", "delay_state IN ('none', 'applied', 'approved', 'rejected')"),
    ("evaluation_known", "evaluation IN ('satisfied', 'basically_satisfied', 'dissatisfied')"),
    ("version_positive", "version >= 1"),
]


def upgrade() -> None:
    op.add_column(
        "incident", sa.Column("version", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column(
        "incident",
        sa.Column("urgent", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "incident", sa.Column("level", sa.Text(), server_default="micro_grid", nullable=False)
    )
    op.add_column("incident", sa.Column("closed_level", sa.Text(), nullable=True))
    op.add_column("incident", sa.Column("card", sa.Text(), server_default="none", nullable=False))
    op.add_column(
        "incident", sa.Column("delay_state", sa.Text(), server_default="none", nullable=False)
    )
    op.add_column(
        "incident", sa.Column("handling_started_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("incident", sa.Column("hung_since", sa.DateTime(timezone=True), nullable=True))
    op.add_column("incident", sa.Column("step_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "incident", sa.Column("transfers", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "incident", sa.Column("reopened_count", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("incident", sa.Column("evaluation", sa.Text(), nullable=True))
    for name, rule in CHECKS:
        op.create_check_constraint(op.f(f"ck_incident_{name}"), "incident", rule)
    op.create_index("ix_incident_step_due_at", "incident", ["step_due_at"], unique=False)

    op.add_column("incident_event", sa.Column("action", sa.Text(), nullable=True))
    op.add_column(
        "incident_event",
        sa.Column(
            "where_geom",
            Geometry(geometry_type="POINT", srid=4490, spatial_index=False),
            nullable=True,
        ),
    )
    op.add_column(
        "incident_event",
        sa.Column(
            "attachments",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )

    time_limit = op.create_table(
        "time_limit",
        sa.Column("category_code", sa.Text(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("yellow_after", sa.Numeric(), nullable=True),
        sa.Column("red_after", sa.Numeric(), nullable=True),
        sa.CheckConstraint(
            "step IN ('accept', 'file', 'dispatch', 'sign', 'handle', 'verify', 'evaluate')",
            name=op.f("ck_time_limit_step_known"),
        ),
        sa.CheckConstraint(
            "unit IN ('minutes', 'work_hours', 'work_days')", name=op.f("ck_time_limit_unit_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_time_limit_amount_positive")),
        sa.PrimaryKeyConstraint("category_code", "urgent", "step", name=op.f("pk_time_limit")),
    )
    op.bulk_insert(
        time_limit,
        [
            {
                "category_code": "*",
                "urgent": urgent,
                "step": step,
                "amount": amount,
                "unit": unit,
                "yellow_after": yellow,
                "red_after": red,
            }
            for urgent, step, amount, unit, yellow, red in DEFAULT_LIMITS
        ],
    )
    op.execute(SEED_HANDLE_LIMITS)

    op.create_table(
        "work_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_work_day")),
    )
    op.create_table(
        "attachment",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("sha256", sa.CHAR(length=64), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=True),
        sa.Column("uploaded_by", sa.Text(), nullable=False),
        sa.Column(
            "uploaded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_attachment_incident_id_incident")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    op.create_index("ix_attachment_incident_id", "attachment", ["incident_id"], unique=False)
    op.create_table(
        "supervision_notice",
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True),
        sa.CheckConstraint(
            "kind IN ('warning', 'yellow', 'red', 'urge')",
            name=op.f("ck_supervision_notice_kind_known"),
        ),
        sa.PrimaryKeyConstraint(
            "incident_id", "kind", "due_at", name=op.f("pk_supervision_notice")
        ),
    )


def downgrade() -> None:
    op.drop_table("supervision_notice")
    op.drop_index("ix_attachment_incident_id", table_name="attachment")
    op.drop_table("attachment")
    op.drop_table("work_day")
    op.drop_table("time_limit")
    op.drop_column("incident_event", "attachments")
    op.drop_column("incident_event", "where_geom")
    op.drop_column("incident_event", "action")
    op.drop_index("ix_incident_step_due_at", table_name="incident")
    for name, _ in CHECKS:
        op.drop_constraint(op.f(f"ck_incident_{name}"), "incident", type_="check")
    for column in (
        "evaluation",
        "reopened_count",
        "transfers",
        "step_due_at",
        "hung_since",
        "handling_started_at",
        "delay_state",
        "card",
        "closed_level",
        "level",
        "urgent",
        "version",
    ):
        op.drop_column("incident", column)
