"""The 人地事物组织 registry: households, persons and houses (masked, P3 by role, audited),
facilities and organisations, claims, versioned edits, reveals with a reason, and imports of
households and persons."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, UploadFile

from api.auth import Importer, Principal, Reader, Revealer
from api.deps import EngineDep, SettingsDep
from api.registry_schemas import (
    Facility,
    FacilityPage,
    House,
    Household,
    HouseholdPage,
    HouseholdPatch,
    HousePatch,
    Organisation,
    OrganisationPage,
    Person,
    PersonPatch,
    RegistryImport,
)
from api.reveal import RevealIn, RevealOut, reveal
from api.schemas import Error
from cases.registry import households, houses, imports, people, things
from cases.registry.households import Reader as RegistryReader

router = APIRouter(tags=["registry"])
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Error},
    404: {"model": Error},
    422: {"model": Error},
}


def _reader(principal: Principal) -> RegistryReader:
    return RegistryReader(principal.role, principal.scope, principal.actor)


MicroGrid = Annotated[str | None, Query(max_length=32, description="Micro-grid code.")]
Grid = Annotated[str | None, Query(max_length=32, description="Grid code.")]
Kind = Annotated[str | None, Query(max_length=32, description="Kind, as stored (e.g. 消防栓).")]
After = Annotated[str | None, Query(max_length=32, description="Last code of the page.")]
PageLimit = Annotated[int, Query(ge=1, le=households.MAX_PAGE)]


@router.get(
    "/households",
    response_model=HouseholdPage,
    responses=ERRORS,
    summary="户籍登记：住户列表（个人信息脱敏，特殊人群按角色）",
)
def list_households(
    principal: Reader,
    engine: EngineDep,
    micro_grid: Annotated[str | None, Query(max_length=32, description="Micro-grid code.")] = None,
    grid: Annotated[str | None, Query(max_length=32, description="Grid code.")] = None,
    tag: Annotated[str | None, Query(max_length=32, description="A person tag.")] = None,
    overdue: Annotated[
        bool, Query(description="Only households overdue for a visit (as coverage counts).")
    ] = False,
    after: Annotated[str | None, Query(max_length=32, description="Last code of the page.")] = None,
    limit: Annotated[int, Query(ge=1, le=households.MAX_PAGE)] = 100,
) -> HouseholdPage:
    with engine.begin() as conn:
        page = households.list_households(
            conn, _reader(principal), micro_grid=micro_grid, grid=grid, tag=tag,
            overdue=overdue, after=after, limit=limit,
        )  # fmt: skip
    return HouseholdPage.model_validate(page)


@router.get("/households/{code}", response_model=Household, responses=ERRORS, summary="单个住户")
def get_household(code: str, principal: Reader, engine: EngineDep) -> Household:
    with engine.begin() as conn:
        return Household.model_validate(households.get_household(conn, _reader(principal), code))


@router.patch(
    "/households/{code}", response_model=Household, responses=ERRORS, summary="修改户主（留痕）"
)
def patch_household(
    code: str, body: HouseholdPatch, principal: Reader, engine: EngineDep
) -> Household:
    with engine.begin() as conn:
        changed = houses.edit_household(conn, _reader(principal), code, body.model_dump())
    return Household.model_validate(changed)


@router.post(
    "/households/{code}/claim", response_model=Household, responses=ERRORS, summary="认领住户"
)
def claim_household(code: str, principal: Reader, engine: EngineDep) -> Household:
    with engine.begin() as conn:
        claimed = households.claim(conn, _reader(principal), code, principal.member_id)
    return Household.model_validate(claimed)


@router.get("/persons/{person_id}", response_model=Person, responses=ERRORS, summary="单个居民")
def get_person(person_id: int, principal: Reader, engine: EngineDep) -> Person:
    with engine.begin() as conn:
        return Person.model_validate(people.get_person(conn, _reader(principal), person_id))


@router.patch(
    "/persons/{person_id}", response_model=Person, responses=ERRORS, summary="修改居民信息（留痕）"
)
def patch_person(
    person_id: int, body: PersonPatch, principal: Reader, engine: EngineDep, settings: SettingsDep
) -> Person:
    changes = body.model_dump(exclude_unset=True)
    with engine.begin() as conn:
        changed = people.edit_person(
            conn, _reader(principal), person_id, changes, key=settings.id_key
        )
    return Person.model_validate(changed)


@router.post(
    "/persons/{person_id}/reveal",
    response_model=RevealOut,
    responses={**ERRORS, 429: {"model": Error}},
    summary="查看居民完整姓名、身份证号、出生日期、电话（须说明理由，留痕，限频）",
)
def reveal_person(
    person_id: int, body: RevealIn, request: Request, principal: Revealer, engine: EngineDep
) -> RevealOut:
    with engine.begin() as conn:
        fields = people.reveal_fields(conn, _reader(principal), person_id)
        return reveal(request, conn, principal, "person", person_id, fields, body.reason)


@router.get("/houses/{code}", response_model=House, responses=ERRORS, summary="单个房屋")
def get_house(code: str, principal: Reader, engine: EngineDep) -> House:
    with engine.begin() as conn:
        return House.model_validate(houses.get_house(conn, _reader(principal), code))


@router.patch(
    "/houses/{code}", response_model=House, responses=ERRORS, summary="修改房屋信息（留痕）"
)
def patch_house(code: str, body: HousePatch, principal: Reader, engine: EngineDep) -> House:
    changes = body.model_dump(exclude_unset=True)
    with engine.begin() as conn:
        return House.model_validate(houses.edit_house(conn, _reader(principal), code, changes))


@router.post(
    "/houses/{code}/reveal",
    response_model=RevealOut,
    responses={**ERRORS, 429: {"model": Error}},
    summary="查看房主完整姓名、身份证号、电话（须说明理由，留痕，限频）",
)
def reveal_house_owner(
    code: str, body: RevealIn, request: Request, principal: Revealer, engine: EngineDep
) -> RevealOut:
    with engine.begin() as conn:
        fields = houses.reveal_owner(conn, _reader(principal), code)
        return reveal(request, conn, principal, "house", code, fields, body.reason)


@router.post(
    "/registry/imports",
    response_model=RegistryImport,
    responses={403: {"model": Error}, 413: {"model": Error}, 422: {"model": Error}},
    summary="导入住户和居民（CSV、Excel .xlsx），逐行报告被拒原因，全部或全不写入",
)
def import_registry(
    engine: EngineDep,
    settings: SettingsDep,
    principal: Importer,
    file: Annotated[UploadFile, Form(description="CSV (UTF-8) or Excel .xlsx.")],
) -> RegistryImport:
    name = file.filename or "upload"
    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as copy:
        shutil.copyfileobj(file.file, copy)
        copy.flush()
        report = imports.import_registry(
            engine, Path(copy.name), key=settings.id_key, scope=principal.scope,
            actor=principal.actor, name=name,
        )  # fmt: skip
    return RegistryImport.model_validate(report.as_dict())


@router.get("/facilities", response_model=FacilityPage, responses=ERRORS, summary="物：设施列表")
def list_facilities(
    principal: Reader, engine: EngineDep, micro_grid: MicroGrid = None, grid: Grid = None,
    kind: Kind = None, after: After = None, limit: PageLimit = 100,
) -> FacilityPage:  # fmt: skip
    with engine.begin() as conn:
        page = things.list_facilities(
            conn, _reader(principal), micro_grid=micro_grid, grid=grid, kind=kind, after=after,
            limit=limit,
        )  # fmt: skip
    return FacilityPage.model_validate(page)


@router.get("/facilities/{code}", response_model=Facility, responses=ERRORS, summary="单个设施")
def get_facility(code: str, principal: Reader, engine: EngineDep) -> Facility:
    with engine.begin() as conn:
        return Facility.model_validate(things.get_facility(conn, _reader(principal), code))


@router.get(
    "/organisations",
    response_model=OrganisationPage,
    responses=ERRORS,
    summary="组织：单位和组织列表（法人、联系电话脱敏）",
)
def list_organisations(
    principal: Reader, engine: EngineDep, micro_grid: MicroGrid = None, grid: Grid = None,
    kind: Kind = None, after: After = None, limit: PageLimit = 100,
) -> OrganisationPage:  # fmt: skip
    with engine.begin() as conn:
        page = things.list_organisations(
            conn, _reader(principal), micro_grid=micro_grid, grid=grid, kind=kind, after=after,
            limit=limit,
        )  # fmt: skip
    return OrganisationPage.model_validate(page)


@router.get(
    "/organisations/{code}", response_model=Organisation, responses=ERRORS, summary="单个组织"
)
def get_organisation(code: str, principal: Reader, engine: EngineDep) -> Organisation:
    with engine.begin() as conn:
        found = things.get_organisation(conn, _reader(principal), code)
    return Organisation.model_validate(found)


@router.post(
    "/organisations/{code}/reveal",
    response_model=RevealOut,
    responses={**ERRORS, 429: {"model": Error}},
    summary="查看组织法人和联系电话（须说明理由，留痕，限频）",
)
def reveal_organisation(
    code: str, body: RevealIn, request: Request, principal: Revealer, engine: EngineDep
) -> RevealOut:
    with engine.begin() as conn:
        fields = things.reveal_organisation(conn, _reader(principal), code)
        return reveal(request, conn, principal, "organisation", code, fields, body.reason)
