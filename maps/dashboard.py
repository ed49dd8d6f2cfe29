"""/maps/dashboard: 指挥大屏 / 数据看板, the command centre's figures on one wall screen.

Today's four figures (``/api/v1/incidents/summary``), the period's headline rates and cards
(``/api/v1/indicators``), the month's trend against last year's, the most frequent categories,
a ranking and a choropleth of any indicator by township, village or grid. Every figure opens
the cases behind it in a drawer (the indicators' ``/cases``, or the incident list with the
filter the figure stands for), each linking to the command page. The charts are Apache ECharts
served from ``node_modules`` like every other asset; the map is the folium page map moved into
its panel. The page refreshes itself from the event stream (``/api/v1/stream``).

The page holds no figure: the script asks the API, which answers within the viewer's scope
and suppresses small counts for roles without access to the cases.
"""

from __future__ import annotations

from datetime import date
from html import escape

from branca.element import CssLink, Element, JavascriptLink
from sqlalchemy import Connection

from cases.indicators.registry import INDICATORS
from geo.periods import china_today, reported_years
from geo.settings import Settings
from maps.assets import ECHARTS_JS, root
from maps.pages import (
    DALAD_BOUNDS,
    Viewer,
    attach_script,
    new_page,
    page_title,
    render,
    status_config,
)

TITLE = "数据看板"

#: The period's figures on cards, in this order: rates first (两在三不出 among them), then
#: the supervision cards.
HEADLINE = [
    "on_time_handling_rate",
    "satisfaction_rate",
    "in_grid_rate",
    "in_township_rate",
    "in_banner_rate",
    "yellow_cards",
    "red_cards",
]
#: What the trend chart may show (the first by default).
TREND = ["reported", "on_time_handling_rate", "satisfaction_rate", "closed", "overdue_open"]
#: The choropleth's default indicator and levels.
CHOROPLETH_DEFAULT = "satisfaction_rate"
LEVELS = [("township", "苏木镇"), ("village", "嘎查村社区"), ("grid", "网格")]
RANKING_KINDS = [("township", "苏木镇"), ("department", "职能部门")]

#: The panels, each a slot the script fills; the map panel receives the folium map.
LAYOUT_HTML = """
<main class="wg-dash" id="wg-dash">
  <section class="wg-bar">
    <h1>{place} 数据看板</h1>
    <label>统计期 <select id="wg-period"></select></label>
    <span class="wg-asof" id="wg-asof"></span>
    <span class="wg-livebadge" id="wg-live">实时</span>
    <a class="wg-xlsx" id="wg-xlsx" href="#">导出表格</a>
  </section>
  <section class="wg-cards" id="wg-today" aria-label="今日"></section>
  <section class="wg-cards" id="wg-headline" aria-label="本期指标"></section>
  <section class="wg-panel-box wg-trend"><header><h2>月度走势（与上年同期比）</h2>
    <select id="wg-trend-name"></select></header>
    <div class="wg-chart" id="wg-trend"></div></section>
  <section class="wg-panel-box wg-categories"><header><h2>高发问题类别</h2></header>
    <div class="wg-chart" id="wg-categories"></div></section>
  <section class="wg-panel-box wg-mapbox"><header><h2>分区指标</h2>
    <select id="wg-map-name"></select><select id="wg-map-level"></select></header>
    <div class="wg-mapslot" id="wg-mapslot"></div><div class="wg-maplegend" id="wg-maplegend"></div>
  </section>
  <section class="wg-panel-box wg-ranking"><header><h2>季度排名</h2>
    <select id="wg-ranking-kind"></select><span id="wg-ranking-quarter"></span></header>
    <div class="wg-chart" id="wg-ranking"></div></section>
</main>
<aside class="wg-drawer" id="wg-drawer" aria-hidden="true">
  <header><h2 id="wg-drawer-title"></h2>
    <button type="button" id="wg-drawer-close">关闭</button></header>
  <p class="wg-drawer-count" id="wg-drawer-count"></p>
  <ol class="wg-drawer-list" id="wg-drawer-list"></ol>
</aside>
"""


def _quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def periods(today: date, years: tuple[int, int] | None) -> list[dict[str, str]]:
    """本月, 本季, 本年, then each earlier year with reported cases, as the indicators API's
    ``period`` values.

    >>> [p["label"] for p in periods(date(2026, 12, 4), (2023, 2024))]
    ['本月（2026年12月）', '本季（2026年第4季度）', '本年（2026年）', '2024年', '2023年']
    >>> periods(date(2026, 12, 4), None)[1]["value"]
    '2026-Q4'
    """
    quarter = _quarter(today)
    found = [
        {"value": f"{today:%Y-%m}", "label": f"本月（{today.year}年{today.month}月）"},
        {"value": quarter, "label": f"本季（{today.year}年第{quarter[-1]}季度）"},
        {"value": str(today.year), "label": f"本年（{today.year}年）"},
    ]
    if years is not None:
        first, last = years
        found += [
            {"value": str(y), "label": f"{y}年"}
            for y in range(min(last, today.year - 1), first - 1, -1)
        ]
    return found


def _indicator(name: str) -> dict[str, str]:
    found = INDICATORS[name]
    return {"name": name, "label": found.label, "unit": found.unit, "formula": found.formula}


def dashboard_page(
    conn: Connection,
    settings: Settings,
    viewer: Viewer,
    bounds: list[list[float]] | None = None,
    *,
    rankings: bool = True,
) -> str:
    """The page's HTML; ``bounds`` (south-west, north-east) frame the viewer's own area;
    ``rankings``: whether the viewer may read them (roles with access to the cases)."""
    m = new_page(
        settings, page_title(TITLE, viewer), viewer, links=[("/maps/command", "指挥中心地图")]
    )
    m.fit_bounds(bounds or DALAD_BOUNDS)
    figure = root(m)
    figure.header.add_child(CssLink("/static/wangge/dashboard.css"), name="dashboard.css")
    figure.header.add_child(JavascriptLink(ECHARTS_JS), name="echarts")
    layout = LAYOUT_HTML.replace("{place}", escape(viewer.place))
    figure.html.add_child(Element(layout), name="wangge_dashboard")
    today = china_today()
    attach_script(
        m,
        "dashboard.js",
        "wanggeDashboard",
        {
            "api": "/api/v1",
            "periods": periods(today, reported_years(conn)),
            "today": today.isoformat(),
            "headline": [_indicator(n) for n in HEADLINE],
            "trend": [_indicator(n) for n in TREND],
            "indicators": [_indicator(n) for n in INDICATORS],
            "choropleth": CHOROPLETH_DEFAULT,
            "levels": [{"value": v, "label": label} for v, label in LEVELS],
            "rankingKinds": [{"value": v, "label": label} for v, label in RANKING_KINDS],
            "status": status_config(),
            "command": "/maps/command",
            "rankings": rankings,
        },
    )
    return render(m)
