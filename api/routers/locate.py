from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import Reader
from api.deps import GenerationOrCurrentDep, ReadPoolDep
from api.schemas import Error, Located
from geo.locate import locate as locate_point
from geo.points import DATUM_CHOICES, parse_point

router = APIRouter(tags=["locate"])


@router.get(
    "/locate",
    response_model=Located,
    responses={404: {"model": Error}, 422: {"model": Error}},
    summary="这个点归谁管：旗→苏木镇→嘎查村社区→网格→微网格及责任人",
)
async def locate(
    principal: Reader,
    reads: ReadPoolDep,
    generation: GenerationOrCurrentDep,
    lon: Annotated[float | None, Query(description="Longitude (east) in `datum`.")] = None,
    lat: Annotated[float | None, Query(description="Latitude (north) in `datum`.")] = None,
    datum: Annotated[str | None, Query(description=f"One of {DATUM_CHOICES}.")] = None,
) -> Located:
    point = parse_point(lon, lat, datum)
    answer = await locate_point(reads, point, generation, scope=principal.scope)
    return Located.model_validate(answer)
