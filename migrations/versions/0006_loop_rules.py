"""the loop's rules: escalation skip rules (category × urgency → target level, with a copy
list), and the 通报 (published notice) among the supervision notices

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTICE_KINDS_BEFORE = "kind IN ('warning', 'yellow', 'red', 'urge')"
NOTICE_KINDS = "kind IN ('warning', 'yellow', 'red', 'urge', 'notice')"


def upgrade() -> None:
    op.create_table(
        "escalation_rule",
        sa.Column("category_code", sa.Text(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("target_level", sa.Text(), nullable=False),
        sa.Column(
            "copy_to",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "target_level IN ('grid', 'village', 'township', 'banner')",
            name=op.f("ck_escalation_rule_target_level_known"),
        ),
        sa.CheckConstraint(
            "jsonb_typeof(copy_to) = 'array'", name=op.f("ck_escalation_rule_copy_to_list")
        ),
        sa.PrimaryKeyConstraint("category_code", "urgent", name=op.f("pk_escalation_rule")),
    )
    op.drop_constraint(op.f("ck_supervision_notice_kind_known"), "supervision_notice")
    op.create_check_constraint(
        op.f("ck_supervision_notice_kind_known"), "supervision_notice", NOTICE_KINDS
    )


def downgrade() -> None:
    op.execute("DELETE FROM supervision_notice WHERE kind = 'notice'")
    op.drop_constraint(op.f("ck_supervision_notice_kind_known"), "supervision_notice")
    op.create_check_constraint(
        op.f("ck_supervision_notice_kind_known"), "supervision_notice", NOTICE_KINDS_BEFORE
    )
    op.drop_table("escalation_rule")
