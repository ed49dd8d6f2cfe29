"""the 人地事物组织 registry: houses, households, persons, tags, facilities, organisations and
the append-only edit history

Revision ID: 0011
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The person tags (issue #16): label, sensitivity mark, visit cadence in days. ``ordinary``
#: is no person's tag but the cadence of a household without a stricter one (twice a year).
TAG_KINDS = [
    ("ordinary", "普通户", "P1", 182),
    ("elderly_alone", "独居老人", "P2", 30),
    ("low_income", "低保户", "P2", 30),
    ("migrant", "流动人口", "P1", 30),
    ("community_correction", "社区矫正对象", "P3", 30),
    ("disabled", "残疾人", "P2", 90),
    ("left_behind", "留守人员", "P2", 90),
    ("drug_rehab", "社区戒毒康复人员", "P3", 30),
    ("mental_health", "严重精神障碍患者", "P3", 30),
]

APPEND_ONLY = """
CREATE FUNCTION registry_version_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'registry_version is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def _point(nullable: bool) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "geom",
        Geometry(
            geometry_type="POINT",
            srid=4490,
            dimension=2,
            spatial_index=False,
            from_text="ST_GeomFromEWKT",
            name="geometry",
            nullable=nullable,
        ),
        nullable=nullable,
    )


def _identity() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False)


def _gist(table: str) -> None:
    op.create_geospatial_index(
        f"idx_{table}_geom",
        table,
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )


def upgrade() -> None:
    op.create_geospatial_table(
        "house",
        _identity(),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        _point(nullable=False),
        sa.Column("micro_grid_id", sa.BigInteger(), nullable=False),
        sa.Column("use", sa.Text(), nullable=True),
        sa.Column("structure", sa.Text(), nullable=True),
        sa.Column("rented", sa.Boolean(), nullable=True),
        sa.Column("owner_name", sa.Text(), nullable=True),
        sa.Column("owner_id_number", sa.Text(), nullable=True),
        sa.Column("owner_phone", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["micro_grid_id"], ["area.id"], name=op.f("fk_house_micro_grid_id_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_house")),
        sa.UniqueConstraint("code", name=op.f("uq_house_code")),
    )
    _gist("house")
    op.create_index("ix_house_micro_grid_id", "house", ["micro_grid_id"], unique=False)
    op.create_table(
        "household",
        _identity(),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("house_id", sa.BigInteger(), nullable=False),
        sa.Column("head_person_id", sa.BigInteger(), nullable=True),
        sa.Column("claimed_by_member_id", sa.BigInteger(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["house_id"], ["house.id"], name=op.f("fk_household_house_id_house")
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by_member_id"],
            ["member.id"],
            name=op.f("fk_household_claimed_by_member_id_member"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("code", name=op.f("uq_household_code")),
    )
    op.create_index("ix_household_house_id", "household", ["house_id"], unique=False)
    op.create_index(
        "ix_household_claimed_by_member_id", "household", ["claimed_by_member_id"], unique=False
    )
    op.create_table(
        "person",
        _identity(),
        sa.Column("household_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("id_number", sa.Text(), nullable=False),
        sa.Column("id_hash", sa.Text(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sa.Text(), nullable=True),
        sa.Column("ethnicity", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("residence_type", sa.Text(), nullable=True),
        sa.Column("party_member", sa.Boolean(), server_default="false", nullable=False),
        sa.CheckConstraint(
            "residence_type IN ('registered', 'floating', 'overseas')",
            name=op.f("ck_person_residence_type_known"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_person_household_id_household")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_person_id_hash")),
    )
    op.create_index("ix_person_household_id", "person", ["household_id"], unique=False)
    tag_kind = op.create_table(
        "tag_kind",
        sa.Column("tag", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("mark", sa.Text(), nullable=False),
        sa.Column("visit_every_days", sa.Integer(), nullable=True),
        sa.CheckConstraint("mark IN ('P1', 'P2', 'P3')", name=op.f("ck_tag_kind_mark_known")),
        sa.PrimaryKeyConstraint("tag", name=op.f("pk_tag_kind")),
    )
    op.bulk_insert(
        tag_kind,
        [
            {"tag": tag, "label": label, "mark": mark, "visit_every_days": days}
            for tag, label, mark, days in TAG_KINDS
        ],
    )
    op.create_table(
        "person_tag",
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("tag", sa.Text(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_person_tag_person_id_person")
        ),
        sa.ForeignKeyConstraint(["tag"], ["tag_kind.tag"], name=op.f("fk_person_tag_tag_tag_kind")),
        sa.PrimaryKeyConstraint("person_id", "tag", name=op.f("pk_person_tag")),
    )
    op.create_geospatial_table(
        "facility",
        _identity(),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("owner_unit", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        _point(nullable=False),
        sa.Column("micro_grid_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["micro_grid_id"], ["area.id"], name=op.f("fk_facility_micro_grid_id_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility")),
        sa.UniqueConstraint("code", name=op.f("uq_facility_code")),
    )
    _gist("facility")
    op.create_index("ix_facility_micro_grid_id", "facility", ["micro_grid_id"], unique=False)
    op.create_geospatial_table(
        "organisation",
        _identity(),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("key_unit", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("party_members", sa.Integer(), nullable=True),
        sa.Column("legal_person", sa.Text(), nullable=True),
        sa.Column("contact_phone", sa.Text(), nullable=True),
        _point(nullable=True),
        sa.Column("micro_grid_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["micro_grid_id"], ["area.id"], name=op.f("fk_organisation_micro_grid_id_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("code", name=op.f("uq_organisation_code")),
    )
    _gist("organisation")
    op.create_index(
        "ix_organisation_micro_grid_id", "organisation", ["micro_grid_id"], unique=False
    )
    op.create_table(
        "registry_version",
        _identity(),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("by_account", sa.Text(), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_version")),
    )
    op.create_index(
        "ix_registry_version_entity", "registry_version", ["entity", "entity_id"], unique=False
    )
    op.execute(APPEND_ONLY)
    op.execute(
        "CREATE TRIGGER registry_version_append_only BEFORE UPDATE OR DELETE ON registry_version "
        "FOR EACH ROW EXECUTE FUNCTION registry_version_append_only()"
    )
    op.execute(
        "CREATE TRIGGER registry_version_no_truncate BEFORE TRUNCATE ON registry_version "
        "FOR EACH STATEMENT EXECUTE FUNCTION registry_version_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER registry_version_no_truncate ON registry_version")
    op.execute("DROP TRIGGER registry_version_append_only ON registry_version")
    op.execute("DROP FUNCTION registry_version_append_only()")
    op.drop_index("ix_registry_version_entity", table_name="registry_version")
    op.drop_table("registry_version")
    for table in ("organisation", "facility"):
        op.drop_index(f"ix_{table}_micro_grid_id", table_name=table)
        op.drop_geospatial_index(
            f"idx_{table}_geom", table_name=table, postgresql_using="gist", column_name="geom"
        )
        op.drop_geospatial_table(table)
    op.drop_table("person_tag")
    op.drop_table("tag_kind")
    op.drop_index("ix_person_household_id", table_name="person")
    op.drop_table("person")
    op.drop_index("ix_household_claimed_by_member_id", table_name="household")
    op.drop_index("ix_household_house_id", table_name="household")
    op.drop_table("household")
    op.drop_index("ix_house_micro_grid_id", table_name="house")
    op.drop_geospatial_index(
        "idx_house_geom", table_name="house", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("house")
