"""Co-building money through the API (issue #18): every bad input the issue lists is a 422
naming the field with nothing written; reversals; two repayments posted at once for one loan
count once; scope (a village's township sees it, another township does not); Excel.

The books are written in a Dalad village of their own (committed: ledger rows cannot be
deleted), so the sample of 团结新村 is untouched."""

from __future__ import annotations

import io
import json
import re
import threading
from datetime import date
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from api import cobuild_schemas as s
from cases.cobuild import loans
from cases.cobuild.sample import _System
from geo.errors import InvalidInput

API = "/api/v1"
TABLES = (
    "cobuild_pairing", "cobuild_fund", "cobuild_project", "cobuild_cohort", "cobuild_loan",
    "cobuild_entry", "cobuild_loan_decision", "cobuild_procurement", "cobuild_delivery",
    "cobuild_payment", "cobuild_notice",
)  # fmt: skip


def _written(engine):
    """Rows in every co-building table and their audit entries."""
    counts = ", ".join(f"(SELECT count(*) FROM {t})" for t in TABLES)
    with engine.connect() as conn:
        return conn.execute(
            text(f"SELECT {counts}, (SELECT count(*) FROM audit_log WHERE action LIKE 'cobuild.%')")
        ).one()


def _ok(answer, status=201):
    assert answer.status_code == status, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def books(client, engine):
    """A village's books: ¥100,000 received in 2024, five households lent ¥20,000 each in
    March 2024, the 2025 cohort chosen; household H-1 paid its 2025 instalment, the others
    not yet. A procurement agreement with one delivery (¥420.00 accepted, ¥400.00 paid)."""
    with engine.connect() as conn:
        village = conn.execute(
            text(
                "SELECT min(code) FROM area WHERE level = 'village' AND code LIKE '150621004%' "
                "AND generation_high IS NULL"
            )
        ).scalar_one()
    pairing = _ok(client.post(f"{API}/pairings", json={
        "village": village, "partner": "某部队", "agreement": "共建协议",
        "yearly_commitment": "100000", "since": "2024-01-05"}))  # fmt: skip
    fund = _ok(client.post(f"{API}/funds", json={
        "village": village, "name": "测试共建资金", "pairing_id": pairing["id"]}))  # fmt: skip
    f = fund["id"]
    receipt = _ok(client.post(f"{API}/funds/{f}/entries", json={
        "kind": "receipt", "amount": 100000, "booked_on": "2024-01-10", "purpose": "年度资金",
        "voucher": "V-1", "pairing_id": pairing["id"]}))  # fmt: skip
    cohorts = {}
    for year in (2024, 2025):
        cohorts[year] = _ok(client.post(f"{API}/funds/{f}/cohorts", json={
            "year": year, "decision": f"{year} 年决议", "decided_on": f"{year}-02-01",
            "notice_on": f"{year}-02-05"}))["id"]  # fmt: skip
    lent = {}
    for n in range(1, 6):
        lent[f"H-{n}"] = _ok(client.post(f"{API}/loans", json={
            "cohort_id": cohorts[2024], "household": f"H-{n}", "borrower": "王建国",
            "disbursed_on": "2024-03-01"}))["id"]  # fmt: skip
    _ok(client.post(f"{API}/loans/{lent['H-1']}/repayments",
                    json={"amount": "2000.00", "booked_on": "2025-03-01"}))  # fmt: skip
    agreement = _ok(client.post(f"{API}/procurement", json={
        "village": village, "buyer": "部队食堂", "price_rule": "市场价",
        "signed_on": "2024-05-01", "pairing_id": pairing["id"],
        "products": [{"name": "蔬菜", "unit": "千克", "price": "4.20"}]}))  # fmt: skip
    delivery = _ok(client.post(f"{API}/procurement/{agreement['id']}/deliveries", json={
        "household": "H-1", "product": "蔬菜", "delivered_on": "2024-06-01",
        "quantity": "105", "accepted": "100", "quality": "拒收 5 千克"}))  # fmt: skip
    assert delivery["amount"] == "420.00"
    _ok(client.post(f"{API}/procurement/{agreement['id']}/payments", json={
        "delivery_id": delivery["id"], "amount": "400", "paid_on": "2024-06-20"}))  # fmt: skip
    return {
        "village": village, "pairing": pairing["id"], "fund": f, "cohorts": cohorts,
        "loans": lent, "receipt": receipt["id"], "agreement": agreement["id"],
        "delivery": delivery["id"],
    }  # fmt: skip


