"""/maps/heat: where disputes concentrate — counts, density and Gi* hotspots per micro-grid."""

from __future__ import annotations

from folium.plugins import HeatMap
from sqlalchemy import Connection

from cases.routing import categories
from geo.settings import Settings
from maps.pages import DALAD_BOUNDS, Viewer, attach_script, new_page, render

TITLE = "热力与热点分析 · 达拉特旗网格"

PERIODS = [
    ("2023-01-01T00:00:00+08:00", "2025-01-01T00:00:00+08:00", "2023—2024年"),
    ("2023-01-01T00:00:00+08:00", "2024-01-01T00:00:00+08:00", "2023年"),
    ("2024-01-01T00:00:00+08:00", "2025-01-01T00:00:00+08:00", "2024年"),
    ("", "", "全部时间"),
]

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
    m = new_page(settings, TITLE, viewer)
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
            "periods": [{"from": f, "to": t, "label": label} for f, t, label in PERIODS],
            "hotspotClasses": [{"label": label, "colour": c} for label, c in HOTSPOT_CLASSES],
            "binSize": 2000,
        },
    )
    return render(m)
