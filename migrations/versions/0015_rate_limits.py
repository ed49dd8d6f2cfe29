"""rate limits: moving-window counters shared by every service process (access/ratelimit.py)

UNLOGGED: a hit writes no WAL and waits for no disk flush (a logged table cost a commit's
fsync per hit, ~7 ms on the bench machine); the counters are emptied by a crash and are not
on replicas, which a rate limit can afford.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("hits", postgresql.ARRAY(sa.DateTime(timezone=True)), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit")),
        prefixes=["UNLOGGED"],  # counters, not records: no WAL, no fsync per hit
    )
    op.create_index("ix_rate_limit_expires_at", "rate_limit", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_rate_limit_expires_at", table_name="rate_limit")
    op.drop_table("rate_limit")
