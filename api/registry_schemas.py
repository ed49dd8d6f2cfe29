"""Response and request models of the registry (``api/routers/registry.py``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas import Strict


class Tag(Strict):
    tag: str
    label: str
    mark: Literal["P1", "P2", "P3"]


class Person(Strict):
    """A resident as readers get them: name, ID number, birth date and phone masked."""

    id: int
    household: str
    name: str | None
    id_number: str | None
    birth_date: str | None
    sex: str | None
    ethnicity: str | None
    phone: str | None
    residence_type: str | None
    party_member: bool
    tags: list[Tag]
    version: int | None = None


class House(Strict):
    code: str
    name: str
    lon: float
    lat: float
    micro_grid: str
    use: str | None
    structure: str | None
    rented: bool | None
    owner_name: str | None
    owner_id_number: str | None
    owner_phone: str | None
    version: int | None = None


class Household(Strict):
    code: str
    micro_grid: str
    house: House
    head_person_id: int | None
    claimed_by_member_id: int | None
    claimed_at: str | None
    persons: list[Person]
    version: int | None = None


class HouseholdPage(Strict):
    households: list[Household]
    next: str | None = Field(description="The `after` of the next page; null on the last.")


class PersonPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    id_number: str | None = Field(default=None, min_length=1, max_length=32)
    phone: str | None = Field(default=None, max_length=32)
    ethnicity: str | None = Field(default=None, max_length=32)
    residence_type: str | None = Field(default=None, max_length=16)
    party_member: bool | None = None
    household: str | None = Field(default=None, max_length=32)
    tags: list[str] | None = Field(default=None, max_length=16)


class HousePatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    use: str | None = Field(default=None, max_length=32)
    structure: str | None = Field(default=None, max_length=32)
    rented: bool | None = None
    owner_name: str | None = Field(default=None, max_length=64)
    owner_id_number: str | None = Field(default=None, max_length=32)
    owner_phone: str | None = Field(default=None, max_length=32)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)


class HouseholdPatch(Strict):
    head_person_id: int = Field(ge=1, le=2**62)


class RefusedRow(Strict):
    line: int
    field: str
    reason: str


class RegistryImport(Strict):
    """What became of every row: all written, or nothing and each refusal by line and field."""

    file: str
    format: Literal["csv", "xlsx"]
    rows: int
    written: bool
    houses: int
    households: int
    persons: int
    refused: list[RefusedRow]


class Facility(Strict):
    """A facility (物): every field P0/P1, served as stored."""

    code: str
    kind: str
    owner_unit: str | None
    state: str | None
    lon: float
    lat: float
    micro_grid: str


class FacilityPage(Strict):
    facilities: list[Facility]
    next: str | None = Field(description="The `after` of the next page; null on the last.")


class Organisation(Strict):
    """A unit or organisation (组织): legal person and contact phone (P2) masked."""

    code: str
    name: str
    address: str | None
    kind: str | None
    key_unit: bool
    party_members: int | None
    legal_person: str | None
    contact_phone: str | None
    lon: float | None
    lat: float | None
    micro_grid: str | None = Field(description="Null for one known by address only.")


class OrganisationPage(Strict):
    organisations: list[Organisation]
    next: str | None = Field(description="The `after` of the next page; null on the last.")
