"""Request and response models of co-building money (issue #18, :mod:`cases.cobuild`).

Amounts come in as strings or numbers exact to the fen (:data:`cases.cobuild.money.Amount`)
and go out as strings with two decimals; dates are China dates (``YYYY-MM-DD``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field

from api.schemas import Strict
from cases.cobuild.money import Amount

Code = Annotated[str, Field(min_length=1, max_length=32)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Note = Annotated[str, Field(min_length=1, max_length=2000)]
Voucher = Annotated[str, Field(min_length=1, max_length=64, description="Voucher number.")]
Household = Annotated[str, Field(min_length=1, max_length=32, description="Household code.")]
Money = Annotated[str, Field(description="Yuan, two decimals.", examples=["20000.00"])]
Quantity = Annotated[
    str, Field(pattern=r"^\d{1,10}(\.\d{1,2})?$", description="Two decimals at most.")
]


class PairingIn(Strict):
    village: Code = Field(description="The village's code.")
    partner: Name = Field(description="The partner unit (结对单位).")
    agreement: Note = Field(description="The agreement (共建协议).")
    yearly_commitment: Amount
    since: date


class VillageRef(Strict):
    code: str
    name: str | None


class Pairing(Strict):
    id: int
    village: VillageRef
    partner: str
    agreement: str
    yearly_commitment: Money
    since: str
    since_year: int
    received: Money
    receipts: int | None
    last_receipt_on: str | None


class FundIn(Strict):
    village: Code
    name: Name
    pairing_id: int | None = Field(None, ge=1)
    loan_amount: Amount = Field(
        Decimal("20000.00"), description="Lent to each household (default 20,000)."
    )
    instalment: Amount = Field(Decimal("2000.00"), description="Repaid each year (default 2,000).")
    years: int = Field(10, ge=1, le=50)
    cohort_size: int = Field(5, ge=1, le=100, description="Households a year (default 5).")


class Terms(Strict):
    loan_amount: Money
    instalment: Money
    years: int
    cohort_size: int


class Fund(Strict):
    id: int
    village_code: str
    name: str
    pairing_id: int | None
    terms: Terms
    balance: Money = Field(description="The sum of the fund's entries.")
    entries: int
    received: Money
    spent: Money
    disbursed: Money
    repaid: Money


class EntryIn(Strict):
    kind: Literal["receipt", "expense"]
    amount: Amount
    booked_on: date
    purpose: Note = Field(description="摘要：what the money came in for or went to.")
    voucher: Voucher | None = None
    pairing_id: int | None = Field(None, ge=1, description="Required for a receipt.")
    project_id: int | None = Field(None, ge=1)


class ReversalIn(Strict):
    reason: Note = Field(description="Why the entry is reversed (冲正原因).")


class Entry(Strict):
    id: int
    kind: str
    kind_label: str
    counts_as: str
    booked_on: str
    amount: Money
    delta: Money
    balance: Money = Field(description="The running balance after this entry.")
    purpose: str
    voucher: str | None
    pairing_id: int | None
    partner: str | None
    project_id: int | None
    project: str | None
    loan_id: int | None
    household: str | None
    borrower: str | None = Field(description="Masked.")
    reverses_id: int | None
    reversed_by: int | None
    reason: str | None
    prepayment: bool
    recorded_at: str


class Ledger(Strict):
    fund: Fund
    year: int | None
    entries: list[Entry]


class ProjectIn(Strict):
    year: int = Field(ge=2000, le=2100)
    name: Name
    budget: Amount
    plan: Note | None = None


class ProjectDoneIn(Strict):
    completed_on: date
    evidence: Note


class Project(Strict):
    id: int
    fund_id: int
    village_code: str
    year: int
    name: str
    budget: Money
    spent: Money
    plan: str | None
    completed_on: str | None
    done: bool
    evidence: str | None


class CohortIn(Strict):
    year: int = Field(ge=2000, le=2100)
    decision: Note = Field(description="The decision choosing the households (决议).")
    decided_on: date
    notice_on: date = Field(description="The public notice's date (公示日期).")


class Cohort(Strict):
    id: int
    fund_id: int
    village_code: str
    year: int
    decision: str
    decided_on: str
    notice_on: str
    size: int
    loans: int


class LoanIn(Strict):
    cohort_id: int = Field(ge=1)
    household: Household
    borrower: Annotated[str, Field(min_length=1, max_length=40, description="Name (masked).")]
    disbursed_on: date
    voucher: Voucher | None = None
    amount: Amount | None = Field(None, description="Default the fund's loan amount.")


class RepaymentIn(Strict):
    amount: Amount
    booked_on: date
    voucher: Voucher | None = None
    prepayment: bool = Field(False, description="More than what is due so far.")


class DecisionIn(Strict):
    kind: Literal["restructure", "write_off"]
    decision: Note = Field(description="The recorded decision (决议).")
    decided_on: date
    instalment: Amount | None = Field(None, description="Restructuring: the new instalment.")
    years: int | None = Field(None, ge=1, le=50, description="Restructuring: over how long.")
    first_due_on: date | None = Field(None, description="Restructuring: the first due day.")


class Loan(Strict):
    id: int
    fund_id: int
    cohort_id: int
    cohort_year: int
    village_code: str
    household: str
    borrower: str | None = Field(description="Masked.")
    amount: Money
    instalment: Money
    years: int
    disbursed_on: str
    as_of: str
    due: Money = Field(description="Instalments due on or before as_of.")
    paid: Money
    outstanding: Money
    arrears: Money
    days_overdue: int
    status: Literal["current", "overdue", "restructured", "written_off", "cleared"]
    status_label: str
    next_due_on: str | None
    schedule: list[dict[str, Any]] | None = None
    repayments: list[dict[str, Any]] | None = None
    decisions: list[dict[str, Any]] | None = None


class Flag(Strict):
    loan_id: int
    due_on: str
    days_overdue: int
    arrears: Money
    village: VillageRef
    township_code: str
    household: str
    borrower: str | None
    flagged_at: str


class ProductIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=40)]
    unit: Annotated[str, Field(min_length=1, max_length=16)]
    price: Amount = Field(description="Yuan per unit.")
    expected_quantity: Quantity | None = None


class AgreementIn(Strict):
    village: Code
    buyer: Name = Field(description="The buying unit (采购单位).")
    products: list[ProductIn] = Field(min_length=1, max_length=50)
    price_rule: Note = Field(description="How prices are set (价格规则).")
    signed_on: date
    pairing_id: int | None = Field(None, ge=1)


class DeliveryIn(Strict):
    household: Household
    product: Annotated[str, Field(min_length=1, max_length=40)]
    delivered_on: date
    quantity: Quantity
    accepted: Quantity = Field(description="What passed the quality acceptance (验收).")
    quality: Note | None = None
    price: Amount | None = Field(None, description="Default the agreement's price.")


class PaymentIn(Strict):
    delivery_id: int = Field(ge=1)
    amount: Amount
    paid_on: date
    voucher: Voucher | None = None


class Agreement(Strict):
    id: int
    village_code: str
    pairing_id: int | None
    buyer: str
    products: list[dict[str, Any]]
    price_rule: str
    signed_on: str
    deliveries: int
    households: int
    accepted_value: Money
    paid: Money
    unpaid: Money
    delivery_list: list[dict[str, Any]] | None = None


class Payment(Strict):
    id: int
    delivery_id: int
    paid_on: str
    amount: Money
    voucher: str | None
    account: str
    unpaid: Money


class Income(Strict):
    village_code: str
    household: str
    deliveries: int
    accepted_value: Money
    paid: Money


class VillageReport(Strict):
    village: VillageRef
    as_of: str
    partners: list[str]
    since_year: int | None
    yearly_commitment: Money
    pairings: list[Pairing]
    money: dict[str, Money]
    loans: dict[str, Any]
    procurement: dict[str, Any]
    projects: dict[str, Any]


class Report(Strict):
    as_of: str
    villages: list[VillageReport]
    income: list[Income]


class NoticeIn(Strict):
    village: Code
    published_on: date
    days: int = Field(7, ge=1, le=30, description="How long it stays posted (default 7 days).")


class Notice(Strict):
    id: int
    village_code: str
    title: str
    published_on: str
    until_on: str
    summary: dict[str, Any] = Field(description="The village's report as the notice showed it.")
