"""places: the provinces and cities above the county-level units (region)

Revision ID: 0014
Revises: 0013 (re-chained after 0013, the co-building money)
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "province",
                "city",
                name="region_level",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("parent_code", sa.String(length=32), nullable=True),
        sa.CheckConstraint("code ~ '^[0-9]+$'", name=op.f("ck_region_code_digits")),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["region.code"], name=op.f("fk_region_parent_code_region")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_region")),
    )


def downgrade() -> None:
    op.drop_table("region")
