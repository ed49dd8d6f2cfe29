"""The map index page ``/maps/`` (the map pages themselves are in ``maps.py``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import ConnDep, GenerationDep, SettingsDep
from geo.areas import MAX_PAGE, list_areas
from geo.models import AreaLevel
from maps.index import index_page

router = APIRouter(tags=["maps"], include_in_schema=False)

#: Township outlines lose nothing visible at the index's zoom levels.
SIMPLIFY_M = 20.0


@router.get("/maps/", response_class=HTMLResponse, summary="网格地图：地图页面索引")
def maps_index(conn: ConnDep, generation: GenerationDep, settings: SettingsDep) -> HTMLResponse:
    townships = list_areas(
        conn,
        generation=generation,
        level=AreaLevel.TOWNSHIP,
        simplify_m=SIMPLIFY_M,
        limit=MAX_PAGE,
    )
    return HTMLResponse(index_page(settings, townships.features))
