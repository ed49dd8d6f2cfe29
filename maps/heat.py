"""/maps/heat: where disputes concentrate — counts, density and Gi* hotspots per micro-grid.

The periods offered come from the data and today's date (:mod:`geo.periods`); the page
explains what a hot spot is, since a hot spot need not have a case of its own.
"""

from __future__ import annotations

from folium.plugins import HeatMap
from sqlalchemy import Connection

from cases.routing import categories
from geo.periods import china_today, periods, reported_years
from geo.settings import Settings
from maps.pages import DALAD_BOUNDS, Viewer, attach_script, new_page, page_title, render

TITLE = "热力与热点分析"

#: What Gi* finds, in one paragraph a person on the page can read.
EXPLANATION = (
    "热点分析用局部统计量 Gi*：把每个微网格和与它相邻（共边或共角）的微网格的纠纷数加在一起，"
    "与全旗的平均水平比较，并用 999 次随机重排检验这种聚集是否可能出于偶然。"
    "“热点”是指该微网格处在纠纷偏多的片区之中，它自身不一定有纠纷，也可能是周边相邻微网格纠纷多；"
    "“冷点”是处在纠纷偏少的片区。置信度越高，偶然形成的可能越小。"
    "把指针停在微网格上，可以看到它自身和相邻微网格各有多少件。"
)

#: Gi* classes, hottest first, with the colours of a diverging red-blue scheme.
HOTSPOT_CLASSES = [
    ("热点 99%置信", "#b2182b"),
    ("热点 95%置信", "#ef8a62"),
    ("热点 90%置信", "#fddbc7"),
    ("不显著", "#f7f7f7"),
    ("冷点 90%置信", "#d1e5f0"),
    ("冷点 95%置信", "#67a9cf"),
    ("冷点 99%置信", "#2166ac"),
]


def heat_page(
    conn: Connection,
    settings: Settings,
    viewer: Viewer,
    bounds: list[list[float]] | None = None,
) -> str:
    """The page's HTML; the heat API answers with the incidents the viewer may see."""
    m = new_page(settings, page_title(TITLE, viewer), viewer)
    m.fit_bounds(bounds or DALAD_BOUNDS)
    # an empty HeatMap brings the (localized) Leaflet.heat script; the script fills its own layer
    HeatMap([], name="_heat_loader", show=False, control=False).add_to(m)
    attach_script(
        m,
        "heat.js",
        "wanggeHeat",
        {
            "api": "/api/v1",
            "title": "矛盾纠纷热力与热点",
            "categories": [{"code": c.code, "name": c.name} for c in categories(conn)],
            "defaultCategory": "01",
            "periods": [
                {"from": p.start or "", "to": p.end or "", "label": p.label}
                for p in periods(china_today(), reported_years(conn))
            ],
            "explanation": EXPLANATION,
            "hotspotClasses": [{"label": label, "colour": c} for label, c in HOTSPOT_CLASSES],
            "binSize": 2000,
        },
    )
    return render(m)
