"""plans: drafts of boundary redraws, and a guard that no area code changes its shape

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AREA_CODE_GUARD = """
CREATE FUNCTION area_code_keeps_its_shape() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM area
               WHERE code = NEW.code AND id <> NEW.id AND NOT ST_Equals(geom, NEW.geom)) THEN
        RAISE EXCEPTION 'area code % was already used for another shape', NEW.code
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'area_code_keeps_its_shape';
    END IF;
    RETURN NEW;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_code", sa.String(length=32), nullable=False),
        sa.Column("scope_area_id", sa.Integer(), nullable=False),
        sa.Column("base_generation", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("author", sa.Text(), server_default="planner", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "scheduled",
                "published",
                name="plan_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="draft",
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("last_new", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("generation_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.Text(), nullable=True),
        sa.Column("report", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint(
            "(status = 'draft') = (generation_id IS NULL)",
            name=op.f("ck_plan_published_has_generation"),
        ),
        sa.ForeignKeyConstraint(
            ["base_generation"], ["generation.id"], name=op.f("fk_plan_base_generation_generation")
        ),
        sa.ForeignKeyConstraint(
            ["generation_id"], ["generation.id"], name=op.f("fk_plan_generation_id_generation")
        ),
        sa.ForeignKeyConstraint(
            ["scope_area_id"], ["area.id"], name=op.f("fk_plan_scope_area_id_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
    )
    op.create_index("ix_plan_status", "plan", ["status"], unique=False)
    op.create_geospatial_table(
        "plan_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=32), nullable=False),
        sa.Column("source_area_id", sa.Integer(), nullable=True),
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
        sa.Column("parent_ref", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
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
        sa.CheckConstraint("ST_IsValid(geom)", name=op.f("ck_plan_area_geom_valid")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_plan_area_version_positive")),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_plan_area_area_id_area")),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_area_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_area_id"], ["area.id"], name=op.f("fk_plan_area_source_area_id_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_area")),
        sa.UniqueConstraint("plan_id", "ref", name="uq_plan_area_plan_id_ref"),
    )
    op.create_geospatial_index(
        "idx_plan_area_geom",
        "plan_area",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        "ix_plan_area_plan_id_parent_ref", "plan_area", ["plan_id", "parent_ref"], unique=False
    )
    # The code registry: every area row ever written stays in `area`, so a code is taken once
    # it has been used. A second row may carry a code only for the same shape.
    op.execute(AREA_CODE_GUARD)
    op.execute(
        "CREATE TRIGGER area_code_keeps_its_shape BEFORE INSERT OR UPDATE OF code, geom ON area "
        "FOR EACH ROW EXECUTE FUNCTION area_code_keeps_its_shape()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER area_code_keeps_its_shape ON area")
    op.execute("DROP FUNCTION area_code_keeps_its_shape()")
    op.drop_index("ix_plan_area_plan_id_parent_ref", table_name="plan_area")
    op.drop_geospatial_index(
        "idx_plan_area_geom", table_name="plan_area", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("plan_area")
    op.drop_index("ix_plan_status", table_name="plan")
    op.drop_table("plan")
