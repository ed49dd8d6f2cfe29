"""The co-building sample of 团结新村 (千里山镇, 海勃湾区; issue #18), after the article.

The article: the armed-police detachment pairs with the village and gives ¥100,000 a year;
"since the pairing" it has put in "41 万余元"; the village lends ¥20,000 interest-free to 5
households a year, each repaying ¥2,000 a year for 10 years (借鸡下蛋); the unit buys the
villagers' produce under a directed procurement agreement (以买代帮). Read against the
sample's clock (its routines end on 2026-12-04), ¥410,000 and more at ¥100,000 a year is the
fourth year: the pairing is dated 2023, and the receipts are four yearly ¥100,000 plus one
extra ¥12,600 (cold storage for the vegetable distribution workshop) = ¥412,600.

Four cohorts of five loans (2023–2026); most instalments are paid within ten days of falling
due, some 40–90 days late, two loans are in arrears now (flagged by the sweep once 30 days
overdue), one was restructured on a recorded decision and one repaid early (a prepayment).
Monthly deliveries of vegetables, eggs and mutton from 2023-06, each accepted (a few partly
rejected) and paid two to three weeks later, the last month's not yet; the notice (公示) of
2026-12-01, posted for a week. Names are synthetic.

Writes ``cobuild.json``: the village, the pairing, the fund, the projects and the events in
booking order; :mod:`cases.cobuild.sample` posts them through the ledger's own functions.
Deterministic (one seed).
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

SEED = 18_2026
VILLAGE = "150302101001"
END = date(2026, 12, 4)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = [
    "建国",
    "桂兰",
    "志强",
    "秀英",
    "海军",
    "玉梅",
    "德胜",
    "春花",
    "永平",
    "凤琴",
    "树林",
    "金花",
    "宝山",
    "淑珍",
    "振华",
    "红梅",
]
RECEIPTS = [
    (date(2023, 3, 20), "100000.00", "2023 年度共建帮扶资金", "WJ-2023-01"),
    (date(2024, 3, 18), "100000.00", "2024 年度共建帮扶资金", "WJ-2024-01"),
    (date(2024, 9, 26), "12600.00", "助农增收集中行动追加：配送车间冷藏设备", "WJ-2024-02"),
    (date(2025, 3, 17), "100000.00", "2025 年度共建帮扶资金", "WJ-2025-01"),
    (date(2026, 3, 16), "100000.00", "2026 年度共建帮扶资金", "WJ-2026-01"),
]  # fmt: skip
PRODUCTS = [
    {"name": "蔬菜", "unit": "千克", "price": "4.20", "expected_quantity": "30000"},
    {"name": "鸡蛋", "unit": "千克", "price": "11.00", "expected_quantity": "3000"},
    {"name": "羊肉", "unit": "千克", "price": "78.00", "expected_quantity": "1500"},
]


def _anniversary(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _loans(rng: random.Random, events: list[dict[str, Any]]) -> None:
    names = rng.sample([s + g for s in SURNAMES for g in GIVEN], 20)
    for index, year in enumerate(range(2023, 2027)):
        decided, notice = date(year, 4, 6), date(year, 4, 10)
        events.append(
            {"on": decided.isoformat(), "op": "cohort", "year": year,
             "decision": f"村党支部、村委会联席会议决议（{year}）第 3 号：借鸡下蛋扶持户 5 户",
             "decided_on": decided.isoformat(), "notice_on": notice.isoformat()}
        )  # fmt: skip
        for k in range(5):
            n = index * 5 + k
            household = f"TJ-{n + 1:03d}"
            disbursed = date(year, 4, 20 + k)
            events.append(
                {"on": disbursed.isoformat(), "op": "loan", "cohort": year,
                 "household": household, "borrower": names[n],
                 "voucher": f"JJ-{year}-{k + 1:02d}"}
            )  # fmt: skip
            _repayments(rng, events, n, household, disbursed)


#: Loans with a story of their own (by their place among the twenty): in arrears now,
#: restructured, repaid early.
IN_ARREARS = {6: 2026, 11: 2026}
RESTRUCTURED = 2
PREPAID = 4


def _repayments(
    rng: random.Random, events: list[dict[str, Any]], n: int, household: str, disbursed: date
) -> None:
    paid = 0
    for k in range(1, 11):
        due = _anniversary(disbursed, k)
        if due > END:
            break
        if IN_ARREARS.get(n) == due.year or (n == PREPAID and due.year == 2026):
            break
        if n == RESTRUCTURED and due.year == 2025:
            events.append(
                {"on": "2025-08-12", "op": "restructure", "household": household,
                 "decision": "村委会决议（2025）第 7 号：因病减收，余款每年还 1500 元，12 年还清",
                 "decided_on": "2025-08-12", "instalment": "1500.00", "years": 12,
                 "first_due_on": "2026-04-22"}
            )  # fmt: skip
            events.append(_repay(date(2026, 4, 28), household, "1500.00"))
            return
        late = rng.random() < 0.15
        on = due + timedelta(days=rng.randint(40, 90) if late else rng.randint(0, 10))
        if on > END:
            break
        events.append(_repay(on, household, "2000.00"))
        paid += 2000
    if n == PREPAID:
        on = date(2026, 6, 15)
        events.append(_repay(on, household, f"{20000 - paid}.00", prepayment=True))


def _repay(on: date, household: str, amount: str, prepayment: bool = False) -> dict[str, Any]:
    return {"on": on.isoformat(), "op": "repay", "household": household, "amount": amount,
            "prepayment": prepayment, "voucher": f"HK-{on:%Y%m%d}-{household[-3:]}"}  # fmt: skip


def _procurement(rng: random.Random, events: list[dict[str, Any]]) -> None:
    month = date(2023, 6, 1)
    deliveries = 0
    while month <= END:
        for household in rng.sample([f"TJ-{n:03d}" for n in range(1, 21)], 4):
            product = rng.choices(PRODUCTS, weights=(6, 2, 1))[0]
            day = month + timedelta(days=rng.randint(2, 25))
            if day > END:
                continue
            scale = {"蔬菜": 400, "鸡蛋": 60, "羊肉": 25}[product["name"]]
            quantity = round(scale * rng.uniform(0.5, 1.5), 1)
            rejected = round(quantity * rng.uniform(0.02, 0.08), 1) if rng.random() < 0.1 else 0
            quality = "合格" if not rejected else f"部分不合格，拒收 {rejected} 千克"
            price = float(product["price"]) * rng.uniform(0.95, 1.05)
            events.append(
                {"on": day.isoformat(), "op": "delivery", "key": deliveries, "household": household,
                 "product": product["name"], "quantity": f"{quantity:.1f}",
                 "accepted": f"{quantity - rejected:.1f}", "quality": quality,
                 "price": f"{price:.2f}"}
            )  # fmt: skip
            paid_on = day + timedelta(days=rng.randint(14, 21))
            if paid_on <= END:
                events.append(
                    {"on": paid_on.isoformat(), "op": "payment", "delivery": deliveries,
                     "voucher": f"CG-{paid_on:%Y%m%d}-{deliveries:03d}"}
                )  # fmt: skip
            deliveries += 1
        month = (month + timedelta(days=32)).replace(day=1)


def build() -> dict[str, Any]:
    rng = random.Random(SEED)
    events: list[dict[str, Any]] = [
        {"on": on.isoformat(), "op": "receipt", "amount": amount, "purpose": purpose,
         "voucher": voucher}
        for on, amount, purpose, voucher in RECEIPTS
    ]  # fmt: skip
    events += [
        {"on": "2024-10-15", "op": "expense", "amount": "12600.00", "project": 0,
         "purpose": "蔬菜配送车间冷藏设备（冷柜 2 台、保温箱 20 个）", "voucher": "ZC-2024-01"},
        {"on": "2024-11-20", "op": "complete", "project": 0,
         "evidence": "设备验收单 TJ-2024-11，照片 3 张，村务公开栏公示 7 天"},
        {"on": "2023-05-08", "op": "agreement"},
    ]  # fmt: skip
    _loans(rng, events)
    _procurement(rng, events)
    events.append({"on": "2026-12-01", "op": "notice", "days": 7})  # 公示 for a week
    order = {"receipt": 0, "agreement": 1, "cohort": 2, "repay": 3, "restructure": 4, "notice": 9}
    events.sort(key=lambda e: (e["on"], order.get(e["op"], 5)))
    return {
        "village": VILLAGE,
        "pairing": {
            "partner": "武警内蒙古总队乌海支队",
            "agreement": "军民共建帮扶协议：每年共建帮扶资金 10 万元，优先采购本村农副产品",
            "yearly_commitment": "100000.00",
            "since": "2023-03-05",
        },
        "fund": {"name": "团结新村军民共建帮扶资金"},
        "projects": [
            {
                "year": 2024,
                "name": "蔬菜配送车间冷藏设备",
                "budget": "12600.00",
                "plan": "购置冷柜 2 台、保温箱 20 个，保障部队食堂蔬菜配送",
            },
            {
                "year": 2026,
                "name": "日光温室滴灌改造",
                "budget": "8000.00",
                "plan": "示范户 3 座温室改滴灌，待周转金回收后实施",
            },
        ],
        "agreement": {
            "buyer": "武警乌海支队（官兵食堂）",
            "products": PRODUCTS,
            "price_rule": "按海勃湾区农贸市场当月批发均价结算，浮动不超过 5%，价格写入验收单",
            "signed_on": "2023-05-08",
        },
        "events": events,
    }


def write_cobuild(out_dir: Path) -> None:
    """Write ``cobuild.json`` into ``out_dir``."""
    text = json.dumps(build(), ensure_ascii=False, indent=1) + "\n"
    (out_dir / "cobuild.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_cobuild(Path(__file__).resolve().parent)
