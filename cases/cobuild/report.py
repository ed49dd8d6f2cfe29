"""The report per village: pairings, money in and out, loans outstanding and arrears,
procurement income, projects done against planned; one row per village for Excel.

Built from the same functions the API answers with (no figure computed twice): the funds'
sums, each loan's standing on ``as_of``, the agreements' totals and the projects.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from cases.cobuild import common, ledger, loans, procurement
from cases.cobuild.money import text
from cases.cobuild.pairings import pairings
from cases.cobuild.sql import query
from geo.scope import Scope

#: The report's Excel columns: (key, Chinese header, width).
COLUMNS: list[tuple[str, str, float]] = [
    ("village.code", "村代码", 16),
    ("village.name", "村名", 12),
    ("partners", "结对单位", 24),
    ("since_year", "结对年份", 10),
    ("yearly_commitment", "年度承诺（元）", 14),
    ("money.received", "累计收到（元）", 14),
    ("money.spent", "项目支出（元）", 14),
    ("money.disbursed", "借出（元）", 14),
    ("money.repaid", "收回（元）", 14),
    ("money.balance", "结余（元）", 14),
    ("loans.count", "借款户数", 10),
    ("loans.outstanding", "未还本金（元）", 14),
    ("loans.arrears", "逾期欠款（元）", 14),
    ("loans.overdue", "逾期户数", 10),
    ("procurement.accepted_value", "采购验收金额（元）", 16),
    ("procurement.paid", "采购已付（元）", 14),
    ("procurement.households", "供货户数", 10),
    ("projects.planned", "计划项目", 10),
    ("projects.done", "完成项目", 10),
]


def _sum(items: list[dict[str, Any]], key: str) -> Decimal:
    return sum((Decimal(i[key]) for i in items), Decimal(0))


def village_report(
    conn: Connection, scope: Scope, as_of: date, *, village: str | None = None
) -> list[dict[str, Any]]:
    """One report per village in ``scope`` that has a pairing, a fund or an agreement (or
    just ``village``), on ``as_of``."""
    paired = pairings(conn, scope, village=village)
    funds = ledger.funds(conn, scope, village=village)
    lent = loans.loans(conn, scope, as_of, village=village)
    bought = procurement.agreements(conn, scope, village=village)
    planned = ledger.projects(conn, scope, village=village)
    names = {p["village"]["code"]: p["village"]["name"] for p in paired}
    codes = sorted(
        {p["village"]["code"] for p in paired}
        | {f["village_code"] for f in funds}
        | {a["village_code"] for a in bought}
    )
    out = []
    for code in codes:
        mine = [p for p in paired if p["village"]["code"] == code]
        its_funds = [f for f in funds if f["village_code"] == code]
        its_loans = [x for x in lent if x["village_code"] == code]
        its_buys = [a for a in bought if a["village_code"] == code]
        its_projects = [j for j in planned if j["village_code"] == code]
        statuses = Counter(x["status"] for x in its_loans)
        out.append(
            {
                "village": {"code": code, "name": names.get(code)},
                "as_of": as_of.isoformat(),
                "partners": [p["partner"] for p in mine],
                "since_year": min((p["since_year"] for p in mine), default=None),
                "yearly_commitment": text(_sum(mine, "yearly_commitment")),
                "pairings": mine,
                "money": {
                    key: text(_sum(its_funds, key))
                    for key in ("received", "spent", "disbursed", "repaid", "balance")
                },
                "loans": {
                    "count": len(its_loans),
                    "amount": text(_sum(its_loans, "amount")),
                    "paid": text(_sum(its_loans, "paid")),
                    "outstanding": text(_sum(its_loans, "outstanding")),
                    "arrears": text(_sum(its_loans, "arrears")),
                    "overdue": statuses["overdue"],
                    "by_status": dict(sorted(statuses.items())),
                },
                "procurement": {
                    "agreements": len(its_buys),
                    "deliveries": sum(a["deliveries"] for a in its_buys),
                    "households": sum(a["households"] for a in its_buys),
                    "accepted_value": text(_sum(its_buys, "accepted_value")),
                    "paid": text(_sum(its_buys, "paid")),
                },
                "projects": {
                    "planned": len(its_projects),
                    "done": sum(1 for j in its_projects if j["done"]),
                    "budget": text(_sum(its_projects, "budget")),
                    "spent": text(_sum(its_projects, "spent")),
                },
            }
        )
    return out


#: The ledger's Excel columns (``GET /funds/{id}/ledger?format=xlsx``).
LEDGER_COLUMNS: list[tuple[str, str, float]] = [
    ("id", "序号", 8),
    ("booked_on", "日期", 12),
    ("kind_label", "类别", 8),
    ("purpose", "摘要", 36),
    ("income", "收入（元）", 14),
    ("outgoing", "支出（元）", 14),
    ("balance", "余额（元）", 14),
    ("voucher", "凭证号", 16),
    ("partner", "结对单位", 20),
    ("project", "项目", 20),
    ("household", "借款户", 12),
    ("reason", "冲正原因", 24),
]


def excel_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with their amounts as numbers, so a sheet can sum them: every amount text
    (``"412600.00"``) becomes a ``Decimal``, nested ones too; a ledger entry gains ``income``
    and ``outgoing`` columns."""

    def convert(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: convert(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return "、".join(str(v) for v in value) if key == "partners" else value
        if isinstance(value, str) and key in AMOUNT_KEYS:
            return Decimal(value)
        return value

    out = []
    for row in rows:
        item = convert(row)
        if "delta" in row:
            delta = Decimal(row["delta"])
            item["income"] = delta if delta > 0 else None
            item["outgoing"] = -delta if delta < 0 else None
        out.append(item)
    return out


AMOUNT_KEYS = frozenset(
    {
        "yearly_commitment", "received", "spent", "disbursed", "repaid", "balance", "amount",
        "paid", "outstanding", "arrears", "accepted_value", "budget", "delta",
    }
)  # fmt: skip


def publish_notice(
    conn: Connection, principal: common.Principal, village: str, published_on: date, days: int
) -> dict[str, Any]:
    """Record the village's public notice (公示), posted for ``days`` days from
    ``published_on``, with the report of that day as it showed."""
    common.may_write(principal)
    found = common.village(conn, principal.scope, village)
    common.not_after_today(published_on, "published_on")
    shown = village_report(conn, principal.scope, published_on, village=found["code"])
    row = {
        "village_code": found["code"],
        "title": f"{found['name']}结对共建资金公示",
        "published_on": published_on,
        "until_on": published_on + timedelta(days=days - 1),
        "summary": json.dumps(shown[0] if shown else {}, ensure_ascii=False),
        "account": principal.actor.username,
    }
    notice_id = conn.execute(query("notice_insert"), row).scalar_one()
    common.record(conn, principal, "cobuild.notice", "cobuild_notice", notice_id, row)
    return notices(conn, principal.scope, village=found["code"])[0]


def notices(conn: Connection, scope: Scope, *, village: str | None = None) -> list[dict[str, Any]]:
    """The published notices, newest first."""
    return [
        {
            "id": r.id,
            "village_code": r.village_code,
            "title": r.title,
            "published_on": r.published_on.isoformat(),
            "until_on": r.until_on.isoformat(),
            "summary": r.summary,
        }
        for r in conn.execute(query("notices"), {"village": village, **scope.params()})
    ]
