r"""Values PostgreSQL cannot store, refused at the edge with the field they came in.

Two kinds of value pass every declared type and still fail in the database, which used to
answer 500: a string holding a NUL character (``\u0000``: no ``text`` value may contain one)
and an integer outside ``bigint``. :func:`refuse_unstorable` runs before every route's own
dependencies (it is an app-wide dependency, like the sign-in check) and looks at

- every query and path parameter for a NUL, and every parameter the route declares as an
  integer for a value outside ``bigint``;
- the body (JSON, or a form) for a NUL in any string and an integer outside ``bigint``,
  naming the field as a refused body does (``reporter.name``, ``media.0.url``).

Whatever slips past (a value assembled inside the service) is translated by
:func:`translate` from the driver's error into the same refusal, without a field to name,
rather than a 500.

Examples
--------
>>> unstorable("ab\x00c")
'must not contain a NUL character (\\u0000)'
>>> unstorable(2**63), unstorable(2**63 - 1), unstorable("x")
('must be an integer from -9223372036854775808 to 9223372036854775807', None, None)
>>> first_unstorable({"reporter": {"name": "张\x00"}, "media": [{"url": "x"}, {"n": 10**30}]})
('reporter.name', 'must not contain a NUL character (\\u0000)')
>>> first_unstorable({"media": [{"url": "x"}, {"n": 10**30}]})[0]
'media.1.n'
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from psycopg import errors as pg
from sqlalchemy.exc import DBAPIError

from geo.errors import InvalidInput

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
NUL = "must not contain a NUL character (\\u0000)"
OUT_OF_RANGE = f"must be an integer from {BIGINT_MIN} to {BIGINT_MAX}"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def unstorable(value: Any) -> str | None:
    """Why PostgreSQL could not store ``value``, or None."""
    if isinstance(value, str) and "\x00" in value:
        return NUL
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and not BIGINT_MIN <= value <= BIGINT_MAX
    ):
        return OUT_OF_RANGE
    return None


def first_unstorable(value: Any, path: str = "") -> tuple[str, str] | None:
    r"""The first (field path, problem) inside a decoded JSON value, keys included.

    >>> first_unstorable({"versions": {"N" + chr(0): 1}})
    ('versions', 'keys must not contain a NUL character (\\u0000)')
    """
    if isinstance(value, dict):
        for key, child in value.items():
            if "\x00" in key:  # named by the object holding it: the key is the bad value
                return path or "body", f"keys {NUL}"
            found = first_unstorable(child, f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    if isinstance(value, list):
        for index, child in enumerate(value):
            found = first_unstorable(child, f"{path}.{index}" if path else str(index))
            if found:
                return found
        return None
    problem = unstorable(value)
    return (path, problem) if problem else None


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_int(arg) for arg in typing.get_args(annotation))
    return False


def _declared_ints(dependant: Dependant) -> Iterator[tuple[str, str]]:
    """(where, name) of every path and query parameter the route declares as an integer."""
    for where, fields in (("path", dependant.path_params), ("query", dependant.query_params)):
        for field in fields:
            if _is_int(field.field_info.annotation):
                yield where, field.alias
    for sub in dependant.dependencies:
        yield from _declared_ints(sub)


#: Route id → (the route, its integer parameters). Routes are unhashable; holding the route
#: keeps its id from being reused by another app's route (the tests build several apps).
_INTS: dict[int, tuple[APIRoute, frozenset[tuple[str, str]]]] = {}


def _ints_of(route: APIRoute) -> frozenset[tuple[str, str]]:
    """The route's integer parameters, worked out on its first request."""
    cached = _INTS.get(id(route))
    if cached is None or cached[0] is not route:
        cached = _INTS[id(route)] = (route, frozenset(_declared_ints(route.dependant)))
    return cached[1]


def _integer(raw: str) -> int | None:
    try:
        return int(raw.strip())
    except ValueError:
        return None


async def refuse_unstorable(request: Request) -> None:
    """The app-wide check described in the module docstring; raises :class:`InvalidInput`."""
    route = request.scope.get("route")
    ints = _ints_of(route) if isinstance(route, APIRoute) else frozenset()
    for where, params in (
        ("path", list(request.path_params.items())),
        ("query", request.query_params.multi_items()),
    ):
        for name, raw in params:
            number = _integer(raw) if (where, name) in ints else None
            problem = unstorable(raw) or unstorable(number)
            if problem:
                raise InvalidInput(name, problem, where=where)
    found = await _in_body(request)
    if found:
        raise InvalidInput(found[0], found[1], where="body")


async def _in_body(request: Request) -> tuple[str, str] | None:
    """The body's first unstorable value. FastAPI has read the body before the dependencies
    run (Starlette keeps it on the request), so this reads nothing twice."""
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return None
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in _FORMS:
        form = await request.form()
        return first_unstorable({k: v for k, v in form.multi_items() if isinstance(v, str)})
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            decoded = await request.json()  # parsed once: FastAPI asked the same request
        except ValueError:
            return None  # not JSON: the route's own validation says so
        return first_unstorable(decoded)
    return None


#: SQLSTATEs of a value the database could not take: a number out of range, a character the
#: encoding has no place for.
_REFUSED_STATES = frozenset({"22003", "22021", "22P05"})


def translate(exc: DBAPIError) -> InvalidInput | None:
    """The driver's refusal of a value as :class:`InvalidInput`, or None for other errors.

    psycopg refuses a NUL itself (no SQLSTATE); PostgreSQL refuses the others.
    """
    orig = exc.orig
    if isinstance(orig, pg.DataError) and (
        getattr(orig, "sqlstate", None) in _REFUSED_STATES or "NUL" in str(orig)
    ):
        return InvalidInput("request", "holds a value the database cannot store", where="request")
    return None
