"""GET /api/v1/areas/export: one level of one generation as a GeoPackage, Shapefile or GeoJSON.

Included before the areas router, whose ``/areas/{code}`` would otherwise take ``export``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from api.auth import Reader
from api.deps import ConnDep, GenerationDep
from api.schemas import Error
from geo.areas import parse_level
from geo.files.export import FORMATS, ExportFormat, export_areas, parse_format

router = APIRouter(tags=["areas"])


@router.get(
    "/areas/export",
    response_class=FileResponse,
    responses={
        200: {
            "content": {f.media_type: {} for f in ExportFormat},
            "description": "The file, as an attachment.",
        },
        422: {"model": Error},
    },
    summary="区域导出：GeoPackage、Shapefile（zip）、GeoJSON（仅本人辖区）",
)
def export(
    principal: Reader,
    conn: ConnDep,
    generation: GenerationDep,
    level: Annotated[str, Query(description="township, village, grid, micro_grid or banner")],
    format: Annotated[str, Query(description=f"One of {FORMATS} (shp is zipped).")],
) -> FileResponse:
    fmt = parse_format(format)
    area_level = parse_level(level)
    assert area_level is not None
    folder = Path(tempfile.mkdtemp(prefix="wangge-export-"))
    try:
        out = folder / fmt.filename(area_level, generation)
        export_areas(
            conn,
            level=area_level,
            fmt=fmt,
            generation=generation,
            out=out,
            scope=principal.scope,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        out,
        media_type=fmt.media_type,
        filename=out.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
