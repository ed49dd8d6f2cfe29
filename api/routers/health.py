from __future__ import annotations

from fastapi import APIRouter

from api.auth import public
from api.deps import ConnDep
from api.schemas import Health
from geo.areas import current_generation
from geo.db import postgis_version

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="服务与数据库状态")
@public
def health(conn: ConnDep) -> Health:
    return Health(
        status="ok",
        database="ok",
        postgis=postgis_version(conn),
        generation=current_generation(conn),
    )
