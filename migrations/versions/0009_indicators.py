"""indicators, scores and rankings (issue #15): the deadlines each trail entry answered, the
townships' scores of departments, appeals, frozen ranking snapshots, the annual evaluation's
rules and year-end reviews

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: A published ranking never changes: the same guard as the audit log's.
SNAPSHOT_FROZEN = """
CREATE FUNCTION ranking_snapshot_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ranking_snapshot is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""

#: WORKFLOW.md §4.3's defaults, as data: quarters 70 %, year-end review 30 %, the grades.
EVALUATION_RULES = [
    {"key": "weights", "value": {"quarters": 0.7, "review": 0.3}},
    {
        "key": "grades",
        "value": [
            {"grade": "优秀", "min": 95},
            {"grade": "良好", "min": 90},
            {"grade": "一般", "min": 60},
            {"grade": "不合格", "min": 0},
        ],
    },
    # WORKFLOW.md §3.6: the townships' (and whistlers') scores weigh one third of a
    # department's score, its indicator score the rest.
    {"key": "department_weights", "value": {"township_scores": 1 / 3, "indicators": 2 / 3}},
]


def upgrade() -> None:
    op.add_column("incident_event", sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "incident_event", sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index("ix_incident_event_at", "incident_event", ["at"], unique=False)
    op.create_table(
        "case_score",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.Column("township_code", sa.String(length=9), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint("score >= 0 AND score <= 100", name=op.f("ck_case_score_score_range")),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_case_score_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_case_score_department_id_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_score")),
        sa.UniqueConstraint("incident_id", "department_id", name=op.f("uq_case_score_incident_id")),
    )
    op.create_table(
        "ranking_snapshot",
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("within", sa.String(length=9), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("published_by", sa.Text(), nullable=False),
        sa.Column(
            "published_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('township', 'department', 'village')",
            name=op.f("ck_ranking_snapshot_kind_known"),
        ),
        sa.PrimaryKeyConstraint("quarter", "kind", "within", name=op.f("pk_ranking_snapshot")),
    )
    op.execute(SNAPSHOT_FROZEN)
    op.execute(
        "CREATE TRIGGER ranking_snapshot_frozen BEFORE UPDATE OR DELETE ON ranking_snapshot "
        "FOR EACH ROW EXECUTE FUNCTION ranking_snapshot_frozen()"
    )
    op.create_table(
        "score_appeal",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("within", sa.String(length=9), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('upheld', 'rejected')", name=op.f("ck_score_appeal_outcome_known")
        ),
        sa.ForeignKeyConstraint(
            ["quarter", "kind", "within"],
            ["ranking_snapshot.quarter", "ranking_snapshot.kind", "ranking_snapshot.within"],
            name=op.f("fk_score_appeal_quarter_ranking_snapshot"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_appeal")),
    )
    rules = op.create_table(
        "evaluation_rule",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_evaluation_rule")),
    )
    op.bulk_insert(rules, EVALUATION_RULES)
    op.create_table(
        "year_end_review",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("score", sa.Numeric(), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "score >= 0 AND score <= 100", name=op.f("ck_year_end_review_score_range")
        ),
        sa.PrimaryKeyConstraint("year", "kind", "code", name=op.f("pk_year_end_review")),
    )


def downgrade() -> None:
    op.drop_table("year_end_review")
    op.drop_table("evaluation_rule")
    op.drop_table("score_appeal")
    op.execute("DROP TRIGGER ranking_snapshot_frozen ON ranking_snapshot")
    op.execute("DROP FUNCTION ranking_snapshot_frozen()")
    op.drop_table("ranking_snapshot")
    op.drop_table("case_score")
    op.drop_index("ix_incident_event_at", table_name="incident_event")
    op.drop_column("incident_event", "deadline_at")
    op.drop_column("incident_event", "due_at")
