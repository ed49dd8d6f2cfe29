"""The revolving fund (借鸡下蛋): each year a cohort of households chosen by a recorded
decision and publicly noticed, each lent the fund's amount interest-free and repaying a
yearly instalment to the village collective.

What is refused, each naming the field, nothing written: a loan past the cohort's size
(``cohort_id``), beyond the fund's balance (``amount``), to a household with arrears or a
written-off loan in the fund (``household``), before the cohort's notice (``disbursed_on``); a
repayment above what is outstanding, or above what is due unless it is recorded as a
prepayment (``amount``); a restructuring without its new terms. Where a loan stands is
derived, never stored (:mod:`cases.cobuild.schedule`).

Why two repayments posted at once never double count: each is written under the loan's row
lock (``loan_lock.sql``), and the outstanding amount it is checked against is read after the
lock is taken, so the second one sees the first. Loans and cohorts are checked under the
fund's and the cohort's locks the same way.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cases.cobuild import common, ledger
from cases.cobuild.money import text
from cases.cobuild.schedule import (
    STATUS_LABELS,
    Decision,
    Standing,
    Terms,
    anniversary,
    instalments,
    standing,
)
from cases.cobuild.sql import query
from geo.errors import InvalidInput
from geo.privacy import mask_name
from geo.scope import WHOLE_BANNER, Scope

#: A loan this many days overdue is flagged to the village committee and the township.
FLAG_AFTER_DAYS = 30


@dataclass(frozen=True)
class CohortIn:
    year: int
    decision: str
    decided_on: date
    notice_on: date


@dataclass(frozen=True)
class LoanIn:
    cohort_id: int
    household: str
    borrower: str
    disbursed_on: date
    voucher: str | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class RepaymentIn:
    amount: Decimal
    booked_on: date
    voucher: str | None = None
    prepayment: bool = False


@dataclass(frozen=True)
class DecisionIn:
    kind: str
    decision: str
    decided_on: date
    instalment: Decimal | None = None
    years: int | None = None
    first_due_on: date | None = None


def create_cohort(
    conn: Connection, principal: common.Principal, fund_id: int, cohort: CohortIn
) -> dict[str, Any]:
    common.may_write(principal)
    fund = ledger.lock_fund(conn, principal.scope, fund_id)
    common.not_after_today(cohort.decided_on, "decided_on")
    if cohort.notice_on < cohort.decided_on:
        raise InvalidInput("notice_on", "the public notice cannot come before the decision")
    row = {
        "fund_id": fund_id,
        "size": fund.cohort_size,
        "account": principal.actor.username,
        **cohort.__dict__,
    }
    cohort_id = conn.execute(query("cohort_insert"), row).scalar_one_or_none()
    if cohort_id is None:
        raise InvalidInput("year", f"fund {fund_id} has a cohort for {cohort.year} already")
    common.record(conn, principal, "cobuild.cohort", "cobuild_cohort", cohort_id, row)
    return cohorts(conn, principal.scope, cohort_id=cohort_id)[0]


def cohorts(
    conn: Connection, scope: Scope, *, fund_id: int | None = None, cohort_id: int | None = None
) -> list[dict[str, Any]]:
    params = {"fund_id": fund_id, "cohort_id": cohort_id, **scope.params()}
    return [
        {
            "id": r.id,
            "fund_id": r.fund_id,
            "village_code": r.village_code,
            "year": r.year,
            "decision": r.decision,
            "decided_on": r.decided_on.isoformat(),
            "notice_on": r.notice_on.isoformat(),
            "size": r.size,
            "loans": r.loans,
        }
        for r in conn.execute(query("cohorts"), params)
    ]


def disburse(conn: Connection, principal: common.Principal, loan: LoanIn) -> dict[str, Any]:
    """Lend to a household of this year's cohort and post the disbursement."""
    common.may_write(principal)
    found = cohorts(conn, principal.scope, cohort_id=loan.cohort_id)
    fund_id = common.found(found[0] if found else None, "cohort", loan.cohort_id)["fund_id"]
    fund = ledger.lock_fund(conn, principal.scope, fund_id)  # the fund first, always
    cohort = conn.execute(
        query("cohort_lock"), {"cohort_id": loan.cohort_id, **principal.scope.params()}
    ).one()
    common.not_after_today(loan.disbursed_on, "disbursed_on")
    if cohort.loans >= cohort.size:
        raise InvalidInput(
            "cohort_id", f"the cohort of {cohort.year} is full ({cohort.loans} of {cohort.size})"
        )
    if loan.disbursed_on < cohort.notice_on:
        raise InvalidInput(
            "disbursed_on", f"comes before the cohort's public notice of {cohort.notice_on}"
        )
    amount = loan.amount if loan.amount is not None else Decimal(fund.loan_amount)
    if amount > fund.loan_amount:
        raise InvalidInput("amount", f"exceeds the fund's loan amount {fund.loan_amount}")
    _refuse_household_in_arrears(conn, principal.scope, fund_id, loan.household, loan.disbursed_on)
    available = ledger.balance(conn, fund_id)
    if amount > available:
        raise InvalidInput("amount", f"{amount} exceeds the fund's balance {available}")
    row = {
        "cohort_id": loan.cohort_id,
        "fund_id": fund_id,
        "household": loan.household,
        "borrower": loan.borrower,
        "amount": amount,
        "instalment": fund.instalment,
        "years": fund.years,
        "disbursed_on": loan.disbursed_on,
        "account": principal.actor.username,
    }
    loan_id = conn.execute(query("loan_insert"), row).scalar_one()
    common.record(
        conn, principal, "cobuild.loan", "cobuild_loan", loan_id,
        row | {"borrower": mask_name(loan.borrower)},
    )  # fmt: skip
    ledger.insert(
        conn,
        principal,
        fund_id=fund_id,
        kind="disbursement",
        booked_on=loan.disbursed_on,
        delta=-amount,
        purpose=f"借鸡下蛋 {cohort.year} 年借款（{loan.household}）",
        voucher=loan.voucher,
        loan_id=loan_id,
    )
    return get_loan(conn, principal.scope, loan_id, as_of=loan.disbursed_on)


