"""/maps/field for a department officer (部门报到): the summons of the open whistles that name
the officer's department, each a card with one big 我已到达 button that sends the phone's
position and accuracy (``field-whistle.js``), on a map of where to go. New summons and the
department's own check-ins arrive from the event stream without reloading.
"""

from __future__ import annotations

from branca.element import CssLink

from geo.settings import Settings
from maps.assets import root
from maps.pages import DALAD_BOUNDS, Viewer, attach_script, new_page, render

TITLE = "部门报到 · 吹哨召集"


def summons_page(settings: Settings, viewer: Viewer, department: str) -> str:
    """The officer's page: the map framing the banner, and the cards the script fills in."""
    m = new_page(settings, TITLE, viewer)
    m.fit_bounds(DALAD_BOUNDS)
    root(m).header.add_child(CssLink("/static/wangge/whistle.css"), name="whistle.css")
    attach_script(
        m, "field-whistle.js", "wanggeSummons", {"api": "/api/v1", "department": department}
    )
    return render(m)
