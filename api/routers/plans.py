"""Draft plans and their edits (/api/v1/plans). Every edit is one transaction and answers
with the new ``ETag``; see :mod:`api.etag` for how versions travel."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Response, UploadFile
from fastapi.responses import JSONResponse

from api.deps import ConnDep, EngineDep
from api.etag import IfMatch, etag, expected_version
from api.geojson import GEOJSON, dumps
from api.plan_schemas import (
    GeometryIn,
    MergeIn,
    PlanAreaIn,
    PlanFeatureCollection,
    PlanIn,
    PlanListed,
    PlanSummary,
    SplitIn,
    UploadResult,
)
from api.schemas import Error, Feature
from geo import plan_edits, plan_upload, plans
from geo.areas import parse_level
from geo.boundary_files import read_boundary_file
from geo.errors import InvalidInput
from geo.shapes import line_from_geojson, polygons_from_geojson

router = APIRouter(prefix="/plans", tags=["plans"])

_EDIT_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": Error},
    409: {"model": Error, "description": "The plan is no longer a draft."},
    412: {"model": Error, "description": "Stale version: someone saved meanwhile."},
    422: {"model": Error},
    428: {"model": Error, "description": "No If-Match and no version."},
}


def _feature(feature: dict[str, Any], status_code: int = 200) -> Response:
    version = feature["properties"]["version"]
    return Response(dumps(feature), status_code, headers=etag(version), media_type=GEOJSON)


def _collection(features: list[str], version: int | None = None) -> Response:
    body = '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"
    headers = etag(version) if version is not None else None
    return Response(body, media_type=GEOJSON, headers=headers)


@router.post("", status_code=201, response_model=PlanSummary, responses={422: {"model": Error}})
def create_plan(body: PlanIn, engine: EngineDep) -> JSONResponse:
    """A draft copying the current areas under a township, village or grid."""
    with engine.begin() as conn:
        plan_id = plans.create_plan(conn, body.scope_code, body.description, body.author)
        summary = plans.plan_summary(conn, plan_id)
    headers = {"Location": f"/api/v1/plans/{plan_id}", **etag(summary["version"])}
    return JSONResponse(summary, status_code=201, headers=headers)


@router.get("", response_model=list[PlanListed], responses={422: {"model": Error}})
def list_plans(
    conn: ConnDep,
    status: Annotated[str | None, Query(description="draft, scheduled or published")] = None,
) -> JSONResponse:
    """Plans, newest first."""
    return JSONResponse(plans.list_plans(conn, status))


@router.get("/{plan_id}", response_model=PlanSummary, responses={404: {"model": Error}})
def get_plan(plan_id: int, conn: ConnDep) -> JSONResponse:
    """Scope, base generation, state and areas per level and status; ETag: plan version."""
    summary = plans.plan_summary(conn, plan_id)
    return JSONResponse(summary, headers=etag(summary["version"]))


@router.delete("/{plan_id}", status_code=204, responses={404: {"model": Error}, 409: {}})
def delete_plan(plan_id: int, engine: EngineDep) -> Response:
    with engine.begin() as conn:
        plans.delete_plan(conn, plan_id)
    return Response(status_code=204)


@router.get(
    "/{plan_id}/areas", response_model=PlanFeatureCollection, responses={404: {"model": Error}}
)
def list_areas(
    plan_id: int,
    conn: ConnDep,
    level: Annotated[str | None, Query(description="grid, micro_grid …")] = None,
) -> Response:
    """The draft's areas with ref, version and status (unchanged, changed, new)."""
    features = plans.plan_features(conn, plan_id, level=parse_level(level))
    return _collection(features, plans.get_plan(conn, plan_id).version)


@router.get("/{plan_id}/areas/{ref}", response_model=Feature, responses={404: {"model": Error}})
def get_area(plan_id: int, ref: str, conn: ConnDep) -> Response:
    return _feature(plans.plan_feature(conn, plan_id, ref))


@router.post("/{plan_id}/areas", status_code=201, response_model=Feature, responses=_EDIT_ERRORS)
def add_area(plan_id: int, body: PlanAreaIn, engine: EngineDep) -> Response:
    """Draw a new area (e.g. a micro-grid) under a draft area or the scope."""
    geom = polygons_from_geojson(body.geometry, body.datum)
    with engine.begin() as conn:
        ref = plan_edits.add_area(
            conn,
            plan_id,
            parent_ref=body.parent,
            name=body.name,
            geom=geom,
            level=parse_level(body.level),
            kind=body.kind,
        )
        feature = plans.plan_feature(conn, plan_id, ref)
    response = _feature(feature, 201)
    response.headers["Location"] = f"/api/v1/plans/{plan_id}/areas/{ref}"
    return response