def _refuse_household_in_arrears(
    conn: Connection, scope: Scope, fund_id: int, household: str, on: date
) -> None:
    for row in _rows(conn, scope, fund_id=fund_id, household=household):
        now = _standing(row, on)
        if now.arrears > 0 or now.status == "written_off":
            raise InvalidInput(
                "household",
                f"{household} is in arrears on loan {row.id} ({now.arrears} due, "
                f"{now.days_overdue} days overdue)",
            )


def repay(
    conn: Connection, principal: common.Principal, loan_id: int, repayment: RepaymentIn
) -> dict[str, Any]:
    """Post a repayment under the loan's row lock."""
    common.may_write(principal)
    locked = conn.execute(query("loan_lock"), {"loan_id": loan_id, **principal.scope.params()})
    fund_id = common.found(locked.first(), "loan", loan_id).fund_id
    common.not_after_today(repayment.booked_on, "booked_on")
    row = _rows(conn, principal.scope, loan_id=loan_id)[0]
    if repayment.booked_on < row.disbursed_on:
        raise InvalidInput("booked_on", f"comes before the loan was disbursed ({row.disbursed_on})")
    whole = _standing(row, date.max)
    if whole.status == "written_off":
        raise InvalidInput("loan_id", "is written off", where="path")
    if repayment.amount > whole.outstanding:
        raise InvalidInput(
            "amount", f"{repayment.amount} exceeds what is outstanding ({whole.outstanding})"
        )
    then = _standing(row, repayment.booked_on)
    owed = max(then.due - whole.paid, Decimal(0))
    if repayment.amount > owed and not repayment.prepayment:
        raise InvalidInput(
            "amount",
            f"{repayment.amount} exceeds what is due on {repayment.booked_on} ({owed}); "
            "record it with prepayment: true",
        )
    ledger.insert(
        conn,
        principal,
        fund_id=fund_id,
        kind="repayment",
        booked_on=repayment.booked_on,
        delta=repayment.amount,
        purpose=f"借鸡下蛋 还款（{row.household}）",
        voucher=repayment.voucher,
        loan_id=loan_id,
        prepayment=repayment.prepayment,
    )
    return get_loan(conn, principal.scope, loan_id, as_of=repayment.booked_on)


def decide(
    conn: Connection, principal: common.Principal, loan_id: int, decision: DecisionIn
) -> dict[str, Any]:
    """Record a restructuring (with its new terms) or a write-off, each on a decision."""
    common.may_write(principal)
    locked = conn.execute(query("loan_lock"), {"loan_id": loan_id, **principal.scope.params()})
    common.found(locked.first(), "loan", loan_id)
    common.not_after_today(decision.decided_on, "decided_on")
    row = _rows(conn, principal.scope, loan_id=loan_id)[0]
    now = _standing(row, decision.decided_on)
    if now.status in ("cleared", "written_off"):
        raise InvalidInput("loan_id", f"is {now.status.replace('_', ' ')}", where="path")
    if decision.kind == "restructure":
        for field in ("instalment", "years", "first_due_on"):
            if getattr(decision, field) is None:
                raise InvalidInput(field, "is required for a restructuring")
        assert decision.first_due_on is not None
        if not decision.decided_on < decision.first_due_on <= anniversary(decision.decided_on, 5):
            raise InvalidInput("first_due_on", "must come after the decision, within 5 years")
    values = {"loan_id": loan_id, "account": principal.actor.username, **decision.__dict__}
    decision_id = conn.execute(query("decision_insert"), values).scalar_one()
    common.record(
        conn, principal, f"cobuild.loan_{decision.kind}", "cobuild_loan_decision",
        decision_id, values,
    )  # fmt: skip
    return get_loan(conn, principal.scope, loan_id, as_of=decision.decided_on)


