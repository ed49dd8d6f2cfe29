"""Draft plans and their edits (/api/v1/plans). Every edit is one transaction and answers
with the new ``ETag``; see :mod:`api.etag` for how versions travel.

Reading needs the read permission, editing the plan permission; either way only plans whose
scope lies inside the caller's are found (another township's plan is a 404, as a missing one
is). Every write leaves an audit entry in its transaction: the draft areas it changed, each in
brief (name, level, parent, version, vertex count), before and after.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Response, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, Engine

from access import audit
from api.auth import Planner, Principal, Reader
from api.deps import ConnDep, EngineDep
from api.etag import IfMatch, etag, expected_version
from api.plan_schemas import (
    GeometryIn,
    MergeIn,
    MoveIn,
    MoveResult,
    PlanAreaIn,
    PlanFeatureCollection,
    PlanIn,
    PlanListed,
    PlanSummary,
    SplitIn,
    UploadResult,
)
from api.schemas import Error, Feature
from geo.areas import parse_level
from geo.errors import InvalidInput
from geo.files.boundaries import read_boundary_file
from geo.geojson import GEOJSON, collection, dumps
from geo.plans import drafts as plans
from geo.plans import edits as plan_edits
from geo.plans import moves as plan_moves
from geo.plans import upload as plan_upload
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
    body = collection(features)
    headers = etag(version) if version is not None else None
    return Response(body, media_type=GEOJSON, headers=headers)


def plan_brief(summary: dict[str, Any]) -> dict[str, Any]:
    """A plan as the audit trail keeps it (its summary without timestamps or the report)."""
    keep = ("scope", "description", "author", "status", "version", "base_generation", "levels")
    return {k: summary[k] for k in keep}


@contextmanager
def audited_edit(
    engine: Engine, principal: Principal, plan_id: int, action: str
) -> Iterator[Connection]:
    """A transaction editing draft ``plan_id`` (locked, inside the principal's scope, else
    NotFound) that ends with an audit entry of the draft areas the edit changed."""
    with engine.begin() as conn:
        plans.get_plan(conn, plan_id, scope=principal.scope, lock=True)
        before = plans.snapshot(conn, plan_id)
        yield conn
        was, now = plans.changed_areas(before, plans.snapshot(conn, plan_id))
        audit.record(conn, principal.actor, action, "plan", plan_id, before=was, after=now)


@router.post("", status_code=201, response_model=PlanSummary, responses={422: {"model": Error}})
def create_plan(body: PlanIn, engine: EngineDep, principal: Planner) -> JSONResponse:
    """A draft copying the current areas under a township, village or grid inside your area;
    you are its author."""
    scope = principal.scope
    with engine.begin() as conn:
        plan_id = plans.create_plan(
            conn, body.scope_code, body.description, principal.username, scope=scope
        )
        summary = plans.plan_summary(conn, plan_id, scope=scope)
        audit.record(
            conn, principal.actor, "plan.create", "plan", plan_id, after=plan_brief(summary)
        )
    headers = {"Location": f"/api/v1/plans/{plan_id}", **etag(summary["version"])}
    return JSONResponse(summary, status_code=201, headers=headers)


@router.get("", response_model=list[PlanListed], responses={422: {"model": Error}})
def list_plans(
    conn: ConnDep,
    principal: Reader,
    status: Annotated[str | None, Query(description="draft, scheduled or published")] = None,
) -> JSONResponse:
    """Plans inside your area, newest first."""
    return JSONResponse(plans.list_plans(conn, status, scope=principal.scope))


@router.get("/{plan_id}", response_model=PlanSummary, responses={404: {"model": Error}})
def get_plan(plan_id: int, conn: ConnDep, principal: Reader) -> JSONResponse:
    """Scope, base generation, state and areas per level and status; ETag: plan version."""
    summary = plans.plan_summary(conn, plan_id, scope=principal.scope)
    return JSONResponse(summary, headers=etag(summary["version"]))


@router.delete("/{plan_id}", status_code=204, responses={404: {"model": Error}, 409: {}})
def delete_plan(plan_id: int, engine: EngineDep, principal: Planner) -> Response:
    with engine.begin() as conn:
        before = plan_brief(plans.plan_summary(conn, plan_id, scope=principal.scope))
        plans.delete_plan(conn, plan_id, scope=principal.scope)
        audit.record(conn, principal.actor, "plan.delete", "plan", plan_id, before=before)
    return Response(status_code=204)


@router.get(
    "/{plan_id}/areas", response_model=PlanFeatureCollection, responses={404: {"model": Error}}
)
def list_areas(
    plan_id: int,
    conn: ConnDep,
    principal: Reader,
    level: Annotated[str | None, Query(description="grid, micro_grid …")] = None,
) -> Response:
    """The draft's areas with ref, version and status (unchanged, changed, new)."""
    scope = principal.scope
    features = plans.plan_features(conn, plan_id, scope=scope, level=parse_level(level))
    return _collection(features, plans.get_plan(conn, plan_id, scope=scope).version)


@router.get("/{plan_id}/areas/{ref}", response_model=Feature, responses={404: {"model": Error}})
def get_area(plan_id: int, ref: str, conn: ConnDep, principal: Reader) -> Response:
    return _feature(plans.plan_feature(conn, plan_id, ref, scope=principal.scope))


