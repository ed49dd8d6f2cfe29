"""The indicators of WORKFLOW.md §2 as data: name → label, formula, unit and the sets of
cases (columns of ``sql/indicator_counts.sql``, defined once in
``sql/fragments/indicator_flags.sql``) counted as numerator and denominator.

The API, the drill-down to the cases and the rankings all read this table; adding an
indicator is a row here and, if it counts a new set, a column of the flags fragment. The
whistle sets (whistles, check-ins) are numbers per case rather than flags: a case may carry
several whistles, each summoning several departments.

Examples
--------
>>> INDICATORS["satisfaction_rate"].label, INDICATORS["satisfaction_rate"].denominator
('满意率', 'evaluated')
>>> resolve_names("closing_rate,reported")
['closing_rate', 'reported']
>>> resolve_names("nothing")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
geo.errors.InvalidInput: names: unknown indicator 'nothing'; ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from geo.errors import InvalidInput

Unit = Literal["rate", "count"]


@dataclass(frozen=True)
class Indicator:
    name: str
    label: str
    #: The formula as WORKFLOW.md §2 writes it, in Chinese.
    formula: str
    unit: Unit
    #: The set of cases counted above the line (a count's only set).
    numerator: str
    #: The set below the line; None for a count.
    denominator: str | None = None


def _rate(name: str, label: str, formula: str, numerator: str, denominator: str) -> Indicator:
    return Indicator(name, label, formula, "rate", numerator, denominator)


def _count(name: str, label: str, formula: str, numerator: str) -> Indicator:
    return Indicator(name, label, formula, "count", numerator)


#: Every indicator, in the order a dashboard shows them.
INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        _count("reported", "上报数", "期内上报的事件数", "reported"),
        _count("filed", "立案数", "期内立案的事件数", "filed"),
        _count(
            "due_handling", "应处置数", "处置期限在期内或期内已处置的已派遣事件数", "due_handling"
        ),
        _count("due_closing", "应结案数", "立案数 − 期末仍在期限内的事件数", "due_closing"),
        _count("closed", "结案数", "期内结案的事件数", "closed_in"),
        _count("overdue_open", "超期待处置数", "超期且仍未处置的应处置事件数", "overdue_open"),
        _count("yellow_cards", "黄牌数", "期内亮黄牌的事件数", "yellow_card"),
        _count("red_cards", "红牌数", "期内亮红牌的事件数", "red_card"),
        _rate("filing_rate", "立案率", "立案数 ÷ 有效上报数", "accepted_filed", "accepted"),
        _rate("on_time_filing_rate", "按时立案率", "按时立案数 ÷ 立案数", "filed_on_time", "filed"),
        _rate(
            "accurate_dispatch_rate",
            "准确派遣率",
            "（派遣数 − 回退数）÷ 派遣数",
            "dispatched_right",
            "dispatched",
        ),
        _rate("return_rate", "回退率", "回退数 ÷ 派遣数", "returned", "dispatched"),
        _rate("handling_rate", "处置率", "处置数 ÷ 应处置数", "handled", "due_handling"),
        _rate(
            "on_time_handling_rate",
            "按期处置率",
            "按期处置数 ÷ 应处置数",
            "handled_on_time",
            "due_handling",
        ),
        _rate("closing_rate", "结案率", "结案数 ÷ 应结案数", "closed", "due_closing"),
        _rate(
            "on_time_closing_rate",
            "按期结案率",
            "按期结案数 ÷ 应结案数",
            "closed_on_time",
            "due_closing",
        ),
        _rate("rework_rate", "返工率", "返工数 ÷ 应结案数", "reworked", "due_closing"),
        _rate("delay_rate", "延期率", "延期数 ÷ 应处置数", "delayed", "due_handling"),
        _rate(
            "overdue_open_rate",
            "超期待处置率",
            "超期待处置数 ÷ 应处置数",
            "overdue_open",
            "due_handling",
        ),
        _rate("hung_rate", "挂账率", "挂账数 ÷ 立案数", "hung", "filed"),
        _rate(
            "satisfaction_rate",
            "满意率",
            "（满意数 + 基本满意数）÷ 评价数",
            "satisfied",
            "evaluated",
        ),
        _rate("reopen_rate", "发回重办率", "发回重办数 ÷ 结案数", "reopened", "closed_in"),
        _rate(
            "in_grid_rate",
            "不出格率",
            "在微网格或网格结案数 ÷ 结案数",
            "closed_in_grid",
            "closed_in",
        ),
        _rate(
            "in_township_rate",
            "不出镇率",
            "在苏木镇及以下结案数 ÷ 结案数",
            "closed_in_township",
            "closed_in",
        ),
        _rate(
            "in_banner_rate",
            "不出旗率",
            "在旗及以下结案数 ÷ 结案数",
            "closed_in_banner",
            "closed_in",
        ),
        _rate(
            "mediation_success_rate",
            "调解成功率",
            "调解成功数 ÷ 受理纠纷数",
            "disputes_settled",
            "disputes_accepted",
        ),
        _rate(
            "mediation_local_rate",
            "就地化解率",
            "在苏木镇及以下调解成功数 ÷ 调解成功数",
            "disputes_settled_local",
            "disputes_settled",
        ),
        _rate(
            "checkin_on_time_rate",
            "报到及时率",
            "按时报到数 ÷ 应报到数",
            "checkins_on_time",
            "checkins_required",
        ),
        _rate("whistle_rate", "吹哨率", "吹哨数 ÷ 立案数", "whistles", "filed"),
    )
}

#: The sets of cases an indicator may count (the flags of ``indicator_flags.sql``).
SETS = frozenset(
    s for i in INDICATORS.values() for s in (i.numerator, i.denominator) if s is not None
)

#: WORKFLOW.md §2's composite preset: indicator → weight; a rate marked ``True`` counts as
#: (1 − rate). The weights sum to 100, so the score is 0–100.
COMPOSITE: dict[str, tuple[int, bool]] = {
    "handling_rate": (30, False),
    "on_time_handling_rate": (20, False),
    "rework_rate": (20, True),
    "overdue_open_rate": (20, True),
    "delay_rate": (10, True),
}

#: Points a supervision card costs its holder (WORKFLOW.md §1 rule 2).
CARD_POINTS = {"yellow_cards": 5, "red_cards": 10}


def resolve_names(names: str | None) -> list[str]:
    """The indicators ``names`` asks for (comma-separated; empty: all), in registry order of
    the request; an unknown name is a 422 listing the valid ones."""
    if names is None or not names.strip():
        return list(INDICATORS)
    asked = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in asked if n not in INDICATORS]
    if unknown:
        raise InvalidInput(
            "names",
            f"unknown indicator {unknown[0]!r}; expected some of {', '.join(INDICATORS)}",
            where="query",
        )
    return list(dict.fromkeys(asked))


def indicator(name: str | None, field: str = "name") -> Indicator:
    """The indicator ``name``; a 422 naming ``field`` and listing the valid ones otherwise."""
    found = INDICATORS.get(name or "")
    if found is None:
        raise InvalidInput(
            field,
            f"unknown indicator {name!r}; expected one of {', '.join(INDICATORS)}",
            where="query",
        )
    return found