def _rows(conn: Connection, scope: Scope, **filters: Any) -> list[Any]:
    params = {"village": None, "fund_id": None, "loan_id": None, "household": None}
    return list(conn.execute(query("loans"), params | filters | scope.params()))


def _terms(row: Any) -> Terms:
    return Terms(Decimal(row.amount), Decimal(row.instalment), row.years, row.disbursed_on)


def _paid(row: Any) -> list[tuple[date, Decimal]]:
    return [(date.fromisoformat(p["on"]), Decimal(p["amount"])) for p in _json(row.repayments)]


def _decisions(row: Any) -> list[Decision]:
    return [
        Decision(
            d["kind"],
            date.fromisoformat(d["decided_on"]),
            Decimal(d["instalment"]) if d["instalment"] else None,
            d["years"],
            date.fromisoformat(d["first_due_on"]) if d["first_due_on"] else None,
        )
        for d in _json(row.decisions)
    ]


def _json(value: Any) -> list[dict[str, Any]]:
    return json.loads(value) if isinstance(value, str) else list(value)


def _standing(row: Any, as_of: date) -> Standing:
    return standing(_terms(row), _paid(row), _decisions(row), as_of)


def _view(row: Any, as_of: date, detail: bool = False) -> dict[str, Any]:
    now = _standing(row, as_of)
    view: dict[str, Any] = {
        "id": row.id,
        "fund_id": row.fund_id,
        "cohort_id": row.cohort_id,
        "cohort_year": row.cohort_year,
        "village_code": row.village_code,
        "household": row.household,
        "borrower": mask_name(row.borrower),
        "amount": text(row.amount),
        "instalment": text(row.instalment),
        "years": row.years,
        "disbursed_on": row.disbursed_on.isoformat(),
        "as_of": as_of.isoformat(),
        "due": text(now.due),
        "paid": text(now.paid),
        "outstanding": text(now.outstanding),
        "arrears": text(now.arrears),
        "days_overdue": now.days_overdue,
        "status": now.status,
        "status_label": STATUS_LABELS[now.status],
        "next_due_on": now.next_due_on.isoformat() if now.next_due_on else None,
    }
    if detail:
        decisions = _decisions(row)
        paid = _paid(row)
        view["schedule"] = [
            {"due_on": i.due_on.isoformat(), "amount": text(i.amount)}
            for i in instalments(_terms(row), [d for d in decisions if d.decided_on <= as_of], paid)
        ]
        view["repayments"] = [
            {**p, "amount": text(Decimal(p["amount"]))} for p in _json(row.repayments)
        ]
        view["decisions"] = [
            {**d, "instalment": text(Decimal(d["instalment"])) if d["instalment"] else None}
            for d in _json(row.decisions)
        ]
    return view


def loans(
    conn: Connection,
    scope: Scope,
    as_of: date,
    *,
    village: str | None = None,
    fund_id: int | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """Loans in ``scope`` with where each stands on ``as_of``."""
    found = [_view(r, as_of) for r in _rows(conn, scope, village=village, fund_id=fund_id)]
    return [v for v in found if status is None or v["status"] == status]


def get_loan(conn: Connection, scope: Scope, loan_id: int, as_of: date) -> dict[str, Any]:
    """One loan with its schedule, repayments and decisions."""
    rows = _rows(conn, scope, loan_id=loan_id)
    return _view(common.found(rows[0] if rows else None, "loan", loan_id), as_of, detail=True)


def sweep_loans(conn: Connection, now: datetime) -> Counter[str]:
    """Flag every loan :data:`FLAG_AFTER_DAYS` days or more overdue on ``now``'s China day to
    its village committee and township, once per missed instalment (``cobuild_loan_flag``);
    counted as ``loan_overdue``. Inside the supervision sweep's transaction (and its lock)."""
    as_of = common.china_date(now)
    flagged = 0
    for row in _rows(conn, WHOLE_BANNER):
        state = _standing(row, as_of)
        if state.status != "overdue" or state.days_overdue < FLAG_AFTER_DAYS:
            continue
        params = {
            "loan_id": row.id,
            "due_on": date.fromordinal(as_of.toordinal() - state.days_overdue),
            "days_overdue": state.days_overdue,
            "arrears": state.arrears,
            "village_code": row.village_code,
            "township_code": row.township_code,
            "now": now,
        }
        flagged += conn.execute(query("flag_insert"), params).rowcount
    return Counter({"loan_overdue": flagged}) if flagged else Counter()


def flags(conn: Connection, scope: Scope, limit: int = 200) -> list[dict[str, Any]]:
    """The overdue flags the caller's committee or township received, newest first."""
    return [
        {
            "loan_id": r.loan_id,
            "due_on": r.due_on.isoformat(),
            "days_overdue": r.days_overdue,
            "arrears": text(r.arrears),
            "village": {"code": r.village_code, "name": r.village_name},
            "township_code": r.township_code,
            "household": r.household,
            "borrower": mask_name(r.borrower),
            "flagged_at": r.flagged_at.isoformat(),
        }
        for r in conn.execute(query("flags"), {"limit": limit, **scope.params()})
    ]
