"""A revolving loan's instalments and where it stands on a date. Pure functions: the ledger
(:mod:`cases.cobuild.loans`) feeds them the loan's terms, its repayments and its decisions.

The rule, stated once:

- instalment *k* (1 … ``years``) falls due on the *k*-th anniversary of the disbursement (29
  February falls on 28 February in other years); each is the fund's instalment, the last one
  whatever is left, so they add up to the amount lent;
- a restructuring decided on day *d* keeps what was paid before *d* and spreads the rest
  over ``years`` new instalments from ``first_due_on``, yearly;
- on a date, ``due`` is the sum of the instalments falling due on or before it, ``paid`` the
  sum of the repayments booked on or before it (reversals subtract), ``arrears`` what is due
  and unpaid, ``days_overdue`` the days since the oldest instalment not covered by what was
  paid fell due (repayments cover instalments oldest first);
- the status: ``cleared`` once nothing is outstanding, else ``written_off`` after a write-off
  decision, else ``overdue`` with a day or more overdue, else ``restructured`` after a
  restructuring, else ``current``.

Examples
--------
>>> from datetime import date
>>> from decimal import Decimal as D
>>> loan = Terms(D(20000), D(2000), 10, date(2016, 5, 10))
>>> [(i.due_on.isoformat(), str(i.amount)) for i in instalments(loan)][:2]
[('2017-05-10', '2000'), ('2018-05-10', '2000')]
>>> paid = [(date(2017, 5, 10), D(2000)), (date(2018, 6, 1), D(2000))]
>>> s = standing(loan, paid, [], date(2020, 6, 9))
>>> s.due, s.paid, s.arrears, s.days_overdue, s.status
(Decimal('8000'), Decimal('4000'), Decimal('4000'), 396, 'overdue')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ZERO = Decimal(0)
STATUSES = ("current", "overdue", "restructured", "written_off", "cleared")
STATUS_LABELS = {
    "current": "正常",
    "overdue": "逾期",
    "restructured": "已重组",
    "written_off": "已核销",
    "cleared": "已还清",
}


@dataclass(frozen=True)
class Terms:
    """What was lent, the yearly instalment, over how many years, from when."""

    amount: Decimal
    instalment: Decimal
    years: int
    disbursed_on: date


@dataclass(frozen=True)
class Decision:
    """A recorded decision: ``restructure`` (with new terms) or ``write_off``."""

    kind: str
    decided_on: date
    instalment: Decimal | None = None
    years: int | None = None
    first_due_on: date | None = None


@dataclass(frozen=True)
class Instalment:
    due_on: date
    amount: Decimal


@dataclass(frozen=True)
class Standing:
    """Where a loan stands on ``as_of``."""

    as_of: date
    due: Decimal
    paid: Decimal
    outstanding: Decimal
    arrears: Decimal
    days_overdue: int
    status: str
    next_due_on: date | None


def anniversary(day: date, years: int) -> date:
    """``day`` moved ``years`` years on; 29 February becomes 28 February in other years.

    >>> anniversary(date(2024, 2, 29), 1), anniversary(date(2024, 2, 29), 4)
    (datetime.date(2025, 2, 28), datetime.date(2028, 2, 29))
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _spread(total: Decimal, instalment: Decimal, years: int, first: date) -> list[Instalment]:
    out: list[Instalment] = []
    left = total
    for k in range(years):
        if left <= 0:
            break
        amount = left if k == years - 1 else min(instalment, left)
        out.append(Instalment(anniversary(first, k), amount))
        left -= amount
    return out


def instalments(
    terms: Terms, decisions: Sequence[Decision] = (), paid: Iterable[tuple[date, Decimal]] = ()
) -> list[Instalment]:
    """The schedule in force after ``decisions`` (the latest restructuring wins): before it,
    one line for what had been paid by the decision day; then the new instalments."""
    first = anniversary(terms.disbursed_on, 1)
    schedule = _spread(terms.amount, terms.instalment, terms.years, first)
    restructures = [d for d in decisions if d.kind == "restructure"]
    if not restructures:
        return schedule
    last = max(restructures, key=lambda d: d.decided_on)
    assert last.instalment is not None and last.years is not None and last.first_due_on
    before = sum((a for on, a in paid if on < last.decided_on), ZERO)
    kept = [Instalment(last.decided_on, before)] if before > 0 else []
    rest = _spread(terms.amount - before, last.instalment, last.years, last.first_due_on)
    return kept + rest


def standing(
    terms: Terms,
    paid: Iterable[tuple[date, Decimal]],
    decisions: Sequence[Decision],
    as_of: date,
) -> Standing:
    """Due, paid, outstanding, arrears, days overdue and status of a loan on ``as_of``; only
    repayments and decisions on or before ``as_of`` count."""
    payments = [(on, amount) for on, amount in paid if on <= as_of]
    in_force = [d for d in decisions if d.decided_on <= as_of]
    schedule = instalments(terms, in_force, payments)
    total_paid = sum((a for _, a in payments), ZERO)
    due = sum((i.amount for i in schedule if i.due_on <= as_of), ZERO)
    outstanding = terms.amount - total_paid
    covered, days, next_due = ZERO, 0, None
    for item in schedule:
        covered += item.amount
        if covered > total_paid:
            if item.due_on <= as_of:
                days = (as_of - item.due_on).days
            else:
                next_due = item.due_on
            break
    if next_due is None:
        next_due = next((i.due_on for i in schedule if i.due_on > as_of), None)
    if outstanding <= 0:
        status, days = "cleared", 0
    elif any(d.kind == "write_off" for d in in_force):
        status = "written_off"
    elif days >= 1:
        status = "overdue"
    elif any(d.kind == "restructure" for d in in_force):
        status = "restructured"
    else:
        status = "current"
    arrears = max(due - total_paid, ZERO) if status != "cleared" else ZERO
    return Standing(as_of, due, total_paid, max(outstanding, ZERO), arrears, days, status, next_due)
