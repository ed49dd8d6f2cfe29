"""/maps/cobuild?village=…: a village's co-building ledger, printable as its public notice
(公示).

Rendered on the server from the same functions the API answers with (no script needed to
read or print it): the pairings, the money in and out and the balance, every entry with its
running balance, the revolving fund's loans (borrowers masked) with what is due, paid, in
arrears and how many days overdue, the projects against plan, and procurement income per
household. On paper (``@media print``) the header, buttons and links are left out and the
tables keep their rows together. Chinese only; dates as China dates; amounts in yuan.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

from branca.element import Element, Figure
from sqlalchemy import Connection

from cases.cobuild import common, ledger, loans, procurement, report
from geo.errors import InvalidInput
from geo.scope import Scope
from maps.assets import FAVICON
from maps.pages import Viewer, add_header, error_page

CSS = '<link rel="stylesheet" href="/static/wangge/cobuild.css"/>'


def _yuan(value: str | None) -> str:
    return "—" if value is None else f"{Decimal(value):,.2f}"


def _day(value: str | None) -> str:
    if not value:
        return "—"
    d = date.fromisoformat(value)
    return f"{d.year}年{d.month}月{d.day}日"


def _cell(content: str) -> str:
    """A cell; figures (amounts, counts, days) are set right-aligned."""
    numeric = bool(content) and all(c in "0123456789,.-—" for c in content)
    return f'<td class="n">{content}</td>' if numeric else f"<td>{content}</td>"


def _table(caption: str, headers: list[str], rows: list[list[str]], cls: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    if not rows:
        body = f'<tr><td colspan="{len(headers)}" class="wg-empty">暂无</td></tr>'
    return (
        f'<section class="{cls}"><h2>{escape(caption)}</h2><table><thead><tr>{head}</tr>'
        f"</thead><tbody>{body}</tbody></table></section>"
    )


def _summary(found: dict[str, Any]) -> str:
    money, lent, bought = found["money"], found["loans"], found["procurement"]
    items = [
        ("累计收到帮扶资金", _yuan(money["received"]) + " 元"),
        ("项目支出", _yuan(money["spent"]) + " 元"),
        ("借鸡下蛋借出", _yuan(money["disbursed"]) + " 元"),
        ("借款收回", _yuan(money["repaid"]) + " 元"),
        ("资金结余", _yuan(money["balance"]) + " 元"),
        ("借款户", f"{lent['count']} 户，逾期 {lent['overdue']} 户"),
        ("逾期欠款", _yuan(lent["arrears"]) + " 元"),
        ("定向采购验收金额", _yuan(bought["accepted_value"]) + " 元"),
        ("项目完成", f"{found['projects']['done']} / {found['projects']['planned']} 项"),
    ]
    cells = "".join(f"<div><dt>{k}</dt><dd>{escape(v)}</dd></div>" for k, v in items)
    return f'<section class="wg-cobuild-summary"><h2>资金概况</h2><dl>{cells}</dl></section>'


def _sections(conn: Connection, scope: Scope, code: str, as_of: date) -> list[str]:
    found = report.village_report(conn, scope, as_of, village=code)
    parts = [_summary(found[0])] if found else []
    pairs = [
        [escape(p["partner"]), escape(p["agreement"]), _yuan(p["yearly_commitment"]),
         _day(p["since"]), _yuan(p["received"])]
        for p in (found[0]["pairings"] if found else [])
    ]  # fmt: skip
    parts.append(
        _table("结对情况", ["结对单位", "共建协议", "年度承诺（元）", "结对时间", "累计到位（元）"],
               pairs, "wg-cobuild-pairings")
    )  # fmt: skip
    for fund in ledger.funds(conn, scope, village=code):
        entries = ledger.ledger(conn, scope, fund["id"])["entries"]
        rows = [
            [_day(e["booked_on"]), escape(e["kind_label"]), escape(e["purpose"]),
             _yuan(e["amount"]) if e["delta"][0] != "-" else "",
             _yuan(e["amount"]) if e["delta"][0] == "-" else "",
             _yuan(e["balance"]), escape(e["voucher"] or "")]
            for e in entries
        ]  # fmt: skip
        parts.append(
            _table(f"{fund['name']} 收支明细", ["日期", "类别", "摘要", "收入（元）", "支出（元）",
                   "余额（元）", "凭证号"], rows, "wg-cobuild-ledger")
        )  # fmt: skip
    lent = loans.loans(conn, scope, as_of, village=code)
    parts.append(
        _table(
            "借鸡下蛋 周转金借还情况",
            ["年度", "户号", "借款人", "借款（元）", "应还（元）", "已还（元）", "未还本金（元）",
             "逾期欠款（元）", "逾期天数", "状态"],
            [[str(x["cohort_year"]), escape(x["household"]), escape(x["borrower"] or ""),
              _yuan(x["amount"]), _yuan(x["due"]), _yuan(x["paid"]), _yuan(x["outstanding"]),
              _yuan(x["arrears"]), str(x["days_overdue"]),
              f'<span class="wg-status wg-{x["status"]}">{x["status_label"]}</span>']
             for x in lent],
            "wg-cobuild-loans",
        )
    )  # fmt: skip
    planned = ledger.projects(conn, scope, village=code)
    parts.append(
        _table(
            "共建项目（计划与完成）",
            ["年度", "项目", "预算（元）", "已支出（元）", "完成", "佐证材料"],
            [[str(j["year"]), escape(j["name"]), _yuan(j["budget"]), _yuan(j["spent"]),
              _day(j["completed_on"]) if j["done"] else "未完成", escape(j["evidence"] or "")]
             for j in planned],
            "wg-cobuild-projects",
        )
    )  # fmt: skip
    income = procurement.household_income(conn, scope, village=code)
    parts.append(
        _table(
            "以买代帮 定向采购收入（按户）", ["户号", "供货批次", "验收金额（元）", "已付（元）"],
            [[escape(i["household"]), str(i["deliveries"]), _yuan(i["accepted_value"]),
              _yuan(i["paid"])] for i in income],
            "wg-cobuild-income",
        )
    )  # fmt: skip
    return parts


def _page(title: str, viewer: Viewer, main: str) -> str:
    figure = Figure(title=title)
    figure.header.add_child(Element(f'<link rel="icon" href="{FAVICON}"/>'), name="icon")
    figure.header.add_child(Element(CSS), name="cobuild_css")
    add_header(
        figure, viewer, [("/maps/command", "指挥中心地图"), ("/maps/cobuild", "结对共建报表")]
    )
    figure.html.add_child(Element(main), name="main")
    html: str = figure.render()
    return html


def report_page(conn: Connection, scope: Scope, viewer: Viewer) -> str:
    """The report per village of the viewer's scope, each village linking to its ledger."""
    as_of = common.today()
    rows = []
    for r in report.village_report(conn, scope, as_of):
        code = escape(r["village"]["code"])
        link = f'<a href="/maps/cobuild?village={code}">{escape(r["village"]["name"] or code)}</a>'
        money, lent, bought = r["money"], r["loans"], r["procurement"]
        rows.append(
            [link, escape("、".join(r["partners"])), str(r["since_year"] or "—"),
             _yuan(money["received"]), _yuan(money["spent"]), _yuan(money["disbursed"]),
             _yuan(money["repaid"]), _yuan(money["balance"]), str(lent["count"]),
             _yuan(lent["outstanding"]), _yuan(lent["arrears"]), str(lent["overdue"]),
             _yuan(bought["accepted_value"]),
             f"{r['projects']['done']} / {r['projects']['planned']}"]
        )  # fmt: skip
    headers = ["村（社区）", "结对单位", "结对年份", "累计到位", "项目支出", "借出", "收回"]
    headers += ["结余", "借款户", "未还本金", "逾期欠款", "逾期户", "采购验收", "项目完成"]
    table = _table("各村结对共建情况（金额：元）", headers, rows, "wg-cobuild-report")
    main = (
        '<main class="wg-cobuild"><div class="wg-cobuild-actions"><button type="button" '
        'class="wg-print" onclick="window.print()">打印</button>'
        '<a href="/api/v1/cobuild/report?format=xlsx">导出报表表格</a></div>'
        f'<h1>结对共建报表</h1><p class="wg-cobuild-meta">截至{_day(as_of.isoformat())}</p>'
        f"{table}</main>"
    )
    return _page("结对共建报表", viewer, main)


