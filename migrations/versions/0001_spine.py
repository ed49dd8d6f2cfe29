"""spine: generations, areas, departments, members

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "department",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
        sa.UniqueConstraint("code", name=op.f("uq_department_code")),
        sa.UniqueConstraint("name", name=op.f("uq_department_name")),
    )
    op.create_table(
        "generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generation")),
    )
    op.create_geospatial_table(
        "area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "banner",
                "township",
                "village",
                "grid",
                "micro_grid",
                name="area_level",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("generation_low", sa.Integer(), nullable=False),
        sa.Column("generation_high", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("code ~ '^[0-9]+$'", name=op.f("ck_area_code_digits")),
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_area_geom_valid")),
        sa.CheckConstraint(
            "generation_high IS NULL OR generation_high >= generation_low",
            name=op.f("ck_area_generation_range"),
        ),
        sa.ForeignKeyConstraint(
            ["generation_high"], ["generation.id"], name=op.f("fk_area_generation_high_generation")
        ),
        sa.ForeignKeyConstraint(
            ["generation_low"], ["generation.id"], name=op.f("fk_area_generation_low_generation")
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["area.id"], name=op.f("fk_area_parent_id_area")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area")),
        sa.UniqueConstraint("code", "generation_low", name="uq_area_code_generation_low"),
    )
    op.create_geospatial_index(
        "idx_area_geom", "area", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index("ix_area_level_code", "area", ["level", "code"], unique=False)
    op.create_index("ix_area_parent_id", "area", ["parent_id"], unique=False)
    op.create_geospatial_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "grid_worker",
                "party_member",
                "leader",
                "instructor",
                name="member_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column(
            "home",
            Geometry(
                geometry_type="POINT",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(kind = 'instructor') = (department_id IS NOT NULL)",
            name=op.f("ck_member_instructor_has_department"),
        ),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_member_area_id_area")),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_member_department_id_department")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
    )
    op.create_index("ix_member_area_id_kind", "member", ["area_id", "kind"], unique=False)


def downgrade() -> None:
    # The postgis extension stays: other schemas on the server may use it.
    op.drop_index("ix_member_area_id_kind", table_name="member")
    op.drop_geospatial_table("member")
    op.drop_index("ix_area_parent_id", table_name="area")
    op.drop_index("ix_area_level_code", table_name="area")
    op.drop_geospatial_index(
        "idx_area_geom", table_name="area", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("area")
    op.drop_table("generation")
    op.drop_table("department")
