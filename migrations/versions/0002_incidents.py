"""incidents: taxonomy, routing overrides, incidents, event trail, idempotency keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_incident_counter")),
    )
    op.create_table(
        "category",
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.String(length=4), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("time_limit_hours", sa.Integer(), nullable=True),
        sa.Column("sensitive", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.CheckConstraint("code ~ '^[0-9]{2}([0-9]{2})?$'", name=op.f("ck_category_code_format")),
        sa.CheckConstraint(
            "(parent_code IS NULL) = (length(code) = 2)", name=op.f("ck_category_minor_has_major")
        ),
        sa.CheckConstraint(
            "parent_code IS NULL OR (department_id IS NOT NULL AND time_limit_hours > 0)",
            name=op.f("ck_category_minor_is_routable"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_category_department_id_department")
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["category.code"], name=op.f("fk_category_parent_code_category")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_category")),
    )
    op.create_table(
        "routing_override",
        sa.Column("category_code", sa.String(length=4), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["category.code"],
            name=op.f("fk_routing_override_category_code_category"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_routing_override_department_id_department"),
        ),
        sa.PrimaryKeyConstraint("category_code", "township_code", name=op.f("pk_routing_override")),
    )
    op.create_geospatial_table(
        "incident",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("category_code", sa.String(length=4), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "reported_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("datum", sa.String(length=8), nullable=False),
        sa.Column("raw_lon", sa.Float(), nullable=False),
        sa.Column("raw_lat", sa.Float(), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4490,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("reporter_name", sa.Text(), nullable=True),
        sa.Column("reporter_phone", sa.String(length=20), nullable=True),
        sa.Column(
            "media",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "reported",
                "accepted",
                "void",
                "filed",
                "dispatched",
                "returned",
                "in_progress",
                "handled",
                "rework",
                "hung",
                "closed",
                "evaluated",
                "reopened",
                name="incident_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="reported",
            nullable=False,
        ),
        sa.Column("generation_id", sa.Integer(), nullable=False),
        sa.Column("micro_grid_id", sa.Integer(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("queue_area_id", sa.Integer(), nullable=False),
        sa.Column(
            "assignment",
            sa.Enum(
                "covered",
                "boundary_tie",
                "nearest",
                "unassigned",
                name="assignment",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("assignment_distance_m", sa.Float(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), server_default="api", nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "length(description) <= 4000", name=op.f("ck_incident_description_length")
        ),
        sa.ForeignKeyConstraint(
            ["category_code"], ["category.code"], name=op.f("fk_incident_category_code_category")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_incident_department_id_department")
        ),
        sa.ForeignKeyConstraint(
            ["generation_id"], ["generation.id"], name=op.f("fk_incident_generation_id_generation")
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["area.id"], name=op.f("fk_incident_grid_id_area")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_incident_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["micro_grid_id"], ["area.id"], name=op.f("fk_incident_micro_grid_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["queue_area_id"], ["area.id"], name=op.f("fk_incident_queue_area_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["area.id"], name=op.f("fk_incident_township_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["area.id"], name=op.f("fk_incident_village_id_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
        sa.UniqueConstraint("code", name=op.f("uq_incident_code")),
    )
    op.create_geospatial_index(
        "idx_incident_geom",
        "incident",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index("ix_incident_category_code", "incident", ["category_code"], unique=False)
    op.create_index("ix_incident_department_id", "incident", ["department_id"], unique=False)
    op.create_index("ix_incident_member_id", "incident", ["member_id"], unique=False)
    op.create_index("ix_incident_micro_grid_id", "incident", ["micro_grid_id"], unique=False)
    op.create_index("ix_incident_queue_area_id", "incident", ["queue_area_id"], unique=False)
    op.create_index("ix_incident_reported_at_id", "incident", ["reported_at", "id"], unique=False)
    op.create_index("ix_incident_status", "incident", ["status"], unique=False)
    op.create_table(
        "idempotency_key",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("incident_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_idempotency_key_incident_id_incident")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_key")),
    )
    op.create_index(
        "ix_idempotency_key_created_at", "idempotency_key", ["created_at"], unique=False
    )
    op.create_table(
        "incident_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.Text(), server_default="system", nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("from_area_id", sa.Integer(), nullable=True),
        sa.Column("to_area_id", sa.Integer(), nullable=True),
        sa.Column("from_member_id", sa.Integer(), nullable=True),
        sa.Column("to_member_id", sa.Integer(), nullable=True),
        sa.Column("from_department_id", sa.Integer(), nullable=True),
        sa.Column("to_department_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["from_area_id"], ["area.id"], name=op.f("fk_incident_event_from_area_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["from_department_id"],
            ["department.id"],
            name=op.f("fk_incident_event_from_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["from_member_id"], ["member.id"], name=op.f("fk_incident_event_from_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_incident_event_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["to_area_id"], ["area.id"], name=op.f("fk_incident_event_to_area_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["to_department_id"],
            ["department.id"],
            name=op.f("fk_incident_event_to_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["to_member_id"], ["member.id"], name=op.f("fk_incident_event_to_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_event")),
    )
    op.create_index(
        "ix_incident_event_incident_id_id", "incident_event", ["incident_id", "id"], unique=False
    )

    # The trail is append-only: every indicator is computed from it, so no row may change.
    op.execute(
        """
        CREATE FUNCTION incident_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'incident_event is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER incident_event_append_only BEFORE UPDATE OR DELETE ON incident_event "
        "FOR EACH ROW EXECUTE FUNCTION incident_event_append_only()"
    )
    op.execute(
        "CREATE TRIGGER incident_event_no_truncate BEFORE TRUNCATE ON incident_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION incident_event_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER incident_event_no_truncate ON incident_event")
    op.execute("DROP TRIGGER incident_event_append_only ON incident_event")
    op.execute("DROP FUNCTION incident_event_append_only()")
    op.drop_index("ix_incident_event_incident_id_id", table_name="incident_event")
    op.drop_table("incident_event")
    op.drop_index("ix_idempotency_key_created_at", table_name="idempotency_key")
    op.drop_table("idempotency_key")
    op.drop_index("ix_incident_status", table_name="incident")
    op.drop_index("ix_incident_reported_at_id", table_name="incident")
    op.drop_index("ix_incident_queue_area_id", table_name="incident")
    op.drop_index("ix_incident_micro_grid_id", table_name="incident")
    op.drop_index("ix_incident_member_id", table_name="incident")
    op.drop_index("ix_incident_department_id", table_name="incident")
    op.drop_index("ix_incident_category_code", table_name="incident")
    op.drop_geospatial_index(
        "idx_incident_geom", table_name="incident", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("incident")
    op.drop_table("routing_override")
    op.drop_table("category")
    op.drop_table("incident_counter")
