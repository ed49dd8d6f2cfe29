from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api.auth import public
from api.deps import ConnDep
from api.schemas import Health
from geo.areas import current_generation

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="服务与数据库状态")
@public
def health(conn: ConnDep) -> Health:
    version = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
    return Health(status="ok", database="ok", postgis=version, generation=current_generation(conn))
