"""co-building money: pairings, funds and their append-only ledger, projects, the revolving
fund's cohorts, loans, decisions and overdue flags, directed procurement, notices (#18)

Revision ID: 0013
Revises: 0012 (the lead re-chains)
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Posted money never changes: a correction is a reversing entry with a reason.
APPEND_ONLY = """
CREATE FUNCTION cobuild_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
APPEND_ONLY_TABLES = (
    "cobuild_entry",
    "cobuild_loan",
    "cobuild_loan_decision",
    "cobuild_loan_flag",
    "cobuild_delivery",
    "cobuild_payment",
    "cobuild_notice",
)
#: A fund's balance is the sum of its entries, never a stored figure.
BALANCE_VIEW = """
CREATE VIEW cobuild_fund_balance AS
SELECT f.id AS fund_id, coalesce(sum(e.delta), 0)::numeric(14,2) AS balance,
       count(e.id) AS entries
FROM cobuild_fund f LEFT JOIN cobuild_entry e ON e.fund_id = f.id
GROUP BY f.id
"""
MONEY = sa.Numeric(14, 2)


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False)


def _who() -> list[sa.Column]:
    return [
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    ]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _ck(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def upgrade() -> None:
    t = "cobuild_pairing"
    op.create_table(
        t,
        _id(),
        sa.Column("village_code", sa.Text(), nullable=False),
        sa.Column("partner", sa.Text(), nullable=False),
        sa.Column("agreement", sa.Text(), nullable=False),
        sa.Column("yearly_commitment", MONEY, nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        *_who(),
        _ck(t, "commitment_not_negative", "yearly_commitment >= 0"),
        _pk(t),
    )
    op.create_index("ix_cobuild_pairing_village_code", t, ["village_code"])
    t = "cobuild_fund"
    op.create_table(
        t,
        _id(),
        sa.Column("village_code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("pairing_id", sa.BigInteger(), nullable=True),
        sa.Column("loan_amount", MONEY, nullable=False),
        sa.Column("instalment", MONEY, nullable=False),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.Column("cohort_size", sa.Integer(), nullable=False),
        *_who(),
        _ck(t, "terms_positive", "loan_amount > 0 AND instalment > 0"),
        _ck(t, "years_range", "years BETWEEN 1 AND 50"),
        _ck(t, "cohort_size_range", "cohort_size BETWEEN 1 AND 100"),
        _fk(t, "pairing_id", "cobuild_pairing"),
        _pk(t),
    )
    op.create_index("ix_cobuild_fund_village_code", t, ["village_code"])
    t = "cobuild_project"
    op.create_table(
        t,
        _id(),
        sa.Column("fund_id", sa.BigInteger(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("budget", MONEY, nullable=False),
        sa.Column("plan", sa.Text(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        *_who(),
        _ck(t, "budget_not_negative", "budget >= 0"),
        _fk(t, "fund_id", "cobuild_fund"),
        _pk(t),
    )
    t = "cobuild_cohort"
    op.create_table(
        t,
        _id(),
        sa.Column("fund_id", sa.BigInteger(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("notice_on", sa.Date(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        *_who(),
        _fk(t, "fund_id", "cobuild_fund"),
        _pk(t),
        sa.UniqueConstraint("fund_id", "year", name="uq_cobuild_cohort_fund_year"),
    )
    t = "cobuild_loan"
    op.create_table(
        t,
        _id(),
        sa.Column("cohort_id", sa.BigInteger(), nullable=False),
        sa.Column("fund_id", sa.BigInteger(), nullable=False),
        sa.Column("household", sa.Text(), nullable=False),
        sa.Column("borrower", sa.Text(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("instalment", MONEY, nullable=False),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.Column("disbursed_on", sa.Date(), nullable=False),
        *_who(),
        _ck(t, "terms_positive", "amount > 0 AND instalment > 0 AND years >= 1"),
        _fk(t, "cohort_id", "cobuild_cohort"),
        _fk(t, "fund_id", "cobuild_fund"),
        _pk(t),
        sa.UniqueConstraint("cohort_id", "household", name="uq_cobuild_loan_cohort_household"),
    )
    op.create_index("ix_cobuild_loan_fund_id_household", t, ["fund_id", "household"])
    t = "cobuild_entry"
    op.create_table(
        t,
        _id(),
        sa.Column("fund_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("delta", MONEY, nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("voucher", sa.Text(), nullable=True),
        sa.Column("pairing_id", sa.BigInteger(), nullable=True),
        sa.Column("project_id", sa.BigInteger(), nullable=True),
        sa.Column("loan_id", sa.BigInteger(), nullable=True),
        sa.Column("reverses_id", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("prepayment", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        *_who(),
        _ck(
            t,
            "kind_known",
            "kind IN ('receipt', 'expense', 'disbursement', 'repayment', 'reversal')",
        ),
        _ck(
            t,
            "sign_follows_kind",
            "delta <> 0 AND (kind NOT IN ('receipt', 'repayment') OR delta > 0) "
            "AND (kind NOT IN ('expense', 'disbursement') OR delta < 0)",
        ),
        _ck(t, "receipt_paired", "kind <> 'receipt' OR pairing_id IS NOT NULL"),
        _ck(
            t,
            "reversal_has_reason",
            "(kind = 'reversal') = (reverses_id IS NOT NULL) "
            "AND (kind <> 'reversal' OR reason IS NOT NULL)",
        ),
        _ck(
            t,
            "loan_money_has_loan",
            "kind NOT IN ('disbursement', 'repayment') OR loan_id IS NOT NULL",
        ),
        _fk(t, "fund_id", "cobuild_fund"),
        _fk(t, "pairing_id", "cobuild_pairing"),
        _fk(t, "project_id", "cobuild_project"),
        _fk(t, "loan_id", "cobuild_loan"),
        _fk(t, "reverses_id", "cobuild_entry"),
        _pk(t),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_cobuild_entry_reverses_id")),
    )
    op.create_index("ix_cobuild_entry_fund_id_booked_on", t, ["fund_id", "booked_on"])
    op.create_index("ix_cobuild_entry_loan_id", t, ["loan_id"])
    t = "cobuild_loan_decision"
    op.create_table(
        t,
        _id(),
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("instalment", MONEY, nullable=True),
        sa.Column("years", sa.Integer(), nullable=True),
        sa.Column("first_due_on", sa.Date(), nullable=True),
        *_who(),
        _ck(t, "kind_known", "kind IN ('restructure', 'write_off')"),
        _ck(
            t,
            "restructure_has_terms",
            "kind <> 'restructure' OR (instalment > 0 AND years >= 1 AND first_due_on IS NOT NULL)",
        ),
        _fk(t, "loan_id", "cobuild_loan"),
        _pk(t),
    )
    t = "cobuild_loan_flag"
    op.create_table(
        t,
        sa.Column("loan_id", sa.BigInteger(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("days_overdue", sa.Integer(), nullable=False),
        sa.Column("arrears", MONEY, nullable=False),
        sa.Column("village_code", sa.Text(), nullable=False),
        sa.Column("township_code", sa.Text(), nullable=False),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        _fk(t, "loan_id", "cobuild_loan"),
        sa.PrimaryKeyConstraint("loan_id", "due_on", name=op.f("pk_cobuild_loan_flag")),
    )
    t = "cobuild_procurement"
    op.create_table(
        t,
        _id(),
        sa.Column("village_code", sa.Text(), nullable=False),
        sa.Column("pairing_id", sa.BigInteger(), nullable=True),
        sa.Column("buyer", sa.Text(), nullable=False),
        sa.Column("products", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("price_rule", sa.Text(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        *_who(),
        _fk(t, "pairing_id", "cobuild_pairing"),
        _pk(t),
    )
    op.create_index("ix_cobuild_procurement_village_code", t, ["village_code"])
    t = "cobuild_delivery"
    op.create_table(
        t,
        _id(),
        sa.Column("agreement_id", sa.BigInteger(), nullable=False),
        sa.Column("household", sa.Text(), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Numeric(12, 2), nullable=False),
        sa.Column("accepted", sa.Numeric(12, 2), nullable=False),
        sa.Column("quality", sa.Text(), nullable=True),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        *_who(),
        _ck(t, "accepted_in_range", "quantity > 0 AND accepted >= 0 AND accepted <= quantity"),
        _ck(t, "amount_exact", "price >= 0 AND amount = round(accepted * price, 2)"),
        _fk(t, "agreement_id", "cobuild_procurement"),
        _pk(t),
    )
    op.create_index("ix_cobuild_delivery_agreement_id", t, ["agreement_id"])
    t = "cobuild_payment"
    op.create_table(
        t,
        _id(),
        sa.Column("delivery_id", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("voucher", sa.Text(), nullable=True),
        *_who(),
        _ck(t, "amount_positive", "amount > 0"),
        _fk(t, "delivery_id", "cobuild_delivery"),
        _pk(t),
    )
    op.create_index("ix_cobuild_payment_delivery_id", t, ["delivery_id"])
    t = "cobuild_notice"
    op.create_table(
        t,
        _id(),
        sa.Column("village_code", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("until_on", sa.Date(), nullable=False),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *_who(),
        _ck(t, "period_forward", "until_on >= published_on"),
        _pk(t),
    )
    op.create_index("ix_cobuild_notice_village_code", t, ["village_code"])
    op.execute(BALANCE_VIEW)
    op.execute(APPEND_ONLY)
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION cobuild_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION cobuild_append_only()"
        )


def downgrade() -> None:
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    op.execute("DROP FUNCTION cobuild_append_only()")
    op.execute("DROP VIEW cobuild_fund_balance")
    op.drop_index("ix_cobuild_notice_village_code", table_name="cobuild_notice")
    op.drop_table("cobuild_notice")
    op.drop_index("ix_cobuild_payment_delivery_id", table_name="cobuild_payment")
    op.drop_table("cobuild_payment")
    op.drop_index("ix_cobuild_delivery_agreement_id", table_name="cobuild_delivery")
    op.drop_table("cobuild_delivery")
    op.drop_index("ix_cobuild_procurement_village_code", table_name="cobuild_procurement")
    op.drop_table("cobuild_procurement")
    op.drop_table("cobuild_loan_flag")
    op.drop_table("cobuild_loan_decision")
    op.drop_index("ix_cobuild_entry_loan_id", table_name="cobuild_entry")
    op.drop_index("ix_cobuild_entry_fund_id_booked_on", table_name="cobuild_entry")
    op.drop_table("cobuild_entry")
    op.drop_index("ix_cobuild_loan_fund_id_household", table_name="cobuild_loan")
    op.drop_table("cobuild_loan")
    op.drop_table("cobuild_cohort")
    op.drop_table("cobuild_project")
    op.drop_index("ix_cobuild_fund_village_code", table_name="cobuild_fund")
    op.drop_table("cobuild_fund")
    op.drop_index("ix_cobuild_pairing_village_code", table_name="cobuild_pairing")
    op.drop_table("cobuild_pairing")
