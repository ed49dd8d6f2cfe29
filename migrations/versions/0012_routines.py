"""routines: contacts (visits and calls) with their households, meetings, routine reminders

Revision ID: 0012
Revises: 0011 (the registry it refers to; the lead re-chains)
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recorded_at() -> sa.Column:
    return sa.Column(
        "recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "contact",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("needs", sa.Text(), nullable=True),
        sa.Column(
            "incident_codes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(geometry_type="POINT", srid=4490, spatial_index=False),
            nullable=True,
        ),
        sa.Column("micro_grid_id", sa.BigInteger(), nullable=False),
        _recorded_at(),
        sa.CheckConstraint(
            "channel IN ('visit', 'phone', 'wechat', 'chance')",
            name=op.f("ck_contact_channel_known"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_contact_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["micro_grid_id"], ["area.id"], name=op.f("fk_contact_micro_grid_id_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
    )
    op.create_index("ix_contact_micro_grid_id_at", "contact", ["micro_grid_id", "at"])
    op.create_index("ix_contact_member_id_at", "contact", ["member_id", "at"])
    op.create_table(
        "contact_household",
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("household_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name=op.f("fk_contact_household_contact_id_contact")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_contact_household_household_id_household"),
        ),
        sa.PrimaryKeyConstraint("contact_id", "household_id", name=op.f("pk_contact_household")),
    )
    op.create_index("ix_contact_household_household_id", "contact_household", ["household_id"])
    op.create_table(
        "meeting",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("area_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        *(
            sa.Column(
                name,
                postgresql.JSONB(astext_type=sa.Text()),
                server_default=sa.text("'[]'"),
                nullable=False,
            )
            for name in ("attendees", "incident_codes", "agenda")
        ),
        sa.Column("issues", sa.Text(), nullable=True),
        sa.Column("decisions", sa.Text(), nullable=True),
        sa.Column("account", sa.Text(), nullable=False),
        _recorded_at(),
        sa.CheckConstraint(
            "kind IN ('grid_meeting', 'village_council')", name=op.f("ck_meeting_kind_known")
        ),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_meeting_area_id_area")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    op.create_index("ix_meeting_area_id_at", "meeting", ["area_id", "at"])
    op.create_table(
        "routine_reminder",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("micro_grids", sa.Integer(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_routine_reminder_member_id_member")
        ),
        sa.PrimaryKeyConstraint("member_id", "day", name=op.f("pk_routine_reminder")),
    )


def downgrade() -> None:
    op.drop_table("routine_reminder")
    op.drop_index("ix_meeting_area_id_at", table_name="meeting")
    op.drop_table("meeting")
    op.drop_index("ix_contact_household_household_id", table_name="contact_household")
    op.drop_table("contact_household")
    op.drop_index("ix_contact_member_id_at", table_name="contact")
    op.drop_index("ix_contact_micro_grid_id_at", table_name="contact")
    op.drop_table("contact")