def test_the_books_add_up(client, books):
    fund = s.Fund.model_validate(_ok(client.get(f"{API}/funds/{books['fund']}"), 200))
    assert (fund.received, fund.disbursed, fund.repaid, fund.balance) == (
        "100000.00", "100000.00", "2000.00", "2000.00",
    )  # fmt: skip
    h2 = s.Loan.model_validate(
        _ok(client.get(f"{API}/loans/{books['loans']['H-2']}?as_of=2025-04-01"), 200)
    )
    assert (h2.due, h2.paid, h2.arrears, h2.days_overdue, h2.status) == (
        "2000.00", "0.00", "2000.00", 31, "overdue",
    )  # fmt: skip


#: (what, method, path, body) of every bad input of the issue and a few more; each must be
#: a 422 naming ``field``. Paths are filled from the books.
BAD = [
    ("negative amount", "amount", "post", "/funds/{fund}/entries",
     {"kind": "receipt", "amount": "-5", "booked_on": "2025-01-02", "purpose": "x",
      "pairing_id": "{pairing}"}),
    ("fractional fen", "amount", "post", "/funds/{fund}/entries",
     {"kind": "receipt", "amount": 12.345, "booked_on": "2025-01-02", "purpose": "x",
      "pairing_id": "{pairing}"}),
    ("a float that is not exact fen", "amount", "post", "/funds/{fund}/entries",
     '{"kind": "expense", "amount": 0.30000000000000004, "booked_on": "2025-01-02", '
     '"purpose": "x"}'),
    ("zero", "amount", "post", "/funds/{fund}/entries",
     {"kind": "expense", "amount": "0.00", "booked_on": "2025-01-02", "purpose": "x"}),
    ("a receipt without a pairing", "pairing_id", "post", "/funds/{fund}/entries",
     {"kind": "receipt", "amount": "100", "booked_on": "2025-01-02", "purpose": "x"}),
    ("an expense beyond the balance", "amount", "post", "/funds/{fund}/entries",
     {"kind": "expense", "amount": "2000.01", "booked_on": "2025-01-02", "purpose": "x"}),
    ("money booked in the future", "booked_on", "post", "/funds/{fund}/entries",
     {"kind": "expense", "amount": "1", "booked_on": "2099-01-02", "purpose": "x"}),
    ("a sixth loan in a cohort of five", "cohort_id", "post", "/loans",
     {"cohort_id": "{cohort_2024}", "household": "H-6", "borrower": "李四",
      "disbursed_on": "2024-03-02"}),
    ("a loan beyond the fund's balance", "amount", "post", "/loans",
     {"cohort_id": "{cohort_2025}", "household": "H-9", "borrower": "李四",
      "disbursed_on": "2025-03-05"}),
    ("a loan to a household in arrears", "household", "post", "/loans",
     {"cohort_id": "{cohort_2025}", "household": "H-2", "borrower": "李四",
      "disbursed_on": "2025-03-05"}),
    ("a loan before the cohort's notice", "disbursed_on", "post", "/loans",
     {"cohort_id": "{cohort_2025}", "household": "H-9", "borrower": "李四",
      "disbursed_on": "2025-02-02"}),
    ("a repayment above what is outstanding", "amount", "post", "/loans/{loan_h1}/repayments",
     {"amount": "18000.01", "booked_on": "2025-03-10", "prepayment": True}),
    ("a repayment above what is due, not a prepayment", "amount", "post",
     "/loans/{loan_h1}/repayments", {"amount": "2000", "booked_on": "2025-03-10"}),
    ("an entry edited after posting", "entry_id", "patch", "/funds/{fund}/entries/{receipt}",
     {"amount": "1"}),
    ("an entry deleted after posting", "entry_id", "delete", "/funds/{fund}/entries/{receipt}",
     None),
    ("a restructuring without its terms", "instalment", "post", "/loans/{loan_h2}/decisions",
     {"kind": "restructure", "decision": "村委会决议", "decided_on": "2025-04-01",
      "years": 12, "first_due_on": "2026-03-01"}),
    ("accepted more than delivered", "accepted", "post",
     "/procurement/{agreement}/deliveries",
     {"household": "H-1", "product": "蔬菜", "delivered_on": "2024-07-01", "quantity": "10",
      "accepted": "11"}),
    ("a product the agreement does not name", "product", "post",
     "/procurement/{agreement}/deliveries",
     {"household": "H-1", "product": "羊肉", "delivered_on": "2024-07-01", "quantity": "10",
      "accepted": "10"}),
    ("a payment above what is unpaid", "amount", "post", "/procurement/{agreement}/payments",
     {"delivery_id": "{delivery}", "amount": "20.01", "paid_on": "2024-07-01"}),
    ("a cohort size of 0", "cohort_size", "post", "/funds",
     {"village": "{village}", "name": "x", "cohort_size": 0}),
    ("a notice published in the future", "published_on", "post", "/cobuild/notices",
     {"village": "{village}", "published_on": "2099-01-01"}),
    ("a pairing in the future", "since", "post", "/pairings",
     {"village": "{village}", "partner": "x", "agreement": "x", "yearly_commitment": "1",
      "since": "2099-01-01"}),
]  # fmt: skip