@router.post("/{plan_id}/areas", status_code=201, response_model=Feature, responses=_EDIT_ERRORS)
def add_area(plan_id: int, body: PlanAreaIn, engine: EngineDep, principal: Planner) -> Response:
    """Draw a new area (e.g. a micro-grid) under a draft area or the scope."""
    geom = polygons_from_geojson(body.geometry, body.datum)
    with audited_edit(engine, principal, plan_id, "plan.area.add") as conn:
        ref = plan_edits.add_area(
            conn,
            plan_id,
            scope=principal.scope,
            parent_ref=body.parent,
            name=body.name,
            geom=geom,
            level=parse_level(body.level),
            kind=body.kind,
        )
        feature = plans.plan_feature(conn, plan_id, ref, scope=principal.scope)
    response = _feature(feature, 201)
    response.headers["Location"] = f"/api/v1/plans/{plan_id}/areas/{ref}"
    return response


@router.put("/{plan_id}/areas/{ref}", response_model=Feature, responses=_EDIT_ERRORS)
def replace_area(
    plan_id: int,
    ref: str,
    body: GeometryIn,
    engine: EngineDep,
    principal: Planner,
    if_match: IfMatch = None,
) -> Response:
    """Replace an area's geometry (and name)."""
    version = expected_version(if_match, body.version)
    geom = polygons_from_geojson(body.geometry, body.datum)
    scope = principal.scope
    with audited_edit(engine, principal, plan_id, "plan.area.update") as conn:
        plan_edits.replace_geometry(conn, plan_id, ref, geom, version, scope=scope, name=body.name)
        feature = plans.plan_feature(conn, plan_id, ref, scope=scope)
    return _feature(feature)


@router.delete("/{plan_id}/areas/{ref}", status_code=204, responses=_EDIT_ERRORS)
def remove_area(
    plan_id: int,
    ref: str,
    engine: EngineDep,
    principal: Planner,
    if_match: IfMatch = None,
    version: Annotated[int | None, Query(ge=1, description="Or send If-Match.")] = None,
) -> Response:
    """Remove an area that holds no others (e.g. a micro-grid)."""
    expected = expected_version(if_match, version)
    with audited_edit(engine, principal, plan_id, "plan.area.delete") as conn:
        plan_edits.remove_area(conn, plan_id, ref, expected, scope=principal.scope)
    return Response(status_code=204)


@router.post(
    "/{plan_id}/areas/{ref}/split", response_model=PlanFeatureCollection, responses=_EDIT_ERRORS
)
def split_area(
    plan_id: int,
    ref: str,
    body: SplitIn,
    engine: EngineDep,
    principal: Planner,
    if_match: IfMatch = None,
) -> Response:
    """Cut an area in two along a line: the larger piece keeps the ref, the other is new."""
    version = expected_version(if_match, body.version)
    line = line_from_geojson(body.line, body.datum)
    scope = principal.scope
    with audited_edit(engine, principal, plan_id, "plan.area.split") as conn:
        kept, new = plan_edits.split_area(
            conn,
            plan_id,
            ref,
            line,
            version,
            scope=scope,
            name=body.name,
            snap_m=body.snap_m,
            cut_children=body.cut_children,
        )
        features = plans.plan_features(conn, plan_id, scope=scope, refs=[kept, new])
        kept_version = plans.plan_feature(conn, plan_id, kept, scope=scope)["properties"]["version"]
    return _collection(features, kept_version)


@router.post("/{plan_id}/merge", response_model=Feature, responses=_EDIT_ERRORS)
def merge_areas(plan_id: int, body: MergeIn, engine: EngineDep, principal: Planner) -> Response:
    """Merge areas of one level and parent into the first one named."""
    scope = principal.scope
    with audited_edit(engine, principal, plan_id, "plan.area.merge") as conn:
        ref = plan_edits.merge_areas(
            conn, plan_id, body.refs, body.versions, scope=scope, name=body.name
        )
        feature = plans.plan_feature(conn, plan_id, ref, scope=scope)
    return _feature(feature)


@router.post("/{plan_id}/move", response_model=MoveResult, responses=_EDIT_ERRORS)
def move_areas(plan_id: int, body: MoveIn, engine: EngineDep, principal: Planner) -> JSONResponse:
    """Hand areas to another parent (micro-grids to a grid, grids to a village); the old and
    new parents become the unions of their children."""
    with audited_edit(engine, principal, plan_id, "plan.area.move") as conn:
        moved = plan_moves.move_children(
            conn, plan_id, body.refs, body.to, body.versions, scope=principal.scope
        )
    return JSONResponse(moved.to_json(), headers=etag(moved.plan_version))


@router.post("/{plan_id}/upload", response_model=UploadResult, responses={**_EDIT_ERRORS, 413: {}})
def upload_level(
    plan_id: int,
    engine: EngineDep,
    principal: Planner,
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
    with audited_edit(engine, principal, plan_id, "plan.upload") as conn:
        result = plan_upload.replace_level(
            conn, plan_id, wanted, read.units, expected, scope=principal.scope
        )
    return JSONResponse(result, headers=etag(result["version"]))
