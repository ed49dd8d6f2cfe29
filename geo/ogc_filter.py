"""OGC API - Features Part 3 filters: CQL2 text or JSON to a SQL condition with bound values.

The ``cql2`` package (Rust, maintained with the standard) parses either encoding into CQL2
JSON; this module walks that JSON and writes the condition itself. What can go wrong and why
it cannot reach the database:

- a value is never SQL text: every literal becomes a bound parameter (``:cql2_0``...), cast
  to the type the comparison needs; geometries are checked with shapely and bound as WKB;
- an identifier is never the client's: a property is looked up in the collection's
  queryables (:mod:`geo.ogc_queryables`) and replaced by the SQL expression found there, and
  an unknown one is :class:`~geo.errors.InvalidInput` naming it and listing the queryables;
- an operator or function outside the table below is refused by name; operands of the
  wrong type (a number compared with a code) are refused before PostgreSQL sees them;
- a filter that does not parse is refused with the parser's line and column; one longer
  than :data:`MAX_LENGTH`, nested deeper than :data:`MAX_DEPTH`, or holding a NUL or a
  number that is not finite is refused before or after parsing. The parser recurses
  natively and would overflow an ordinary thread's stack on thousands of nested
  parentheses, so it runs on a thread of its own with a large stack.

The condition is spliced where a statement says ``{{cql2_filter}}`` (``TRUE`` when there is
no filter), so scope, bbox, limit and paging apply together with it and ``numberMatched``
counts what it matched.

Examples
--------
>>> from geo.ogc_queryables import queryables
>>> f = parse("township_code = '150621001' AND population > 20")
>>> where = to_sql(f, queryables("micro_grids"), "micro_grids")
>>> where.sql
'((left(a.code, 9) = CAST(:cql2_0 AS text)) AND (a.population > CAST(:cql2_1 AS float8)))'
>>> where.params
{'cql2_0': '150621001', 'cql2_1': 20.0}
>>> try:
...     to_sql(parse("colour = 'red'"), queryables("townships"), "townships")
... except InvalidInput as e:
...     print(e.problem.split(";")[0])
property 'colour' is not queryable in townships
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import cql2
import shapely
from shapely.errors import GEOSException
from sqlalchemy import TextClause, text

from geo.errors import InvalidInput
from geo.ogc_queryables import Queryable
from geo.privacy import scrub

LANGS = ("cql2-text", "cql2-json")
#: The draft's name for the text encoding, which GDAL's OAPIF driver (3.12 still) sends: read
#: as ``cql2-text`` (what GDAL writes from an OGR SQL ``-where`` is CQL2 text).
GDAL_TEXT = "cql-text"
MAX_LENGTH = 16_384
MAX_DEPTH = 64
#: What ``{{cql2_filter}}`` expands to (``geo/sql/fragments/cql2_filter.sql``).
MARKER = "TRUE /* cql2_filter */"
#: A DATE literal is the whole day in China time.
CHINA = timezone(timedelta(hours=8))

_COMPARISONS = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_SPATIAL = {
    "s_intersects": "ST_Intersects",
    "s_within": "ST_Within",
    "s_contains": "ST_Contains",
    "s_disjoint": "NOT ST_Intersects",
    "s_equals": "ST_Equals",
    "s_touches": "ST_Touches",
    "s_overlaps": "ST_Overlaps",
    "s_crosses": "ST_Crosses",
}
_TEMPORAL = ("t_after", "t_before", "t_during", "t_intersects", "t_equals")
SUPPORTED = (
    "and, or, not, =, <>, <, <=, >, >=, like, in, between, isNull, "
    + ", ".join(_SPATIAL)
    + ", "
    + ", ".join(_TEMPORAL)
)
#: Kinds of value that compare with each other.
_FAMILY = {"string": "text", "integer": "number", "number": "number", "boolean": "boolean"}
_FAMILY |= {"timestamp": "time"}


@dataclass(frozen=True)
class Cql2:
    """A parsed filter (CQL2 JSON) and whether its coordinates are latitude first."""

    expression: Any
    lat_first: bool = False


@dataclass(frozen=True)
class Where:
    """A SQL condition, its bound values, and whether it names a computed queryable."""

    sql: str
    params: dict[str, Any]
    computed: bool


def _refuse(problem: str) -> InvalidInput:
    """A 400 on ``filter``; a phone or ID number the client put in a value is masked."""
    return InvalidInput("filter", scrub(problem))


def _on_big_stack(work: Callable[[], Any]) -> Any:
    """``work()`` on a thread with a 256 MiB stack (virtual: pages are used as touched)."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # re-raised in the caller's thread below; a Rust panic
            # (pyo3's PanicException is a BaseException) becomes an ordinary error
            failure = exc if isinstance(exc, Exception) else ValueError(f"the parser failed: {exc}")
            outcome.append((False, failure))

    previous = threading.stack_size(256 << 20)
    try:
        worker = threading.Thread(target=run, name="cql2-parse")
        worker.start()
    finally:
        threading.stack_size(previous)
    worker.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _position(message: str) -> str:
    """The parser's position and expectation, without echoing the filter back."""
    found = re.search(r"-->\s*(\d+):(\d+)", message) or re.search(
        r"line (\d+) column (\d+)", message
    )
    where = f"at line {found[1]}, column {found[2]}" if found else "(no position given)"
    expected = re.search(r"=\s*(expected .*)", message)
    detail = expected[1] if expected else message.split(" at line ")[0].splitlines()[0]
    return f"{where}: {detail}"