def _fill(value, books):
    names = {
        "fund": books["fund"], "pairing": books["pairing"], "receipt": books["receipt"],
        "cohort_2024": books["cohorts"][2024], "cohort_2025": books["cohorts"][2025],
        "loan_h1": books["loans"]["H-1"], "loan_h2": books["loans"]["H-2"],
        "agreement": books["agreement"], "delivery": books["delivery"],
        "village": books["village"],
    }  # fmt: skip
    if isinstance(value, dict):
        return {k: _fill(v, books) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return names[value[1:-1]]
    return value


@pytest.mark.parametrize(("what", "field", "method", "path", "body"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_input_is_a_422_naming_the_field_and_writes_nothing(
    client, engine, books, what, field, method, path, body
):
    url = API + path.format(**{k: _fill("{" + k + "}", books) for k in _keys(path)})
    before = _written(engine)
    if isinstance(body, str):
        answer = client.request(
            method, url, content=body, headers={"Content-Type": "application/json"}
        )
    else:
        answer = client.request(method, url, json=_fill(body, books))
    assert answer.status_code == 422, (what, answer.status_code, answer.text)
    assert field in [e["field"] for e in answer.json()["errors"]], (what, answer.text)
    assert _written(engine) == before, what


def _keys(path):
    return re.findall(r"\{(\w+)\}", path)


def test_a_reversal_keeps_the_books_and_happens_once(client, books):
    f = books["fund"]
    extra = _ok(client.post(f"{API}/funds/{f}/entries", json={
        "kind": "receipt", "amount": "500.50", "booked_on": "2025-05-01", "purpose": "慰问金",
        "pairing_id": books["pairing"]}))  # fmt: skip
    before = s.Fund.model_validate(_ok(client.get(f"{API}/funds/{f}"), 200))
    no_reason = client.post(f"{API}/funds/{f}/entries/{extra['id']}/reverse", json={})
    assert no_reason.status_code == 422
    reversal = _ok(client.post(f"{API}/funds/{f}/entries/{extra['id']}/reverse",
                               json={"reason": "重复入账"}))  # fmt: skip
    assert (reversal["kind"], reversal["delta"], reversal["reverses_id"]) == (
        "reversal", "-500.50", extra["id"],
    )  # fmt: skip
    assert reversal["pairing_id"] == books["pairing"]
    after = s.Fund.model_validate(_ok(client.get(f"{API}/funds/{f}"), 200))
    assert D(after.balance) == D(before.balance) - D("500.50")
    assert after.received == "100000.00"  # the receipt and its reversal cancel out
    again = client.post(f"{API}/funds/{f}/entries/{extra['id']}/reverse", json={"reason": "x"})
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "entry_id"
    entries = client.get(f"{API}/funds/{f}/ledger").json()["entries"]
    disbursement = next(e for e in entries if e["kind"] == "disbursement")
    refused = client.post(
        f"{API}/funds/{f}/entries/{disbursement['id']}/reverse", json={"reason": "x"}
    )
    assert refused.status_code == 422


def test_two_repayments_posted_at_once_count_once(client, engine, books):
    loan_id = books["loans"]["H-3"]  # owes its 2025 instalment, 2,000
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def repay() -> None:
        barrier.wait()
        try:
            with engine.begin() as conn:
                loans.repay(conn, _System(), loan_id, loans.RepaymentIn(D(2000), date(2025, 3, 20)))
            outcomes.append("posted")
        except InvalidInput as refused:
            outcomes.append(refused.field)

    threads = [threading.Thread(target=repay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["amount", "amount", "amount", "posted"]
    loan = _ok(client.get(f"{API}/loans/{loan_id}?as_of=2025-03-20"), 200)
    assert (loan["paid"], loan["arrears"], len(loan["repayments"])) == ("2000.00", "0.00", 1)


def test_a_write_off_needs_a_decision_and_stops_repayments(client, books):
    loan_id = books["loans"]["H-5"]
    decided = _ok(
        client.post(
            f"{API}/loans/{loan_id}/decisions",
            json={
                "kind": "write_off",
                "decision": "村民代表会议决议：该户已故，核销",
                "decided_on": "2025-06-01",
            },
        )
    )
    assert (decided["status"], decided["status_label"]) == ("written_off", "已核销")
    refused = client.post(f"{API}/loans/{loan_id}/repayments",
                          json={"amount": "100", "booked_on": "2025-06-02"})  # fmt: skip
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "loan_id"


def test_scope_a_township_sees_its_villages_only(client, auth, books):
    sample = client.get(f"{API}/funds?village=150302101001").json()
    assert len(sample) == 1
    fund = sample[0]["id"]
    assert client.get(f"{API}/funds/{fund}", headers=auth("haibowan_township")).status_code == 200
    assert client.get(f"{API}/funds/{fund}", headers=auth("township")).status_code == 404
    assert client.get(f"{API}/funds", headers=auth("township")).json() == []
    mine = client.get(f"{API}/pairings", headers=auth("haibowan_township")).json()
    assert [p["village"]["code"] for p in mine] == ["150302101001"]
    # a grid worker reads but does not keep the books
    written = client.post(f"{API}/funds/{fund}/entries", headers=auth("grid_worker"), json={
        "kind": "expense", "amount": "1", "booked_on": "2025-01-02", "purpose": "x"})  # fmt: skip
    assert written.status_code == 403
    # a township of Haibowan cannot write into another township's village
    elsewhere = client.post(f"{API}/pairings", headers=auth("haibowan_township"), json={
        "village": books["village"], "partner": "x", "agreement": "x", "yearly_commitment": "1",
        "since": "2025-01-01"})  # fmt: skip
    assert elsewhere.status_code == 422
    assert elsewhere.json()["errors"][0]["field"] == "village"


def test_the_report_and_the_excel_downloads(client):
    found = s.Report.model_validate(
        _ok(client.get(f"{API}/cobuild/report?village=150302101001&as_of=2026-12-04"), 200)
    )
    (village,) = found.villages
    assert village.village.name == "团结新村"
    assert (village.since_year, village.money["received"]) == (2023, "412600.00")
    assert village.loans["by_status"] == {
        "cleared": 1, "current": 16, "overdue": 2, "restructured": 1,
    }  # fmt: skip
    assert village.projects == {"planned": 2, "done": 1, "budget": "20600.00", "spent": "12600.00"}
    assert len(found.income) == 20
    book = load_workbook(io.BytesIO(
        client.get(f"{API}/cobuild/report?village=150302101001&format=xlsx").content))  # fmt: skip
    rows = list(book.active.values)
    assert rows[0][:3] == ("村代码", "村名", "结对单位")
    assert rows[1][:3] == ("150302101001", "团结新村", "武警内蒙古总队乌海支队")
    assert rows[1][5] == D("412600.00")
    fund = client.get(f"{API}/funds?village=150302101001").json()[0]
    ledger = client.get(f"{API}/funds/{fund['id']}/ledger").json()
    sheet = load_workbook(io.BytesIO(
        client.get(f"{API}/funds/{fund['id']}/ledger?format=xlsx").content)).active  # fmt: skip
    cells = list(sheet.values)
    assert len(cells) == len(ledger["entries"]) + 1
    assert cells[-1][6] == D(ledger["fund"]["balance"])
    assert sum(r[4] or 0 for r in cells[1:]) - sum(r[5] or 0 for r in cells[1:]) == D(
        ledger["fund"]["balance"]
    )


def test_the_paired_villages_layer(client, auth):
    layer = client.get(f"{API}/pairings/map", headers=auth("haibowan_township")).json()
    (feature,) = layer["features"]
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    props = feature["properties"]
    assert (props["partner"], props["since_year"], props["received"]) == (
        "武警内蒙古总队乌海支队", 2023, "412600.00",
    )  # fmt: skip
    assert client.get(f"{API}/pairings/map", headers=auth("township")).json()["features"] == []
    json.dumps(layer)  # plain JSON: no Decimal left


def test_a_published_notice_shows_its_period(client, auth, books):
    notice = s.Notice.model_validate(_ok(client.post(f"{API}/cobuild/notices", json={
        "village": books["village"], "published_on": "2025-06-01", "days": 7})))  # fmt: skip
    assert (notice.published_on, notice.until_on) == ("2025-06-01", "2025-06-07")
    assert notice.title.endswith("结对共建资金公示")
    assert notice.summary["money"]["received"] == "100000.00"
    listed = client.get(f"{API}/cobuild/notices?village={books['village']}").json()
    assert [n["id"] for n in listed] == [notice.id]
    assert client.get(f"{API}/cobuild/notices", headers=auth("township_peer")).json() == []
    page = client.get(f"/maps/cobuild?village={books['village']}")
    assert "公示期：2025年6月1日至2025年6月7日" in page.text
