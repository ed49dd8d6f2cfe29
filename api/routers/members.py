"""A member's own area, and the audited reveal of their clear name and phone."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from api.auth import Reader, Revealer
from api.deps import ConnDep, EngineDep, GenerationDep
from api.geojson import feature_response
from api.reveal import RevealIn, RevealOut, reveal
from api.schemas import Error, MemberArea
from geo.members import contact, member_area

router = APIRouter(tags=["members"])


@router.get(
    "/members/{member_id}/area",
    response_model=MemberArea,
    responses={404: {"model": Error}},
    summary="我的网格：成员负责的区域、上级链和相邻区域",
)
def my_area(
    member_id: int, principal: Reader, conn: ConnDep, generation: GenerationDep
) -> Response:
    return feature_response(member_area(conn, member_id, generation, scope=principal.scope))


@router.post(
    "/members/{member_id}/reveal",
    response_model=RevealOut,
    responses={403: {"model": Error}, 404: {"model": Error}, 429: {"model": Error}},
    summary="查看成员完整姓名和电话（须说明理由，留痕，限频）",
)
def reveal_member(
    member_id: int, body: RevealIn, request: Request, principal: Revealer, engine: EngineDep
) -> RevealOut:
    with engine.begin() as conn:
        fields = contact(conn, member_id, scope=principal.scope)
        return reveal(request, conn, principal, "member", member_id, fields, body.reason)
