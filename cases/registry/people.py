"""One person: read masked, revealed with a reason, edited with a version.

Every edit writes one ``registry_version`` row (who, when, the changed fields before and
after, real values: the table is never served) in the edit's transaction, and an audit entry
naming the fields changed (never the values).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Row

from access import audit
from cases.registry import idnumber
from cases.registry.households import Reader, tag_kinds
from cases.registry.marks import EDIT_ROLES, RESIDENCE, person_view, sees_p3
from cases.registry.sql import query
from geo.errors import Forbidden, InvalidInput, NotFound

#: What a person's PATCH may change.
PERSON_FIELDS = (
    "name", "id_number", "phone", "ethnicity", "residence_type", "party_member", "household",
    "tags",
)  # fmt: skip


def _find(conn: Connection, reader: Reader, person_id: int) -> Row[Any]:
    row = conn.execute(
        query("person_find"), {"id": person_id, **reader.scope.params()}
    ).one_or_none()
    if row is None:
        raise NotFound(f"person {person_id} not found")
    return row


def get_person(conn: Connection, reader: Reader, person_id: int) -> dict[str, Any]:
    """A person inside the reader's scope, masked, tags cut to the role (P3 audited)."""
    row = _find(conn, reader, person_id)
    kinds = tag_kinds(conn)
    tags = [
        {"tag": t, "label": kinds[t][0], "mark": m}
        for t, m in row.tags
        if m != "P3" or sees_p3(reader.role)
    ]
    if any(t["mark"] == "P3" for t in tags):
        audit.record(conn, reader.actor, "registry.p3_read", "person", person_id)
    return person_view(row, tags)


def reveal_fields(conn: Connection, reader: Reader, person_id: int) -> dict[str, str | None]:
    """The clear P2 fields of a person (for :func:`api.reveal.reveal`, which audits)."""
    if reader.role not in EDIT_ROLES:
        raise Forbidden("this role may not reveal residents' personal data")
    row = _find(conn, reader, person_id)
    return {
        "name": row.name,
        "id_number": row.id_number,
        "birth_date": row.birth_date.isoformat() if row.birth_date else None,
        "phone": row.phone,
    }


def _jsonable(values: dict[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False, default=str)


def record_version(
    conn: Connection, reader: Reader, entity: str, entity_id: int,
    before: dict[str, Any], after: dict[str, Any],
) -> int:  # fmt: skip
    """Append the edit to ``registry_version`` and audit it (field names only); its id."""
    changed = sorted(k for k in after if before.get(k) != after[k])
    row = conn.execute(
        query("version_insert"),
        {
            "entity": entity,
            "entity_id": entity_id,
            "by": reader.actor.username,
            "before": _jsonable({k: before.get(k) for k in changed}),
            "after": _jsonable({k: after[k] for k in changed}),
        },
    ).one()
    audit.record(
        conn, reader.actor, f"registry.{entity}.edit", entity, entity_id,
        after={"fields": changed, "version": row.id},
    )  # fmt: skip
    return int(row.id)


def _check(changes: dict[str, Any], key: str) -> dict[str, Any]:
    out = dict(changes)
    if "id_number" in out:
        number = idnumber.normalise(str(out["id_number"]))
        problem = idnumber.problem(number)
        if problem:
            raise InvalidInput("id_number", problem)
        out["id_number"] = number
        out["id_hash"] = idnumber.id_hash(number, key)
        out["birth_date"] = idnumber.birth_date(number)
        out["sex"] = idnumber.sex(number)
    if "residence_type" in out:
        value = RESIDENCE.get(out["residence_type"], out["residence_type"])
        if value not in RESIDENCE.values():
            raise InvalidInput("residence_type", "must be 户籍, 流动 or 境外")
        out["residence_type"] = value
    if "name" in out and not str(out["name"]).strip():
        raise InvalidInput("name", "must not be empty")
    return out


def edit_person(
    conn: Connection, reader: Reader, person_id: int, changes: dict[str, Any], *, key: str
) -> dict[str, Any]:
    """Apply ``changes`` (fields of :data:`PERSON_FIELDS`) to a person inside the scope,
    versioned; the person as readers see them afterwards, with ``version``."""
    if reader.role not in EDIT_ROLES:
        raise Forbidden("this role may not edit the registry")
    _find(conn, reader, person_id)
    unknown = sorted(set(changes) - set(PERSON_FIELDS))
    if unknown:
        raise InvalidInput(unknown[0], "is not a field a person's edit may change")
    if not changes:
        raise InvalidInput("body", "names no field to change")
    checked = _check(changes, key)
    tags = checked.pop("tags", None)
    before = dict(conn.execute(query("person_lock"), {"id": person_id}).one()._mapping)
    if "household" in checked:
        checked["household_id"] = _household_in_scope(conn, reader, checked.pop("household"))
    if "id_hash" in checked:
        holder = conn.execute(
            query("hash_owner"), {"hash": checked["id_hash"], "id": person_id}
        ).scalar_one_or_none()
        if holder is not None:
            raise InvalidInput("id_number", f"already registered in household {holder}")
    after = {**before, **checked}
    conn.execute(query("person_update"), {**after, "id": person_id})
    if tags is not None:
        before["tags"] = list(conn.execute(query("person_tags_of"), {"id": person_id}).scalars())
        after["tags"] = _tags(conn, tags)
        conn.execute(query("person_tags_set"), {"id": person_id, "tags": after["tags"]})
    before.pop("id_hash", None)
    after.pop("id_hash", None)
    version = record_version(conn, reader, "person", person_id, before, after)
    return {**get_person(conn, reader, person_id), "version": version}


def _tags(conn: Connection, tags: Any) -> list[str]:
    kinds = tag_kinds(conn)
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidInput("tags", "must be a list of tag names")
    unknown = [t for t in tags if t not in kinds or t == "ordinary"]
    if unknown:
        raise InvalidInput("tags", f"unknown tag {unknown[0]!r}")
    return sorted(set(tags))


def _household_in_scope(conn: Connection, reader: Reader, code: Any) -> int:
    from cases.registry.households import get_household

    get_household(conn, reader, str(code))
    return int(conn.execute(query("household_id"), {"code": str(code)}).scalar_one())
