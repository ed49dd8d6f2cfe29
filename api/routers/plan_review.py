"""Reviewing and publishing a draft plan: topology check, impact preview, publication.

The check and repairs need the plan permission, the impact preview the read permission and
publication the publish permission; every plan is looked for inside the caller's scope only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from access import audit
from api.auth import Planner, Publisher, Reader
from api.deps import ConnDep, EngineDep, SettingsDep
from api.etag import etag
from api.plan_schemas import (
    Impact,
    PlanFeatureCollection,
    PublishIn,
    PublishReport,
    RepairsApplied,
    RepairsIn,
    Workload,
)
from api.routers.plans import audited_edit, plan_brief
from api.schemas import Error
from cases.redraw.impact import impact, impact_features
from cases.redraw.publish import publish
from cases.redraw.workload import workload
from geo.geojson import GEOJSON, dumps
from geo.plans.check import apply_plan_repairs, check_plan, repair_features
from geo.plans.drafts import get_plan, plan_summary

router = APIRouter(prefix="/plans", tags=["plans"])


@router.get(
    "/{plan_id}/check", response_model=PlanFeatureCollection, responses={404: {"model": Error}}
)
def check(plan_id: int, conn: ConnDep, principal: Planner) -> Response:
    """Topology problems of each level against its parent (no features: it may publish)."""
    return Response(dumps(check_plan(conn, plan_id, scope=principal.scope)), media_type=GEOJSON)


@router.get(
    "/{plan_id}/repairs", response_model=PlanFeatureCollection, responses={404: {"model": Error}}
)
def repairs(
    plan_id: int,
    conn: ConnDep,
    principal: Planner,
    snap_tolerance_m: Annotated[float, Query(gt=0, le=50, description="Metres.")] = 0.5,
) -> Response:
    """Repairs on offer (geometry after the repair, note, id to apply it by)."""
    offered = repair_features(conn, plan_id, snap_tolerance_m, scope=principal.scope)
    return Response(dumps(offered), media_type=GEOJSON)


@router.post(
    "/{plan_id}/repairs/apply",
    response_model=RepairsApplied,
    responses={404: {"model": Error}, 409: {"model": Error}, 422: {"model": Error}},
)
def apply_repairs(
    plan_id: int, body: RepairsIn, engine: EngineDep, principal: Planner
) -> JSONResponse:
    """Apply the chosen repairs (by id); a repair of an area edited since is a 409."""
    scope = principal.scope
    with audited_edit(engine, principal, plan_id, "plan.repairs.apply") as conn:
        changed = apply_plan_repairs(conn, plan_id, body.ids, body.snap_tolerance_m, scope=scope)
        version = get_plan(conn, plan_id, scope=scope).version
    return JSONResponse({"changed": changed, "version": version}, headers=etag(version))


@router.get("/{plan_id}/impact", response_model=Impact, responses={404: {"model": Error}})
def preview(plan_id: int, conn: ConnDep, principal: Reader) -> JSONResponse:
    """Open incidents and members (names masked) whose area changes (from → to), figures per
    changed area, and workload per level before and after."""
    return JSONResponse(impact(conn, plan_id, scope=principal.scope))


@router.get("/{plan_id}/workload", response_model=Workload, responses={404: {"model": Error}})
def grid_workload(plan_id: int, conn: ConnDep, principal: Reader) -> JSONResponse:
    """Per grid of the draft: households, persons, open and yearly incidents and members, after
    and before, its kind (urban, rural) and whether it is far from the households norm."""
    return JSONResponse(workload(conn, plan_id, scope=principal.scope))


@router.get(
    "/{plan_id}/impact.geojson",
    response_model=PlanFeatureCollection,
    responses={404: {"model": Error}},
)
def preview_layer(plan_id: int, conn: ConnDep, principal: Reader) -> Response:
    """The retired and the changed or new areas with their figures and deltas, as a layer."""
    layer = impact_features(conn, plan_id, scope=principal.scope)
    return Response(dumps(layer), media_type=GEOJSON)


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
    plan_id: int,
    engine: EngineDep,
    settings: SettingsDep,
    principal: Publisher,
    body: PublishIn | None = None,
) -> JSONResponse:
    """Publish the draft as a new generation in one transaction (see the README's rules);
    you are its publisher."""
    body = body or PublishIn()
    scope = principal.scope
    with engine.begin() as conn:
        before = plan_brief(plan_summary(conn, plan_id, scope=scope))
        report = publish(
            conn,
            plan_id,
            scope=scope,
            published_by=principal.username,
            limit_m=settings.nearest_limit_m,
            effective_at=body.effective_at,
        )
        audit.record(
            conn,
            principal.actor,
            "plan.publish",
            "plan",
            plan_id,
            before=before,
            after=_brief(report),
        )
    return JSONResponse(report)


def _brief(report: dict[str, Any]) -> dict[str, Any]:
    """A publication as the audit trail keeps it: codes given and retired, how many moved."""
    moved = {"members_moved": len(report["members"]), "incidents_moved": len(report["incidents"])}
    keep = ("generation", "status", "effective_at", "codes", "retired")
    return {**{k: report[k] for k in keep}, **moved}
