"""The map index page ``/maps/`` (the map pages themselves are in ``maps.py``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.auth import Reader, page
from api.deps import ConnDep, GenerationDep, SettingsDep
from api.routers.maps import viewer
from geo.areas import MAX_PAGE, list_areas
from geo.models import AreaLevel
from geo.places import COUNTY_DIGITS
from maps.index import index_page

router = APIRouter(tags=["maps"], include_in_schema=False)

#: Township outlines lose nothing visible at the index's zoom levels.
SIMPLIFY_M = 20.0


@router.get("/maps/", response_class=HTMLResponse, summary="网格地图：地图页面索引")
@page
def maps_index(
    conn: ConnDep, generation: GenerationDep, settings: SettingsDep, principal: Reader
) -> HTMLResponse:
    """The townships (of the province, city or banner of such an account), or for an account
    of one township or below that area alone, under the page links."""
    scope = principal.scope
    prefix = scope.area_prefix  # a province, city or banner is shown by its townships
    own = [prefix] if prefix is not None and len(prefix) > COUNTY_DIGITS else None
    shown = list_areas(
        conn,
        generation=generation,
        scope=scope,
        level=None if own else AreaLevel.TOWNSHIP,
        codes=own,
        simplify_m=SIMPLIFY_M,
        limit=MAX_PAGE,
    )
    html = index_page(
        settings, shown.features, viewer(principal), principal.member_id, principal.role.value
    )
    return HTMLResponse(html)