@router.put("/{plan_id}/areas/{ref}", response_model=Feature, responses=_EDIT_ERRORS)
def replace_area(
    plan_id: int, ref: str, body: GeometryIn, engine: EngineDep, if_match: IfMatch = None
) -> Response:
    """Replace an area's geometry (and name)."""
    version = expected_version(if_match, body.version)
    geom = polygons_from_geojson(body.geometry, body.datum)
    with engine.begin() as conn:
        plan_edits.replace_geometry(conn, plan_id, ref, geom, version, name=body.name)
        feature = plans.plan_feature(conn, plan_id, ref)
    return _feature(feature)


@router.delete("/{plan_id}/areas/{ref}", status_code=204, responses=_EDIT_ERRORS)
def remove_area(
    plan_id: int,
    ref: str,
    engine: EngineDep,
    if_match: IfMatch = None,
    version: Annotated[int | None, Query(ge=1, description="Or send If-Match.")] = None,
) -> Response:
    """Remove an area that holds no others (e.g. a micro-grid)."""
    with engine.begin() as conn:
        plan_edits.remove_area(conn, plan_id, ref, expected_version(if_match, version))
    return Response(status_code=204)


@router.post(
    "/{plan_id}/areas/{ref}/split", response_model=PlanFeatureCollection, responses=_EDIT_ERRORS
)
def split_area(
    plan_id: int, ref: str, body: SplitIn, engine: EngineDep, if_match: IfMatch = None
) -> Response:
    """Cut an area in two along a line: the larger piece keeps the ref, the other is new."""
    version = expected_version(if_match, body.version)
    line = line_from_geojson(body.line, body.datum)
    with engine.begin() as conn:
        kept, new = plan_edits.split_area(
            conn, plan_id, ref, line, version, name=body.name, snap_m=body.snap_m
        )
        features = plans.plan_features(conn, plan_id, refs=[kept, new])
        kept_version = plans.plan_feature(conn, plan_id, kept)["properties"]["version"]
    return _collection(features, kept_version)


@router.post("/{plan_id}/merge", response_model=Feature, responses=_EDIT_ERRORS)
def merge_areas(plan_id: int, body: MergeIn, engine: EngineDep) -> Response:
    """Merge areas of one level and parent into the first one named."""
    with engine.begin() as conn:
        ref = plan_edits.merge_areas(conn, plan_id, body.refs, body.versions, name=body.name)
        feature = plans.plan_feature(conn, plan_id, ref)
    return _feature(feature)


@router.post("/{plan_id}/upload", response_model=UploadResult, responses={**_EDIT_ERRORS, 413: {}})
def upload_level(
    plan_id: int,
    engine: EngineDep,
    file: Annotated[UploadFile, Form(description="GeoJSON, GeoPackage or zipped Shapefile.")],
    level: Annotated[str, Form(description="The level the file replaces: grid, micro_grid …")],
    code_column: Annotated[str, Form()] = "code",
    name_column: Annotated[str, Form()] = "name",
    encoding: Annotated[str | None, Form(description="A Shapefile's, without .cpg.")] = None,
    layer: Annotated[str | None, Form()] = None,
    version: Annotated[int | None, Form(ge=1, description="The plan's version.")] = None,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Replace every draft area of one level under the scope with the file's areas.

    A feature whose code is a draft ref of that level replaces that area; the others are new
    and the areas missing from the file are removed. Parents and children follow by overlap.
    Needs the plan's version (its ETag), since the whole level changes.
    """
    wanted = parse_level(level)
    if wanted is None:
        raise InvalidInput("level", "is required")
    expected = expected_version(if_match, version)
    with tempfile.NamedTemporaryFile(suffix=Path(file.filename or "upload").suffix) as copy:
        shutil.copyfileobj(file.file, copy)
        copy.flush()
        read = read_boundary_file(
            Path(copy.name),
            code_column=code_column,
            name_column=name_column or None,
            encoding=encoding,
            layer=layer,
        )
    with engine.begin() as conn:
        result = plan_upload.replace_level(conn, plan_id, wanted, read.units, expected)
    return JSONResponse(result, headers=etag(result["version"]))
