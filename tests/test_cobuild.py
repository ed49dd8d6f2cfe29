"""Co-building money in the database (issue #18): the sample ledger of 团结新村 against
figures computed here from the raw rows, a ten-year loan with late years on given dates, the
overdue flags of the supervision sweep, and the ledger's append-only rows. Each test runs in
a transaction that is rolled back."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from cases.cobuild import ledger, loans, pairings, report
from cases.cobuild.common import china_date
from cases.cobuild.sample import _System
from cases.cobuild.schedule import Terms, standing
from geo.scope import WHOLE_BANNER, Scope

VILLAGE = "150302101001"  # 团结新村
TOWNSHIP = "150302101"  # 千里山镇
AS_OF = date(2026, 12, 4)  # the sample's last day
CHINA = timezone(timedelta(hours=8))
SYSTEM = _System()


def _sample_fund(conn) -> int:
    return conn.execute(
        text("SELECT id FROM cobuild_fund WHERE village_code = :v"), {"v": VILLAGE}
    ).scalar_one()


def test_the_sample_matches_the_article(conn):
    (pairing,) = pairings.pairings(conn, WHOLE_BANNER, village=VILLAGE)
    assert pairing["partner"] == "武警内蒙古总队乌海支队"
    assert (pairing["yearly_commitment"], pairing["since_year"]) == ("100000.00", 2023)
    assert pairing["received"] == "412600.00"  # "41 万余元"
    cohorts = loans.cohorts(conn, WHOLE_BANNER, fund_id=_sample_fund(conn))
    assert [(c["year"], c["size"], c["loans"]) for c in cohorts] == [
        (2023, 5, 5), (2024, 5, 5), (2025, 5, 5), (2026, 5, 5),
    ]  # fmt: skip
    fund = ledger.get_fund(conn, WHOLE_BANNER, _sample_fund(conn))
    assert fund["terms"] == {
        "loan_amount": "20000.00", "instalment": "2000.00", "years": 10, "cohort_size": 5,
    }  # fmt: skip
    assert fund["disbursed"] == "400000.00"


def test_balances_are_the_sum_of_their_entries(conn):
    fund_id = _sample_fund(conn)
    rows = conn.execute(
        text(
            "SELECT e.booked_on, e.id, e.delta, coalesce(o.kind, e.kind) AS kind "
            "FROM cobuild_entry e LEFT JOIN cobuild_entry o ON o.id = e.reverses_id "
            "WHERE e.fund_id = :f ORDER BY e.booked_on, e.id"
        ),
        {"f": fund_id},
    ).all()
    by_kind: Counter[str] = Counter()
    running, lowest = D(0), D(0)
    for row in rows:
        by_kind[row.kind] += row.delta
        running += row.delta
        lowest = min(lowest, running)
    assert lowest == 0  # never spent money the fund did not hold
    fund = ledger.get_fund(conn, WHOLE_BANNER, fund_id)
    assert fund["balance"] == str(running) == str(sum(by_kind.values()))
    assert fund["received"] == str(by_kind["receipt"]) == "412600.00"
    assert fund["spent"] == str(-by_kind["expense"]) == "12600.00"
    assert fund["repaid"] == str(by_kind["repayment"])
    entries = ledger.ledger(conn, WHOLE_BANNER, fund_id)["entries"]
    assert len(entries) == len(rows) == fund["entries"]
    assert entries[-1]["balance"] == fund["balance"]
    view = conn.execute(
        text("SELECT balance FROM cobuild_fund_balance WHERE fund_id = :f"), {"f": fund_id}
    ).scalar_one()
    assert view == running
    (village,) = report.village_report(conn, WHOLE_BANNER, AS_OF, village=VILLAGE)
    assert village["money"]["balance"] == str(running)


def _independent(amount, disbursed, payments, as_of):
    """Due, paid, arrears and days overdue by hand: 2,000 on each anniversary."""
    dues = [disbursed.replace(year=disbursed.year + k) for k in range(1, 11)]
    paid = sum((a for on, a in payments if on <= as_of), D(0))
    due = D(2000) * sum(1 for d in dues if d <= as_of)
    unpaid = [d for k, d in enumerate(dues) if D(2000) * (k + 1) > paid]
    days = (as_of - unpaid[0]).days if unpaid and unpaid[0] <= as_of else 0
    return due, paid, max(due - paid, D(0)), days if paid < amount else 0


def test_arrears_on_the_sample_against_an_independent_computation(conn):
    fund_id = _sample_fund(conn)
    raw = conn.execute(
        text(
            "SELECT l.id, l.amount, l.disbursed_on, "
            "(SELECT count(*) FROM cobuild_loan_decision d WHERE d.loan_id = l.id) AS decided "
            "FROM cobuild_loan l WHERE l.fund_id = :f ORDER BY l.id"
        ),
        {"f": fund_id},
    ).all()
    paid = conn.execute(
        text(
            "SELECT loan_id, booked_on, delta FROM cobuild_entry "
            "WHERE fund_id = :f AND kind = 'repayment'"
        ),
        {"f": fund_id},
    ).all()
    listed = {x["id"]: x for x in loans.loans(conn, WHOLE_BANNER, AS_OF, fund_id=fund_id)}
    assert len(listed) == len(raw) == 20
    for loan in raw:
        mine = [(p.booked_on, p.delta) for p in paid if p.loan_id == loan.id]
        got = listed[loan.id]
        if loan.decided:  # restructured in 2025: 2,000 paid before, then 1,500 a year
            assert (got["due"], got["paid"], got["arrears"]) == ("3500.00", "3500.00", "0.00")
            assert got["status"] == "restructured"
            continue
        due, total, arrears, days = _independent(loan.amount, loan.disbursed_on, mine, AS_OF)
        assert (got["paid"], got["arrears"], got["days_overdue"]) == (
            f"{total:.2f}", f"{arrears:.2f}", days,
        ), loan.id  # fmt: skip
        if total < loan.amount:
            assert got["due"] == f"{due:.2f}", loan.id
    statuses = Counter(x["status"] for x in listed.values())
    assert statuses == {"current": 16, "overdue": 2, "restructured": 1, "cleared": 1}
    overdue = [x for x in listed.values() if x["status"] == "overdue"]
    assert sorted((x["arrears"], x["cohort_year"]) for x in overdue) == [
        ("2000.00", 2024), ("2000.00", 2025),
    ]  # fmt: skip
    (village,) = report.village_report(conn, WHOLE_BANNER, AS_OF, village=VILLAGE)
    assert village["loans"]["arrears"] == "4000.00"
    assert village["loans"]["overdue"] == 2


def test_a_ten_year_schedule_with_two_late_years():
    """Lent 2016-05-10; 2017 and 2018 paid on time, 2019 and 2020 missed, 2,000 paid late on
    2020-07-01."""
    terms = Terms(D(20000), D(2000), 10, date(2016, 5, 10))
    paid = [
        (date(2017, 5, 10), D(2000)),
        (date(2018, 5, 12), D(2000)),
        (date(2020, 7, 1), D(2000)),
    ]
    on_time = standing(terms, paid, [], date(2019, 5, 10))  # the day the third falls due
    assert (on_time.due, on_time.arrears, on_time.days_overdue) == (D(6000), D(2000), 0)
    assert on_time.status == "current"
    before = standing(terms, paid, [], date(2020, 6, 9))
    assert (before.due, before.paid, before.arrears) == (D(8000), D(4000), D(4000))
    assert (before.days_overdue, before.status) == (396, "overdue")  # since 2019-05-10
    after = standing(terms, paid, [], date(2020, 7, 15))
    assert (after.paid, after.arrears, after.days_overdue) == (D(6000), D(2000), 66)
    assert after.outstanding == D(14000)
    assert after.next_due_on == date(2021, 5, 10)


def _books(conn, village: str = "150621001001", since: date = date(2016, 1, 5)) -> dict:
    """A pairing, a fund with ¥100,000 received and a cohort of 2016, as the system."""
    pairing = pairings.record(
        conn, SYSTEM, pairings.PairingIn(village, "某部队", "共建协议", D(100000), since)
    )
    fund = ledger.create_fund(conn, SYSTEM, ledger.FundIn(village, "测试资金", pairing["id"]))
    ledger.post(
        conn, SYSTEM, fund["id"],
        ledger.EntryIn("receipt", D(100000), since, "年度资金", "V1", pairing["id"]),
    )  # fmt: skip
    cohort = loans.create_cohort(
        conn, SYSTEM, fund["id"], loans.CohortIn(2016, "决议", date(2016, 4, 1), date(2016, 4, 5))
    )
    return {"fund": fund["id"], "cohort": cohort["id"], "pairing": pairing["id"]}


def test_the_same_loan_posted_through_the_ledger(conn):
    books = _books(conn)
    loan = loans.disburse(
        conn, SYSTEM, loans.LoanIn(books["cohort"], "H-1", "张三丰", date(2016, 5, 10))
    )
    for on in (date(2017, 5, 10), date(2018, 5, 12), date(2020, 7, 1)):
        loans.repay(conn, SYSTEM, loan["id"], loans.RepaymentIn(D(2000), on))
    got = loans.get_loan(conn, WHOLE_BANNER, loan["id"], date(2020, 6, 9))
    assert (got["due"], got["paid"], got["arrears"], got["days_overdue"]) == (
        "8000.00", "4000.00", "4000.00", 396,
    )  # fmt: skip
    assert got["borrower"] == "张**"
    assert [s["due_on"] for s in got["schedule"]][:3] == ["2017-05-10", "2018-05-10", "2019-05-10"]
    # the sweep flags it 30 days after the missed instalment, not 29, and once
    day29 = datetime(2019, 6, 8, 12, tzinfo=CHINA)
    assert loans.sweep_loans(conn, day29) == Counter()
    day30 = datetime(2019, 6, 9, 12, tzinfo=CHINA)
    assert loans.sweep_loans(conn, day30) == Counter({"loan_overdue": 1})
    assert loans.sweep_loans(conn, day30 + timedelta(days=3)) == Counter()
    flagged = loans.flags(conn, Scope(area_prefix="150621001"))
    assert [(f["loan_id"], f["due_on"], f["days_overdue"]) for f in flagged] == [
        (loan["id"], "2019-05-10", 30)
    ]
    assert loans.flags(conn, Scope(area_prefix="150621002")) == []


def test_the_sweep_flags_the_samples_two_loans_in_arrears(conn):
    now = datetime(2026, 12, 4, 4, tzinfo=UTC)
    # the service's own sweep (every minute while the suite runs) may have flagged them first
    assert loans.sweep_loans(conn, now)["loan_overdue"] in (0, 2)
    assert loans.sweep_loans(conn, now) == Counter()  # once per missed instalment
    flagged = loans.flags(conn, Scope(area_prefix=TOWNSHIP))
    assert len(flagged) == 2
    assert {f["village"]["code"] for f in flagged} == {VILLAGE}
    for f in flagged:  # counted on the China day of the sweep that flagged it
        day = china_date(datetime.fromisoformat(f["flagged_at"]))
        assert f["days_overdue"] == (day - date.fromisoformat(f["due_on"])).days >= 30
    assert all(f["borrower"].endswith("*") for f in flagged)
    assert loans.flags(conn, Scope(area_prefix="150302101002")) == []  # another village


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE cobuild_entry SET delta = delta * 2",
        "DELETE FROM cobuild_entry",
        "UPDATE cobuild_loan SET amount = 1",
        "DELETE FROM cobuild_payment",
        "TRUNCATE cobuild_delivery CASCADE",
        "DELETE FROM cobuild_notice",
    ],
)
def test_posted_rows_are_append_only(conn, statement):
    with pytest.raises(DBAPIError, match="is append-only") as refused, conn.begin_nested():
        conn.execute(text(statement))
    assert refused.value.orig.sqlstate == "42501"
