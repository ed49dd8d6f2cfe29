"""the 三二一 mediation ladder: files, parties, attempts, agreements, follow-up calls, the
ladder's limits as data, the sweep's reminders; the mediator role

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: WORKFLOW.md §5.1–5.2: (level, max attempts, deadline amount, unit); the whole ladder's
#: limit is the row 'ladder' (30 calendar days).
LIMITS = [
    ("village", 3, "2", "work_days"),
    ("township", 2, "2", "work_days"),
    ("banner", 1, "7", "work_days"),
    ("ladder", None, "30", "days"),
]

ROLES_BEFORE = (
    "admin",
    "command",
    "planner",
    "township",
    "department",
    "grid_worker",
    "party_member",
)
ROLES_AFTER = (*ROLES_BEFORE, "mediator")

OUTCOMES = (
    "settled",
    "partly",
    "not_settled",
    "withdrawn",
    "to_court",
    "to_administration",
    "to_petitions",
)
RUNGS = "('village', 'township', 'banner')"


def _in(values: Sequence[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _roles(values: Sequence[str]) -> None:
    op.drop_constraint(op.f("ck_account_account_role"), "account", type_="check")
    op.create_check_constraint(op.f("ck_account_account_role"), "account", f"role IN {_in(values)}")


def _stamp(name: str = "recorded_at") -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    _roles(ROLES_AFTER)
    limit = op.create_table(
        "mediation_limit",
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "level IN ('village', 'township', 'banner', 'ladder')",
            name=op.f("ck_mediation_limit_level_known"),
        ),
        sa.CheckConstraint(
            "unit IN ('work_days', 'days')", name=op.f("ck_mediation_limit_unit_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_mediation_limit_amount_positive")),
        sa.PrimaryKeyConstraint("level", name=op.f("pk_mediation_limit")),
    )
    op.bulk_insert(
        limit,
        [{"level": lv, "max_attempts": n, "amount": a, "unit": u} for lv, n, a, u in LIMITS],
    )
    op.create_table(
        "mediation_file",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.Column("intake_on", sa.Date(), nullable=False),
        sa.Column("dispute_type", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("rights_notified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("rights_notified_on", sa.Date(), nullable=True),
        sa.Column("risk", sa.Text(), server_default="green", nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.Text(), nullable=False),
        sa.Column("rung_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "source IN ('application', 'own_initiative', 'police', 'court', 'government')",
            name=op.f("ck_mediation_file_source_known"),
        ),
        sa.CheckConstraint(
            "risk IN ('green', 'yellow', 'red')", name=op.f("ck_mediation_file_risk_known")
        ),
        sa.CheckConstraint(
            f"outcome IN {_in(OUTCOMES)}", name=op.f("ck_mediation_file_outcome_known")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_mediation_file_incident_id_incident")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_file")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_mediation_file_incident_id")),
    )
    op.create_table(
        "mediation_party",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("file_id", sa.BigInteger(), nullable=False),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), server_default="person", nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("id_number", sa.Text(), nullable=True),
        sa.Column("agent", sa.Text(), nullable=True),
        _stamp(),
        sa.CheckConstraint(
            "side IN ('applicant', 'respondent', 'third_party')",
            name=op.f("ck_mediation_party_side_known"),
        ),
        sa.CheckConstraint(
            "kind IN ('person', 'unit')", name=op.f("ck_mediation_party_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["mediation_file.id"],
            name=op.f("fk_mediation_party_file_id_mediation_file"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_mediation_party_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_party")),
    )
    op.create_index("ix_mediation_party_file_id", "mediation_party", ["file_id"], unique=False)
    op.create_table(
        "mediation_attempt",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("file_id", sa.BigInteger(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("rung", sa.Integer(), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "place",
            Geometry(geometry_type="POINT", srid=4490, spatial_index=False),
            nullable=True,
        ),
        sa.Column("micro_grid", sa.Text(), nullable=True),
        sa.Column("mediators", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("participants", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column(
            "attachments",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("refused", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        _stamp(),
        sa.CheckConstraint(f"level IN {RUNGS}", name=op.f("ck_mediation_attempt_level_known")),
        sa.CheckConstraint("rung BETWEEN 1 AND 3", name=op.f("ck_mediation_attempt_rung_range")),
        sa.CheckConstraint(
            f"outcome IN {_in(OUTCOMES)}", name=op.f("ck_mediation_attempt_outcome_known")
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["mediation_file.id"],
            name=op.f("fk_mediation_attempt_file_id_mediation_file"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_attempt")),
        sa.UniqueConstraint("file_id", "level", "rung", name=op.f("uq_mediation_attempt_file_id")),
    )
    op.create_table(
        "mediation_agreement",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("file_id", sa.BigInteger(), nullable=False),
        sa.Column("attempt_id", sa.BigInteger(), nullable=False),
        sa.Column("form", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("confirmation_due", sa.Date(), nullable=False),
        sa.Column("confirmation", sa.Text(), server_default="pending", nullable=False),
        sa.Column("confirmation_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        _stamp(),
        sa.CheckConstraint(
            "form IN ('written', 'oral')", name=op.f("ck_mediation_agreement_form_known")
        ),
        sa.CheckConstraint(
            "confirmation IN ('pending', 'applied', 'confirmed', 'rejected', 'not_sought')",
            name=op.f("ck_mediation_agreement_confirmation_known"),
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["mediation_file.id"],
            name=op.f("fk_mediation_agreement_file_id_mediation_file"),
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["mediation_attempt.id"],
            name=op.f("fk_mediation_agreement_attempt_id_mediation_attempt"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_agreement")),
        sa.UniqueConstraint("file_id", name=op.f("uq_mediation_agreement_file_id")),
    )
    op.create_table(
        "mediation_follow_up",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("file_id", sa.BigInteger(), nullable=False),
        sa.Column("called_on", sa.Date(), nullable=False),
        sa.Column("performed", sa.Text(), nullable=False),
        sa.Column("satisfaction", sa.Text(), nullable=False),
        sa.Column("remaining_risk", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        _stamp(),
        sa.CheckConstraint(
            "performed IN ('yes', 'partly', 'no')",
            name=op.f("ck_mediation_follow_up_performed_known"),
        ),
        sa.CheckConstraint(
            "satisfaction IN ('satisfied', 'basically_satisfied', 'dissatisfied')",
            name=op.f("ck_mediation_follow_up_satisfaction_known"),
        ),
        sa.CheckConstraint(
            "remaining_risk IN ('none', 'low', 'high')",
            name=op.f("ck_mediation_follow_up_risk_known"),
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["mediation_file.id"],
            name=op.f("fk_mediation_follow_up_file_id_mediation_file"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediation_follow_up")),
    )
    op.create_index(
        "ix_mediation_follow_up_file_id", "mediation_follow_up", ["file_id"], unique=False
    )
    op.create_table(
        "mediation_notice",
        sa.Column("file_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=True),
        sa.CheckConstraint(
            "kind IN ('attempt_warning', 'attempt_late', 'ladder_late', 'confirmation_due', "
            "'follow_up_due')",
            name=op.f("ck_mediation_notice_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["mediation_file.id"],
            name=op.f("fk_mediation_notice_file_id_mediation_file"),
        ),
        sa.PrimaryKeyConstraint("file_id", "kind", "due_at", name=op.f("pk_mediation_notice")),
    )


def downgrade() -> None:
    op.drop_table("mediation_notice")
    op.drop_index("ix_mediation_follow_up_file_id", table_name="mediation_follow_up")
    op.drop_table("mediation_follow_up")
    op.drop_table("mediation_agreement")
    op.drop_table("mediation_attempt")
    op.drop_index("ix_mediation_party_file_id", table_name="mediation_party")
    op.drop_table("mediation_party")
    op.drop_table("mediation_file")
    op.drop_table("mediation_limit")
    op.execute("DELETE FROM account WHERE role = 'mediator'")
    _roles(ROLES_BEFORE)
