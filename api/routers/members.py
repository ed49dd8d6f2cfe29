from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import ConnDep, GenerationDep
from api.geojson import feature_response
from api.schemas import Error, MemberArea
from geo.members import member_area

router = APIRouter(tags=["members"])


@router.get(
    "/members/{member_id}/area",
    response_model=MemberArea,
    responses={404: {"model": Error}},
    summary="我的网格：成员负责的区域、上级链和相邻区域",
)
def my_area(member_id: int, conn: ConnDep, generation: GenerationDep) -> Response:
    return feature_response(member_area(conn, member_id, generation))
