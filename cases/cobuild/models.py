"""Tables of co-building money (revision 0013): pairings, funds and their ledger, projects,
the revolving fund's cohorts, loans and decisions, overdue flags, and directed procurement.

Money is ``numeric(14,2)`` (yuan with fen), never a float. Ledger entries, loans, decisions,
flags, deliveries and payments are append-only: a trigger refuses UPDATE and DELETE for every
role (as on the incident trail), and the service role has no DELETE or TRUNCATE on them
(``geo/db.py``); the loan keeps the UPDATE privilege only to be locked ``FOR UPDATE`` while a
repayment is posted. A correction is a reversing entry with a reason. A fund's balance is
never stored: it is the sum of its entries (the view ``cobuild_fund_balance``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.models import Base

#: Yuan with fen.
MONEY = Numeric(14, 2)
#: Quantities delivered (kilograms, heads, boxes), to two decimals.
QUANTITY = Numeric(12, 2)
#: The kinds of ledger entry and the sign of each (a reversal has the opposite sign of the
#: entry it reverses).
ENTRY_KINDS = ("receipt", "expense", "disbursement", "repayment", "reversal")
APPEND_ONLY_TABLES = (
    "cobuild_entry",
    "cobuild_loan",
    "cobuild_loan_decision",
    "cobuild_loan_flag",
    "cobuild_delivery",
    "cobuild_payment",
    "cobuild_notice",
)


def _id() -> Mapped[int]:
    return mapped_column(BigInteger, Identity(always=False), primary_key=True)


def _recorded_at() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


class Pairing(Base):
    """结对共建: a partner unit paired with a village under an agreement, since a date."""

    __tablename__ = "cobuild_pairing"
    __table_args__ = (
        CheckConstraint("yearly_commitment >= 0", name="commitment_not_negative"),
        Index("ix_cobuild_pairing_village_code", "village_code"),
    )

    id: Mapped[int] = _id()
    village_code: Mapped[str] = mapped_column(Text)
    partner: Mapped[str] = mapped_column(Text)
    agreement: Mapped[str] = mapped_column(Text)
    yearly_commitment: Mapped[Decimal] = mapped_column(MONEY)
    since: Mapped[date] = mapped_column(Date)
    account: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = _recorded_at()


class Fund(Base):
    """A village's co-building fund and the terms of its revolving loans (借鸡下蛋)."""

    __tablename__ = "cobuild_fund"
    __table_args__ = (
        CheckConstraint("loan_amount > 0 AND instalment > 0", name="terms_positive"),
        CheckConstraint("years BETWEEN 1 AND 50", name="years_range"),
        CheckConstraint("cohort_size BETWEEN 1 AND 100", name="cohort_size_range"),
        Index("ix_cobuild_fund_village_code", "village_code"),
    )

    id: Mapped[int] = _id()
    village_code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    pairing_id: Mapped[int | None] = mapped_column(ForeignKey("cobuild_pairing.id"))
    loan_amount: Mapped[Decimal] = mapped_column(MONEY)
    instalment: Mapped[Decimal] = mapped_column(MONEY)
    years: Mapped[int] = mapped_column(Integer)
    cohort_size: Mapped[int] = mapped_column(Integer)
    account: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = _recorded_at()


class Project(Base):
    """A project of the yearly plan: budget, completion and its evidence."""

    __tablename__ = "cobuild_project"
    __table_args__ = (CheckConstraint("budget >= 0", name="budget_not_negative"),)

    id: Mapped[int] = _id()
    fund_id: Mapped[int] = mapped_column(ForeignKey("cobuild_fund.id"))
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    budget: Mapped[Decimal] = mapped_column(MONEY)
    plan: Mapped[str | None] = mapped_column(Text)
    completed_on: Mapped[date | None] = mapped_column(Date)
    evidence: Mapped[str | None] = mapped_column(Text)
    account: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = _recorded_at()


class Cohort(Base):
    """One year's households of the revolving fund, with the decision and the notice date."""

    __tablename__ = "cobuild_cohort"
    __table_args__ = (UniqueConstraint("fund_id", "year", name="uq_cobuild_cohort_fund_year"),)

    id: Mapped[int] = _id()
    fund_id: Mapped[int] = mapped_column(ForeignKey("cobuild_fund.id"))
    year: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(Text)
    decided_on: Mapped[date] = mapped_column(Date)
    notice_on: Mapped[date] = mapped_column(Date)
    size: Mapped[int] = mapped_column(Integer)
    account: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = _recorded_at()


class Loan(Base):
    """An interest-free loan to a household, on the fund's terms when it was disbursed."""

    __tablename__ = "cobuild_loan"
    __table_args__ = (
        UniqueConstraint("cohort_id", "household", name="uq_cobuild_loan_cohort_household"),
        Index("ix_cobuild_loan_fund_id_household", "fund_id", "household"),
        CheckConstraint("amount > 0 AND instalment > 0 AND years >= 1", name="terms_positive"),
    )

    id: Mapped[int] = _id()
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cobuild_cohort.id"))
    fund_id: Mapped[int] = mapped_column(ForeignKey("cobuild_fund.id"))
    household: Mapped[str] = mapped_column(Text)
    borrower: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    instalment: Mapped[Decimal] = mapped_column(MONEY)
    years: Mapped[int] = mapped_column(Integer)
    disbursed_on: Mapped[date] = mapped_column(Date)
    account: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = _recorded_at()


