"""``POST /incidents/import``: a file of incidents in, the import report out.

The upload is capped by :mod:`api.limits` (413 past 50 MB, refused while it streams in).
Importing needs the import permission (admin, township officers); a township officer's rows
that land outside their township are refused row by row. Each import is audited.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Form, UploadFile
from pydantic import BaseModel, ConfigDict

from api.auth import Importer
from api.deps import EngineDep, SettingsDep
from api.schemas import Error
from cases.imports.importer import import_incidents

router = APIRouter(tags=["incidents"])


class RefusedRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line: int
    field: str
    reason: str


class ImportedCodes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int
    first: str | None
    last: str | None


class ImportResult(BaseModel):
    """What became of every row: accepted and written, or refused with its line and field."""

    model_config = ConfigDict(extra="forbid")

    file: str
    format: Literal["csv", "geojson", "gpkg"]
    rows: int
    accepted: int
    written: bool
    refused: list[RefusedRow]
    codes: ImportedCodes


@router.post(
    "/incidents/import",
    response_model=ImportResult,
    responses={403: {"model": Error}, 413: {"model": Error}, 422: {"model": Error}},
    summary="批量导入事件（CSV、GeoJSON、GeoPackage），逐行报告被拒原因",
)
def import_file(
    engine: EngineDep,
    settings: SettingsDep,
    principal: Importer,
    file: Annotated[UploadFile, Form(description="CSV (UTF-8), GeoJSON or GeoPackage.")],
    source: Annotated[str, Form(description="Recorded as each incident's source.")] = "import",
    all_or_nothing: Annotated[bool, Form(description="Write nothing if a row is refused.")] = False,
) -> ImportResult:
    """Import every acceptable row in one transaction; a file that cannot be read is a 422."""
    name = file.filename or "upload"
    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as copy:
        shutil.copyfileobj(file.file, copy)
        copy.flush()
        report = import_incidents(
            engine,
            Path(copy.name),
            source=source,
            all_or_nothing=all_or_nothing,
            limit_m=settings.nearest_limit_m,
            scope=principal.scope,
            actor=principal.actor,
            name=name,
        )
    return ImportResult.model_validate(report.as_dict())