def parse(value: str, lang: str | None = None, *, lat_first: bool = False) -> Cql2:
    """``value`` in ``lang`` (``cql2-text``, the default, or ``cql2-json``) as CQL2 JSON.

    ``lat_first``: the filter's coordinates are in EPSG:4490's own order (``filter-crs``).
    """
    lang = "cql2-text" if lang in (None, GDAL_TEXT) else lang
    if lang not in LANGS:
        raise InvalidInput("filter-lang", f"unsupported {lang!r}; this service reads {LANGS}")
    if len(value) > MAX_LENGTH:
        raise _refuse(f"is {len(value):,} characters long; at most {MAX_LENGTH:,} are read")
    if "\x00" in value:
        raise _refuse(f"holds a NUL character at offset {value.index(chr(0))}")
    reader = cql2.parse_text if lang == "cql2-text" else cql2.parse_json
    try:
        expression = _on_big_stack(lambda: reader(value).to_json())
    except Exception as exc:  # cql2's ParseError, and plain Exception for bad geometry text
        raise _refuse(f"does not parse as {lang} {_position(str(exc))}") from None
    return Cql2(expression, lat_first)


def to_sql(f: Cql2, found: Mapping[str, Queryable], collection: str) -> Where:
    """``f`` as a SQL condition over ``collection``'s queryables ``found``."""
    translator = _Translator(found, collection, f.lat_first)
    sql = translator.predicate(f.expression, 0)
    return Where(sql, translator.params, translator.computed)


def statement(
    plain: TextClause, where: Where | None, computed: TextClause | None = None
) -> TextClause:
    """``plain`` with ``where`` spliced in, or ``computed`` (the statement that computes the
    figures for every candidate) when ``where`` names a computed queryable."""
    if where is None:
        return plain
    chosen = computed if where.computed and computed is not None else plain
    if MARKER not in chosen.text:
        raise RuntimeError(f"no {{{{cql2_filter}}}} in {chosen.text[:80]!r}")
    return text(chosen.text.replace(MARKER, f"({where.sql})"))


