"""Reviewing and publishing a draft plan: topology check, impact preview, publication."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from api.deps import ConnDep, EngineDep, SettingsDep
from api.etag import etag
from api.geojson import GEOJSON, dumps
from api.plan_schemas import (
    Impact,
    PlanFeatureCollection,
    PublishIn,
    PublishReport,
    RepairsApplied,
    RepairsIn,
)
from api.schemas import Error
from cases.plan_impact import impact, impact_features
from cases.publish import publish
from geo.plan_check import apply_plan_repairs, check_plan, repair_features
from geo.plans import get_plan

router = APIRouter(prefix="/plans", tags=["plans"])


@router.get(
    "/{plan_id}/check", response_model=PlanFeatureCollection, responses={404: {"model": Error}}
)
def check(plan_id: int, conn: ConnDep) -> Response:
    """Topology problems of each level against its parent (no features: it may publish)."""
    return Response(dumps(check_plan(conn, plan_id)), media_type=GEOJSON)


@router.get(
    "/{plan_id}/repairs", response_model=PlanFeatureCollection, responses={404: {"model": Error}}
)
def repairs(
    plan_id: int,
    conn: ConnDep,
    snap_tolerance_m: Annotated[float, Query(gt=0, le=50, description="Metres.")] = 0.5,
) -> Response:
    """Repairs on offer (geometry after the repair, note, id to apply it by)."""
    return Response(dumps(repair_features(conn, plan_id, snap_tolerance_m)), media_type=GEOJSON)


@router.post(
    "/{plan_id}/repairs/apply",
    response_model=RepairsApplied,
    responses={404: {"model": Error}, 409: {"model": Error}, 422: {"model": Error}},
)
def apply_repairs(plan_id: int, body: RepairsIn, engine: EngineDep) -> JSONResponse:
    """Apply the chosen repairs (by id); a repair of an area edited since is a 409."""
    with engine.begin() as conn:
        changed = apply_plan_repairs(conn, plan_id, body.ids, body.snap_tolerance_m)
        version = get_plan(conn, plan_id).version
    return JSONResponse({"changed": changed, "version": version}, headers=etag(version))


@router.get("/{plan_id}/impact", response_model=Impact, responses={404: {"model": Error}})
def preview(plan_id: int, conn: ConnDep) -> JSONResponse:
    """Open incidents and members whose area changes (from → to), figures per changed area,
    and workload per level before and after."""
    return JSONResponse(impact(conn, plan_id))


@router.get(
    "/{plan_id}/impact.geojson",
    response_model=PlanFeatureCollection,
    responses={404: {"model": Error}},
)
def preview_layer(plan_id: int, conn: ConnDep) -> Response:
    """The retired and the changed or new areas with their figures and deltas, as a layer."""
    return Response(dumps(impact_features(conn, plan_id)), media_type=GEOJSON)


@router.post(
    "/{plan_id}/publish",
    response_model=PublishReport,
    responses={
        404: {"model": Error},
        409: {"model": Error, "description": "Not a draft, or the base generation is outdated."},
        422: {"model": Error, "description": "Topology problems (in `problems`)."},
    },
)
def publish_plan(
    plan_id: int, engine: EngineDep, settings: SettingsDep, body: PublishIn | None = None
) -> JSONResponse:
    """Publish the draft as a new generation in one transaction (see the README's rules)."""
    body = body or PublishIn()
    with engine.begin() as conn:
        report = publish(
            conn,
            plan_id,
            published_by=body.published_by,
            limit_m=settings.nearest_limit_m,
            effective_at=body.effective_at,
        )
    return JSONResponse(report)
