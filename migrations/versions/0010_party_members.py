"""party members (达拉特红): registrations, community tasks, claims and confirmations

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Claims and confirmations are the points' trail: rows are added, never changed.
APPEND_ONLY = """
CREATE FUNCTION party_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
APPEND_ONLY_TABLES = ("party_claim", "party_confirmation")


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False)


def _now(name: str) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "party_registration",
        _id(),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("micro_grid_id", sa.Integer(), nullable=False),
        sa.Column(
            "skills",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column("availability", sa.Text(), server_default="", nullable=False),
        _now("registered_at"),
        sa.CheckConstraint(
            "length(availability) <= 200", name=op.f("ck_party_registration_availability_short")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_party_registration_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["micro_grid_id"], ["area.id"], name=op.f("fk_party_registration_micro_grid_id_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_registration")),
        sa.UniqueConstraint("member_id", name=op.f("uq_party_registration_member_id")),
    )
    op.create_index("ix_party_registration_micro_grid_id", "party_registration", ["micro_grid_id"])
    op.create_table(
        "party_task",
        _id(),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        _now("created_at"),
        sa.CheckConstraint(
            "length(title) BETWEEN 1 AND 100", name=op.f("ck_party_task_title_length")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["area.id"], name=op.f("fk_party_task_community_id_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_task")),
    )
    op.create_index("ix_party_task_community_id", "party_task", ["community_id"])
    op.create_table(
        "party_claim",
        _id(),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        _now("claimed_at"),
        sa.ForeignKeyConstraint(
            ["task_id"], ["party_task.id"], name=op.f("fk_party_claim_task_id_party_task")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_party_claim_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_claim")),
        sa.UniqueConstraint("task_id", name=op.f("uq_party_claim_task_id")),
    )
    op.create_index("ix_party_claim_member_id", "party_claim", ["member_id"])
    op.create_table(
        "party_confirmation",
        _id(),
        sa.Column("claim_id", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("confirmed_by", sa.Text(), nullable=False),
        _now("confirmed_at"),
        sa.CheckConstraint(
            "outcome IN ('completed', 'no_show')", name=op.f("ck_party_confirmation_outcome_known")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["party_claim.id"],
            name=op.f("fk_party_confirmation_claim_id_party_claim"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_confirmation")),
        sa.UniqueConstraint("claim_id", name=op.f("uq_party_confirmation_claim_id")),
    )
    op.execute(APPEND_ONLY)
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION party_append_only()"
        )


def downgrade() -> None:
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    op.execute("DROP FUNCTION party_append_only()")
    op.drop_table("party_confirmation")
    op.drop_index("ix_party_claim_member_id", table_name="party_claim")
    op.drop_table("party_claim")
    op.drop_index("ix_party_task_community_id", table_name="party_task")
    op.drop_table("party_task")
    op.drop_index("ix_party_registration_micro_grid_id", table_name="party_registration")
    op.drop_table("party_registration")