def _committee(name: str) -> str:
    """村民委员会 of a village, 居民委员会 of a community."""
    return "居民委员会" if name.endswith("社区") else "村民委员会"


def ledger_page(conn: Connection, scope: Scope, code: str, viewer: Viewer) -> tuple[int, str]:
    """(status, HTML) of village ``code``'s ledger; 404 for a village outside ``scope``."""
    try:
        village = common.village(conn, scope, code)
    except InvalidInput:
        return 404, error_page(404, "找不到", f"找不到村（社区）{code[:32]}。", viewer)
    as_of = common.today()
    name, today = escape(village["name"]), _day(as_of.isoformat())
    fund_ids = [f["id"] for f in ledger.funds(conn, scope, village=code)]
    downloads = "".join(
        f'<a href="/api/v1/funds/{i}/ledger?format=xlsx">导出台账表格</a>' for i in fund_ids
    )
    actions = (
        '<div class="wg-cobuild-actions"><button type="button" class="wg-print" '
        f'onclick="window.print()">打印公示</button>{downloads}'
        f'<a href="/api/v1/cobuild/report?village={escape(code)}&amp;format=xlsx">'
        "导出报表表格</a></div>"
    )
    body = "".join(_sections(conn, scope, village["code"], as_of))
    posted = report.notices(conn, scope, village=village["code"])
    period = (
        f"公示期：{_day(posted[0]['published_on'])}至{_day(posted[0]['until_on'])}"
        if posted
        else "尚未发布公示"
    )
    html = (
        f'<main class="wg-cobuild">{actions}<h1>{name}结对共建资金公示</h1>'
        f'<p class="wg-cobuild-meta">{escape(village["township_name"])} · {name} · '
        f'截至{_day(as_of.isoformat())}</p><p class="wg-cobuild-period">{period}</p>{body}'
        '<p class="wg-cobuild-note">以上收支逐笔公示，接受群众监督。如有异议，请于公示之日起'
        "七日内向村务监督委员会反映。</p>"
        f'<p class="wg-cobuild-sign">{name}{_committee(village["name"])}<br>{today}</p></main>'
    )
    return 200, _page(f"{village['name']} 结对共建资金公示", viewer, html)
