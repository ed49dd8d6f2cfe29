"""A village's funds and their ledger: receipts from the partner, expenses on projects, and
(posted by :mod:`cases.cobuild.loans`) the revolving fund's disbursements and repayments.

Why a balance cannot drift from its entries, nor be spent twice:

- there is no stored balance: ``cobuild_fund_balance`` is a view summing the entries, and the
  ledger's running balance is a window sum over the same rows;
- entries are append-only (a trigger refuses UPDATE and DELETE for every role; the service
  role has no DELETE or TRUNCATE): a correction is a reversing entry with a reason, at most
  one per entry, and it keeps the pairing, project or loan of the entry it reverses;
- every entry of a fund is posted with the fund's row locked (``fund_lock.sql``), so the
  balance checked before an expense or a loan is the balance when it is written;
- a receipt names a pairing of the fund's village (a check constraint holds it too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cases.cobuild import common
from cases.cobuild.money import text, yuan
from cases.cobuild.pairings import pairings
from cases.cobuild.sql import query
from geo.errors import InvalidInput, NotFound
from geo.privacy import mask_name
from geo.scope import Scope

#: The seed's terms (借鸡下蛋): ¥20,000 each, ¥2,000 a year, 10 years, 5 households a year.
DEFAULT_TERMS = {
    "loan_amount": Decimal(20000),
    "instalment": Decimal(2000),
    "years": 10,
    "cohort_size": 5,
}
KIND_LABELS = {
    "receipt": "收入",
    "expense": "支出",
    "disbursement": "借出",
    "repayment": "还款",
    "reversal": "冲正",
}


@dataclass(frozen=True)
class FundIn:
    village: str
    name: str
    pairing_id: int | None = None
    loan_amount: Decimal = DEFAULT_TERMS["loan_amount"]  # type: ignore[assignment]
    instalment: Decimal = DEFAULT_TERMS["instalment"]  # type: ignore[assignment]
    years: int = 10
    cohort_size: int = 5


@dataclass(frozen=True)
class EntryIn:
    kind: str  # receipt or expense
    amount: Decimal
    booked_on: date
    purpose: str
    voucher: str | None = None
    pairing_id: int | None = None
    project_id: int | None = None


def create_fund(conn: Connection, principal: common.Principal, fund: FundIn) -> dict[str, Any]:
    common.may_write(principal)
    village = common.village(conn, principal.scope, fund.village)
    if fund.pairing_id is not None:
        _pairing_of(conn, principal.scope, fund.pairing_id, village["code"])
    row = {
        "village_code": village["code"],
        "name": fund.name,
        "pairing_id": fund.pairing_id,
        "loan_amount": fund.loan_amount,
        "instalment": fund.instalment,
        "years": fund.years,
        "cohort_size": fund.cohort_size,
        "account": principal.actor.username,
    }
    fund_id = conn.execute(query("fund_insert"), row).scalar_one()
    common.record(conn, principal, "cobuild.fund", "cobuild_fund", fund_id, row)
    return get_fund(conn, principal.scope, fund_id)


def _fund_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "village_code": row.village_code,
        "name": row.name,
        "pairing_id": row.pairing_id,
        "terms": {
            "loan_amount": text(row.loan_amount),
            "instalment": text(row.instalment),
            "years": row.years,
            "cohort_size": row.cohort_size,
        },
        "balance": text(row.balance),
        "entries": row.entries,
        "received": text(row.received),
        "spent": text(row.spent),
        "disbursed": text(row.disbursed),
        "repaid": text(row.repaid),
    }


def funds(conn: Connection, scope: Scope, *, village: str | None = None) -> list[dict[str, Any]]:
    """The funds in ``scope``: terms, balance and money in and out by kind."""
    params = {"village": village, "fund_id": None, **scope.params()}
    return [_fund_view(r) for r in conn.execute(query("funds"), params)]


def get_fund(conn: Connection, scope: Scope, fund_id: int) -> dict[str, Any]:
    params = {"village": None, "fund_id": fund_id, **scope.params()}
    row = conn.execute(query("funds"), params).first()
    return _fund_view(common.found(row, "fund", fund_id))


def lock_fund(conn: Connection, scope: Scope, fund_id: int) -> Any:
    """Fund ``fund_id`` locked for posting (404 outside ``scope``)."""
    row = conn.execute(query("fund_lock"), {"fund_id": fund_id, **scope.params()}).first()
    return common.found(row, "fund", fund_id)


def balance(conn: Connection, fund_id: int) -> Decimal:
    return Decimal(conn.execute(query("balance"), {"fund_id": fund_id}).scalar_one())


def _pairing_of(conn: Connection, scope: Scope, pairing_id: int, village_code: str) -> None:
    found = pairings(conn, scope, pairing_id=pairing_id)
    if not found or found[0]["village"]["code"] != village_code:
        raise InvalidInput("pairing_id", f"no pairing {pairing_id} of village {village_code}")


def _project_of(conn: Connection, scope: Scope, project_id: int, fund_id: int) -> None:
    if not projects(conn, scope, fund_id=fund_id, project_id=project_id):
        raise InvalidInput("project_id", f"no project {project_id} of fund {fund_id}")


def insert(conn: Connection, principal: common.Principal, **row: Any) -> int:
    """Post one entry (the caller holds the fund's lock and has checked it); its id."""
    values = {
        "pairing_id": None,
        "project_id": None,
        "loan_id": None,
        "reverses_id": None,
        "reason": None,
        "prepayment": False,
        "voucher": None,
        "account": principal.actor.username,
        **row,
    }
    entry_id: int = conn.execute(query("entry_insert"), values).scalar_one()
    common.record(conn, principal, f"cobuild.{values['kind']}", "cobuild_entry", entry_id, values)
    return entry_id


def post(
    conn: Connection, principal: common.Principal, fund_id: int, entry: EntryIn
) -> dict[str, Any]:
    """Post a receipt (naming a pairing of the fund's village) or an expense (no more than
    the balance); the entry as the ledger lists it."""
    common.may_write(principal)
    fund = lock_fund(conn, principal.scope, fund_id)
    common.not_after_today(entry.booked_on, "booked_on")
    if entry.kind == "receipt":
        if entry.pairing_id is None:
            raise InvalidInput("pairing_id", "a receipt must name the pairing it came under")
        _pairing_of(conn, principal.scope, entry.pairing_id, fund.village_code)
    elif entry.kind == "expense":
        available = balance(conn, fund_id)
        if entry.amount > available:
            raise InvalidInput("amount", f"{entry.amount} exceeds the fund's balance {available}")
    else:
        raise InvalidInput("kind", "expected receipt or expense")
    if entry.project_id is not None:
        _project_of(conn, principal.scope, entry.project_id, fund_id)
    sign = 1 if entry.kind == "receipt" else -1
    entry_id = insert(
        conn,
        principal,
        fund_id=fund_id,
        kind=entry.kind,
        booked_on=entry.booked_on,
        delta=sign * entry.amount,
        purpose=entry.purpose,
        voucher=entry.voucher,
        pairing_id=entry.pairing_id if entry.kind == "receipt" else None,
        project_id=entry.project_id,
    )
    return _entry(conn, principal.scope, fund_id, entry_id)


def reverse(
    conn: Connection, principal: common.Principal, fund_id: int, entry_id: int, reason: str
) -> dict[str, Any]:
    """Post the reversing entry of ``entry_id`` with ``reason``: the same amount with the
    opposite sign, today. A disbursement is not reversed (a loan is settled by repayments or
    written off by a decision), a reversal neither, and no entry twice."""
    common.may_write(principal)
    lock_fund(conn, principal.scope, fund_id)
    found = conn.execute(query("entry_find"), {"entry_id": entry_id, "fund_id": fund_id}).first()
    original = common.found(found, "entry", entry_id)
    if original.kind in ("reversal", "disbursement"):
        raise InvalidInput("entry_id", f"a {original.kind} cannot be reversed")
    if original.reversed_by is not None:
        raise InvalidInput("entry_id", f"is reversed already by entry {original.reversed_by}")
    if original.delta > 0 and balance(conn, fund_id) < original.delta:
        raise InvalidInput("entry_id", "reversing it would leave the fund below zero")
    new_id = insert(
        conn,
        principal,
        fund_id=fund_id,
        kind="reversal",
        booked_on=common.today(),
        delta=-original.delta,
        purpose=f"冲正第 {entry_id} 号分录：{original.purpose}",
        pairing_id=original.pairing_id,
        project_id=original.project_id,
        loan_id=original.loan_id,
        reverses_id=entry_id,
        reason=reason,
    )
    return _entry(conn, principal.scope, fund_id, new_id)


def refuse_edit(conn: Connection, scope: Scope, fund_id: int, entry_id: int) -> None:
    """A posted entry is never edited or deleted: 404 if it is not there, else 422 saying
    how to correct it."""
    get_fund(conn, scope, fund_id)
    found = conn.execute(query("entry_find"), {"entry_id": entry_id, "fund_id": fund_id}).first()
    common.found(found, "entry", entry_id)
    raise InvalidInput(
        "entry_id",
        "is posted and cannot be edited or deleted; post its reversal with a reason "
        f"(POST /api/v1/funds/{fund_id}/entries/{entry_id}/reverse) and the right entry",
        where="path",
    )


def _entry_view(row: Any) -> dict[str, Any]:
    kind = row.reverses_kind or row.kind
    return {
        "id": row.id,
        "kind": row.kind,
        "kind_label": KIND_LABELS[row.kind],
        "counts_as": kind,
        "booked_on": row.booked_on.isoformat(),
        "amount": text(abs(row.delta)),
        "delta": text(row.delta),
        "balance": text(row.balance),
        "purpose": row.purpose,
        "voucher": row.voucher,
        "pairing_id": row.pairing_id,
        "partner": row.partner,
        "project_id": row.project_id,
        "project": row.project_name,
        "loan_id": row.loan_id,
        "household": row.household,
        "borrower": mask_name(row.borrower),
        "reverses_id": row.reverses_id,
        "reversed_by": row.reversed_by,
        "reason": row.reason,
        "prepayment": row.prepayment,
        "recorded_at": row.recorded_at.isoformat(),
    }


def ledger(
    conn: Connection, scope: Scope, fund_id: int, *, year: int | None = None
) -> dict[str, Any]:
    """The fund and its entries in booking order with the running balance."""
    fund = get_fund(conn, scope, fund_id)
    params = {"fund_id": fund_id, "year": None, **scope.params()}
    rows = [_entry_view(r) for r in conn.execute(query("ledger"), params)]
    if year is not None:
        rows = [r for r in rows if r["booked_on"].startswith(f"{year}-")]
    return {"fund": fund, "year": year, "entries": rows}


def _entry(conn: Connection, scope: Scope, fund_id: int, entry_id: int) -> dict[str, Any]:
    entries = ledger(conn, scope, fund_id)["entries"]
    return next(e for e in entries if e["id"] == entry_id)


@dataclass(frozen=True)
class ProjectIn:
    year: int
    name: str
    budget: Decimal
    plan: str | None = None


def create_project(
    conn: Connection, principal: common.Principal, fund_id: int, project: ProjectIn
) -> dict[str, Any]:
    common.may_write(principal)
    lock_fund(conn, principal.scope, fund_id)
    row = {"fund_id": fund_id, "account": principal.actor.username, **project.__dict__}
    project_id = conn.execute(query("project_insert"), row).scalar_one()
    common.record(conn, principal, "cobuild.project", "cobuild_project", project_id, row)
    return projects(conn, principal.scope, project_id=project_id)[0]


def complete_project(
    conn: Connection,
    principal: common.Principal,
    fund_id: int,
    project_id: int,
    completed_on: date,
    evidence: str,
) -> dict[str, Any]:
    """Mark a project done, once, with its evidence (422 on ``project_id`` if done already)."""
    common.may_write(principal)
    lock_fund(conn, principal.scope, fund_id)
    common.not_after_today(completed_on, "completed_on")
    if not projects(conn, principal.scope, fund_id=fund_id, project_id=project_id):
        raise NotFound(f"no project {project_id} of fund {fund_id}")
    params = {
        "fund_id": fund_id,
        "project_id": project_id,
        "completed_on": completed_on,
        "evidence": evidence,
    }
    if conn.execute(query("project_complete"), params).first() is None:
        raise InvalidInput("project_id", "is completed already", where="path")
    common.record(conn, principal, "cobuild.project_done", "cobuild_project", project_id, params)
    return projects(conn, principal.scope, project_id=project_id)[0]


def projects(
    conn: Connection,
    scope: Scope,
    *,
    fund_id: int | None = None,
    village: str | None = None,
    project_id: int | None = None,
) -> list[dict[str, Any]]:
    """Projects (yearly plan, budget, spent, completion and evidence)."""
    params = {"fund_id": fund_id, "village": village, "project_id": project_id}
    rows = conn.execute(query("projects"), params | scope.params())
    return [
        {
            "id": r.id,
            "fund_id": r.fund_id,
            "village_code": r.village_code,
            "year": r.year,
            "name": r.name,
            "budget": text(r.budget),
            "spent": text(r.spent),
            "plan": r.plan,
            "completed_on": r.completed_on.isoformat() if r.completed_on else None,
            "done": r.completed_on is not None,
            "evidence": r.evidence,
        }
        for r in rows
    ]


def amount_words(amount: Decimal) -> str:
    """The amount as the notice prints it: ``¥412,600.00``."""
    return f"¥{yuan(amount)}"