class _Translator:
    """One walk over a CQL2 JSON tree, collecting bound values as it writes SQL."""

    def __init__(self, found: Mapping[str, Queryable], collection: str, lat_first: bool):
        self.found = found
        self.collection = collection
        self.lat_first = lat_first
        self.params: dict[str, Any] = {}
        self.computed = False

    def bind(self, value: Any, cast: str | None = None) -> str:
        name = f"cql2_{len(self.params)}"
        self.params[name] = value
        return f"CAST(:{name} AS {cast})" if cast else f":{name}"

    # --- predicates ---------------------------------------------------------------------

    def predicate(self, node: Any, depth: int) -> str:
        if depth > MAX_DEPTH:
            raise _refuse(f"is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, bool):
            return "TRUE" if node else "FALSE"
        if isinstance(node, dict) and "property" in node:
            sql, kind = self.value(node)
            if kind != "boolean":
                raise _refuse(f"property {node['property']!r} is {kind}, not a condition")
            return sql
        if not isinstance(node, dict) or not isinstance(node.get("op"), str):
            raise _refuse(f"expected a condition, got {_show(node)}")
        op, args = node["op"], node.get("args") or []
        if not isinstance(args, list):
            raise _refuse(f"the arguments of {op!r} must be a list")
        if op in ("and", "or"):
            return "(" + f" {op.upper()} ".join(self.predicate(a, depth + 1) for a in args) + ")"
        if op == "not":
            return f"(NOT {self.predicate(_one(op, args), depth + 1)})"
        if op in _COMPARISONS:
            return self.comparison(op, *_n(op, args, 2))
        if op == "like":
            (x, kx), (y, ky) = (self.value(a) for a in _n(op, args, 2))
            if kx != "string" or ky != "string":
                raise _refuse(f"like compares text, got {kx} and {ky}")
            return f"({x} LIKE {y})"
        if op == "between":
            return self.between(args)
        if op == "in":
            return self.within_list(*_n(op, args, 2))
        if op == "isNull":
            return f"({self.value(_one(op, args))[0]} IS NULL)"
        if op in _SPATIAL:
            a, b = (self.geometry(g) for g in _n(op, args, 2))
            return f"({_SPATIAL[op]}({a}, {b}))"
        if op in _TEMPORAL:
            return self.temporal(op, *_n(op, args, 2))
        raise _refuse(f"unsupported operator or function {op!r}; supported: {SUPPORTED}")

    def comparison(self, op: str, left: Any, right: Any) -> str:
        (x, kx), (y, ky) = self.value(left), self.value(right)
        if _FAMILY[kx] != _FAMILY[ky]:
            raise _refuse(f"{op!r} cannot compare {_show(left)} ({kx}) with {_show(right)} ({ky})")
        if kx == "boolean" and op not in ("=", "<>"):
            raise _refuse(f"{op!r} does not order true and false")
        return f"({x} {_COMPARISONS[op]} {y})"

    def between(self, args: list[Any]) -> str:
        if len(args) == 2 and isinstance(args[1], list):
            args = [args[0], *args[1]]
        x, low, high = _n("between", args, 3)
        (sql, kind), bounds = self.value(x), [self.value(b) for b in (low, high)]
        if kind not in ("integer", "number") or any(k != "number" for _, k in bounds):
            raise _refuse(f"between needs a number between two numbers, got {_show(x)} ({kind})")
        return f"({sql} BETWEEN {bounds[0][0]} AND {bounds[1][0]})"

    def within_list(self, x: Any, items: Any) -> str:
        if not isinstance(items, list) or not items:
            raise _refuse("in needs a non-empty list of values")
        sql, kind = self.value(x)
        values = [self.value(item) for item in items]
        wrong = [_show(item) for item, (_, k) in zip(items, values, strict=True)]
        if any(_FAMILY[k] != _FAMILY[kind] for _, k in values):
            raise _refuse(f"in compares {_show(x)} ({kind}) with values of another type: {wrong}")
        return f"({sql} IN ({', '.join(v for v, _ in values)}))"

    # --- values -------------------------------------------------------------------------

    def value(self, node: Any) -> tuple[str, str]:
        """A scalar operand as SQL and its type (``string``, ``number``, ``integer``...)."""
        if isinstance(node, dict) and "property" in node:
            q = self.queryable(node["property"])
            if q.type == "geometry":
                raise _refuse(f"{node['property']!r} is a geometry: use a spatial function")
            return q.sql, q.type
        if isinstance(node, bool):
            return ("TRUE" if node else "FALSE"), "boolean"
        if isinstance(node, str):
            return self.bind(node, "text"), "string"
        if isinstance(node, int | float):
            if not math.isfinite(node):
                raise _refuse(f"the number {node!r} is not finite")
            return self.bind(float(node), "float8"), "number"
        if isinstance(node, dict) and ("timestamp" in node or "date" in node):
            start, _ = self.instant(node)
            return start, "timestamp"
        if isinstance(node, dict) and isinstance(node.get("op"), str):
            raise _refuse(
                f"unsupported operator or function {node['op']!r}; supported: {SUPPORTED}"
            )
        raise _refuse(f"expected a property or a value, got {_show(node)}")

    def queryable(self, name: Any) -> Queryable:
        q = self.found.get(name) if isinstance(name, str) else None
        if q is None:
            names = ", ".join(self.found)
            raise _refuse(
                f"property {name!r} is not queryable in {self.collection}; "
                f"its queryables are {names}"
            )
        self.computed |= q.computed
        return q

    def instant(self, node: dict[str, Any]) -> tuple[str, str]:
        """A TIMESTAMP (one instant) or DATE (its day in China time) as first and last."""
        raw = node.get("timestamp", node.get("date"))
        try:
            if "timestamp" in node:
                moment = datetime.fromisoformat(str(raw))
                if moment.tzinfo is None:
                    raise ValueError("no time zone")
                bound = self.bind(moment, "timestamptz")
                return bound, bound
            day = datetime.combine(date.fromisoformat(str(raw)), time(), CHINA)
        except ValueError:
            raise _refuse(f"{raw!r} is not an RFC 3339 timestamp with a zone or a date") from None
        last = day + timedelta(days=1) - timedelta(microseconds=1)
        return self.bind(day, "timestamptz"), self.bind(last, "timestamptz")

    def period(self, node: Any) -> tuple[str | None, str | None]:
        """An instant or interval operand as its first and last instants (None: open)."""
        if isinstance(node, dict) and "property" in node:
            q = self.queryable(node["property"])
            if q.type != "timestamp":
                raise _refuse(f"{node['property']!r} is {q.type}, not a time")
            return q.sql, q.sql
        if isinstance(node, dict) and ("timestamp" in node or "date" in node):
            return self.instant(node)
        ends = node.get("interval") if isinstance(node, dict) else None
        if not isinstance(ends, list) or len(ends) != 2:
            raise _refuse(
                f"expected a time property, a timestamp or an interval, got {_show(node)}"
            )
        first, last = (None if end == ".." else self.period(_as_time(end)) for end in ends)
        return (first[0] if first else None), (last[1] if last else None)

    def temporal(self, op: str, left: Any, right: Any) -> str:
        (a0, a1), (b0, b1) = self.period(left), self.period(right)
        terms = {
            "t_after": [f"{a0} > {b1}" if b1 and a0 else "FALSE"],
            "t_before": [f"{a1} < {b0}" if b0 and a1 else "FALSE"],
            "t_during": [f"{a0} > {b0}" if b0 else "", f"{a1} < {b1}" if b1 else ""],
            "t_intersects": [f"{a0} <= {b1}" if b1 else "", f"{a1} >= {b0}" if b0 else ""],
            "t_equals": [
                f"{a0} = {b0}" if a0 and b0 else "FALSE",
                f"{a1} = {b1}" if a1 and b1 else "FALSE",
            ],
        }[op]
        kept = [t for t in terms if t] or ["TRUE"]
        return "(" + " AND ".join(kept) + ")"

    def geometry(self, node: Any) -> str:
        """A geometry operand: the geometry queryable or a literal in the filter's CRS."""
        if isinstance(node, dict) and "property" in node:
            q = self.queryable(node["property"])
            if q.type != "geometry":
                raise _refuse(f"{node['property']!r} is {q.type}, not a geometry")
            return q.sql
        if isinstance(node, dict) and "bbox" in node:
            shape = _box(node["bbox"], self.lat_first)
        elif isinstance(node, dict) and "type" in node:
            shape = _shape(node, self.lat_first)
        else:
            raise _refuse(f"expected a geometry or a bbox, got {_show(node)}")
        return f"ST_GeomFromWKB({self.bind(shapely.to_wkb(shape))}, 4490)"


def _as_time(end: Any) -> Any:
    """An interval's end: a string is a date or a timestamp, as CQL2 JSON writes them."""
    if isinstance(end, str):
        return {"date": end} if re.fullmatch(r"\d{4}-\d\d-\d\d", end) else {"timestamp": end}
    return end


def _box(numbers: Any, lat_first: bool) -> shapely.Geometry:
    if not isinstance(numbers, list) or len(numbers) not in (4, 6):
        raise _refuse(f"a bbox has 4 (or 6) numbers, got {_show(numbers)}")
    if not all(isinstance(n, int | float) and math.isfinite(n) for n in numbers):
        raise _refuse(f"a bbox holds finite numbers, got {_show(numbers)}")
    low, high = (numbers[0:2], numbers[2:4]) if len(numbers) == 4 else (numbers[0:2], numbers[3:5])
    if lat_first:
        low, high = low[::-1], high[::-1]
    if low[0] > high[0] or low[1] > high[1]:
        raise _refuse(f"the bbox {numbers} has a minimum above its maximum")
    return _in_range(shapely.box(low[0], low[1], high[0], high[1]))


def _shape(geojson: dict[str, Any], lat_first: bool) -> shapely.Geometry:
    try:
        shape = shapely.force_2d(shapely.geometry.shape(geojson))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, GEOSException):
        raise _refuse(f"not a GeoJSON geometry: {_show(geojson)}") from None
    if lat_first:
        shape = shapely.transform(shape, lambda xy: xy[:, ::-1])
    if shape.is_empty:
        raise _refuse(f"the {shape.geom_type} is empty")
    _in_range(shape)  # before GEOS checks validity: no overflow on absurd coordinates
    if not shapely.is_valid(shape):
        raise _refuse(f"the {shape.geom_type} is not valid: {shapely.is_valid_reason(shape)}")
    return shape


def _in_range(shape: shapely.Geometry) -> shapely.Geometry:
    west, south, east, north = shape.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise _refuse("coordinates lie outside longitude -180..180, latitude -90..90")
    return shape


def _one(op: str, args: list[Any]) -> Any:
    return _n(op, args, 1)[0]


def _n(op: str, args: list[Any], count: int) -> list[Any]:
    if len(args) != count:
        raise _refuse(f"{op!r} takes {count} argument(s), got {len(args)}")
    return args


def _show(node: Any) -> str:
    """A short rendering of a filter node for a message (a property by its name)."""
    if isinstance(node, dict) and "property" in node:
        return str(node["property"])
    shown = repr(node)
    return shown if len(shown) <= 60 else shown[:57] + "..."