class Entry(Base):
    """One posted ledger entry: ``delta`` is signed (money in > 0, out < 0)."""

    __tablename__ = "cobuild_entry"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('receipt', 'expense', 'disbursement', 'repayment', 'reversal')",
            name="kind_known",
        ),
        CheckConstraint(
            "delta <> 0 AND (kind NOT IN ('receipt', 'repayment') OR delta > 0) "
            "AND (kind NOT IN ('expense', 'disbursement') OR delta < 0)",
            name="sign_follows_kind",
        ),
        CheckConstraint("kind <> 'receipt' OR pairing_id IS NOT NULL", name="receipt_paired"),
        CheckConstraint(
            "(kind = 'reversal') = (reverses_id IS NOT NULL) "
            "AND (kind <> 'reversal' OR reason IS NOT NULL)",
            name="reversal_has_reason",
        ),
        CheckConstraint(
            "kind NOT IN ('disbursement', 'repayment') OR loan_id IS NOT NULL",
            name="loan_money_has_loan",
        ),
        Index("ix_cobuild_entry_fund_id_booked_on", "fund_id", "booked_on"),
        Index("ix_cobuild_entry_loan_id", "loan_id"),
    )

    id: Mapped[int] = _id()
    fund_id: Mapped[int] = mapped_column(ForeignKey("cobuild_fund.id"))
    kind: Mapped[str] = mapped_column(Text)
    booked_on: Mapped[date] = mapped_column(Date)
    delta: Mapped[Decimal] = mapped_column(MONEY)
    purpose: Mapped[str] = mapped_column(Text)
    voucher: Mapped[str | None] = mapped_column(Text)
    pairing_id: Mapped[int | None] = mapped_column(ForeignKey("cobuild_pairing.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("cobuild_project.id"))
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("cobuild_loan.id"))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("cobuild_entry.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    prepayment: Mapped[bool] = mapped_column(Boolean, server_default=false())
    account: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = _recorded_at()


class LoanDecision(Base):
    """A recorded decision on a loan: restructuring (new instalments from a date) or
    write-off."""

    __tablename__ = "cobuild_loan_decision"
    __table_args__ = (
        CheckConstraint("kind IN ('restructure', 'write_off')", name="kind_known"),
        CheckConstraint(
            "kind <> 'restructure' OR (instalment > 0 AND years >= 1 AND first_due_on IS NOT NULL)",
            name="restructure_has_terms",
        ),
    )

    id: Mapped[int] = _id()
    loan_id: Mapped[int] = mapped_column(ForeignKey("cobuild_loan.id"))
    kind: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(Text)
    decided_on: Mapped[date] = mapped_column(Date)
    instalment: Mapped[Decimal | None] = mapped_column(MONEY)
    years: Mapped[int | None] = mapped_column(Integer)
    first_due_on: Mapped[date | None] = mapped_column(Date)
    account: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = _recorded_at()


class LoanFlag(Base):
    """A loan 30 days overdue, flagged once per missed instalment to the village committee
    and the township (the supervision sweep)."""

    __tablename__ = "cobuild_loan_flag"

    loan_id: Mapped[int] = mapped_column(ForeignKey("cobuild_loan.id"), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)
    days_overdue: Mapped[int] = mapped_column(Integer)
    arrears: Mapped[Decimal] = mapped_column(MONEY)
    village_code: Mapped[str] = mapped_column(Text)
    township_code: Mapped[str] = mapped_column(Text)
    flagged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Procurement(Base):
    """以买代帮: a directed procurement agreement with a buying unit."""

    __tablename__ = "cobuild_procurement"
    __table_args__ = (Index("ix_cobuild_procurement_village_code", "village_code"),)

    id: Mapped[int] = _id()
    village_code: Mapped[str] = mapped_column(Text)
    pairing_id: Mapped[int | None] = mapped_column(ForeignKey("cobuild_pairing.id"))
    buyer: Mapped[str] = mapped_column(Text)
    products: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    price_rule: Mapped[str] = mapped_column(Text)
    signed_on: Mapped[date] = mapped_column(Date)
    account: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = _recorded_at()


class Delivery(Base):
    """A delivery by a household with its quality acceptance: what was accepted is paid for."""

    __tablename__ = "cobuild_delivery"
    __table_args__ = (
        CheckConstraint(
            "quantity > 0 AND accepted >= 0 AND accepted <= quantity", name="accepted_in_range"
        ),
        CheckConstraint("price >= 0 AND amount = round(accepted * price, 2)", name="amount_exact"),
        Index("ix_cobuild_delivery_agreement_id", "agreement_id"),
    )

    id: Mapped[int] = _id()
    agreement_id: Mapped[int] = mapped_column(ForeignKey("cobuild_procurement.id"))
    household: Mapped[str] = mapped_column(Text)
    product: Mapped[str] = mapped_column(Text)
    delivered_on: Mapped[date] = mapped_column(Date)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    accepted: Mapped[Decimal] = mapped_column(QUANTITY)
    quality: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal] = mapped_column(MONEY)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    account: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = _recorded_at()


class Payment(Base):
    """A payment by the buying unit for one delivery."""

    __tablename__ = "cobuild_payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_cobuild_payment_delivery_id", "delivery_id"),
    )

    id: Mapped[int] = _id()
    delivery_id: Mapped[int] = mapped_column(ForeignKey("cobuild_delivery.id"))
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    voucher: Mapped[str | None] = mapped_column(Text)
    account: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = _recorded_at()


class Notice(Base):
    """A published public notice (公示) of a village's co-building money: the period it is
    posted for and the figures it showed (the report of that day)."""

    __tablename__ = "cobuild_notice"
    __table_args__ = (
        CheckConstraint("until_on >= published_on", name="period_forward"),
        Index("ix_cobuild_notice_village_code", "village_code"),
    )

    id: Mapped[int] = _id()
    village_code: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    published_on: Mapped[date] = mapped_column(Date)
    until_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB)
    account: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = _recorded_at()
