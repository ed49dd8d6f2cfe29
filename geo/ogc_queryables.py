"""OGC API - Features Part 3 queryables: what a CQL2 filter may name in each collection.

A queryable is a feature property (or the geometry) a filter may name: its JSON Schema type,
its Chinese title, and the SQL expression it stands for in the statement that filters the
collection (``geo/sql/ogc_*.sql``: the area row is aliased ``a``; the counts or coverage
computed for it, ``c``). This table is the only source of identifiers in a filter's SQL
(:mod:`geo.ogc_filter`): a name that is not here is refused before any SQL is written.

A queryable is *computed* when it is not a column of the area (the incident counts, the
coverage figures): a filter naming one is evaluated after the figures are computed for every
candidate micro-grid (``ogc_*_filtered.sql``), not only for the page.

Examples
--------
>>> q = queryables("micro_grids")
>>> q["township_code"].sql, q["population"].type
('left(a.code, 9)', 'integer')
>>> q = queryables("incident_counts", majors=[("01", "矛盾纠纷")])
>>> q["open_01"].title, q["open_01"].computed
('未办结事件数：矛盾纠纷', True)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

Type = Literal["string", "integer", "boolean", "timestamp", "geometry"]

SCHEMA = "application/schema+json"
REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
#: JSON Schema 2020-12, which Part 3 (``/req/queryables/get-queryables-response``) names.
DIALECT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class Queryable:
    """One property a filter may name: type, Chinese title, SQL expression, computed or not."""

    type: Type
    title: str
    sql: str
    computed: bool = False

    def schema(self) -> dict[str, Any]:
        """The property's JSON Schema, as Part 3 writes it."""
        if self.type == "geometry":
            return {"title": self.title, "format": "geometry-any", "x-ogc-role": "primary-geometry"}
        if self.type == "timestamp":
            return {"title": self.title, "type": "string", "format": "date-time"}
        return {"title": self.title, "type": self.type}


_BASE = {
    "code": Queryable("string", "编码", "a.code"),
    "name": Queryable("string", "名称", "a.name"),
    "township_code": Queryable("string", "所属乡镇（街道）编码", "left(a.code, 9)"),
    "geometry": Queryable("geometry", "边界", "a.geom"),
}
_POPULATION = {"population": Queryable("integer", "人口", "a.population")}
_AREA = {
    "level": Queryable("string", "层级", "a.level"),
    "kind": Queryable("string", "类型", "a.kind"),
    "parent_code": Queryable(
        "string", "上级编码", "(SELECT p.code FROM area p WHERE p.id = a.parent_id)"
    ),
    "generation_low": Queryable("integer", "起始边界版本", "a.generation_low"),
    "generation_high": Queryable("integer", "终止边界版本", "a.generation_high"),
}
_COVERAGE = {
    "households": Queryable("integer", "户数", "c.households", True),
    "claimed": Queryable("integer", "已认领户数", "c.claimed", True),
    "visited": Queryable("integer", "周期内已走访户数", "c.visited", True),
    "overdue": Queryable("integer", "逾期未走访户数", "c.overdue", True),
    "members": Queryable("integer", "网格员与党员人数", "c.members", True),
    "last_contact": Queryable("timestamp", "最近一次联系时间", "c.last_contact", True),
    "uncovered": Queryable("boolean", "未覆盖（无人负责或14天未联系）", "c.uncovered", True),
}
_MAJOR = re.compile(r"\d\d")


def _counts(majors: Sequence[tuple[str, str]]) -> dict[str, Queryable]:
    counts = {
        "open_count": Queryable("integer", "未办结事件数", "coalesce(c.open_count, 0)", True),
        "total_count": Queryable("integer", "事件总数", "coalesce(c.total_count, 0)", True),
    }
    for code, name in majors:
        if not _MAJOR.fullmatch(code):  # the code becomes part of the SQL text
            raise ValueError(f"major category code {code!r} is not two digits")
        for kind, label, index in (("open", "未办结事件数", 0), ("total", "事件总数", 1)):
            sql = f"coalesce((c.counts -> '{code}' ->> {index})::int, 0)"
            counts[f"{kind}_{code}"] = Queryable("integer", f"{label}：{name}", sql, True)
    return counts


def queryables(collection: str, majors: Sequence[tuple[str, str]] = ()) -> dict[str, Queryable]:
    """The queryables of ``collection`` (a collection id), by name.

    ``majors`` lists the major incident categories (code, name); only ``incident_counts``
    uses them, one ``open_XX`` and one ``total_XX`` count each.
    """
    if collection == "incident_counts":
        return _BASE | _POPULATION | _counts(majors)
    if collection == "coverage":
        return _BASE | _COVERAGE
    return _BASE | _POPULATION | _AREA


def document(href: str, title: str, found: dict[str, Queryable]) -> dict[str, Any]:
    """The ``/collections/{id}/queryables`` JSON Schema of a collection at ``href``."""
    return {
        "$schema": DIALECT,
        "$id": href,
        "type": "object",
        "title": title,
        "description": "可在 filter（CQL2）中使用的属性。",
        "properties": {name: q.schema() for name, q in found.items()},
        "additionalProperties": False,
        # the draft's list, which GDAL's OAPIF driver (3.12 still) reads to learn what it may
        # send to the server; an unknown keyword to JSON Schema, so harmless to validators
        "queryables": [{"id": name, "type": q.type} for name, q in found.items()],
    }
