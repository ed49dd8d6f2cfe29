"""SQL kept in ``.sql`` files beside the code that runs it, loaded once by name.

This is the one way the project composes SQL: a statement is a file read by ``query(name)``,
and a rule that several statements share (who is in a caller's scope, which areas live in a
generation, where an incident of a redrawn micro-grid counts) is a named *fragment* in
``geo/sql/fragments/``, written once and filled in where a statement calls it::

    WHERE {{live(a)}} AND {{area_in_scope(a.code)}}

A package may keep fragments of its own in ``<its sql folder>/fragments/`` (a shared
``SELECT`` list, say), found before the shared ones.

A fragment file starts with its signature, ``-- @fragment live(a, g=:g)``, then comment
lines saying what the rule is and why; the rest is its SQL, in which ``{a}`` stands for the
first argument. Arguments are plain SQL text (an alias, a column, a parameter such as ``:g``);
a fragment may call other fragments. Expansion is textual and happens when the file is
loaded, so PostgreSQL plans exactly the statement it would have planned had the rule been
written out by hand (a SQL function holding a subquery would not be inlined).

Examples
--------
>>> expand("WHERE {{live(a)}}")
'WHERE (a.generation_low <= :g AND (a.generation_high IS NULL OR a.generation_high >= :g))'
>>> expand("{{live(o, gen.g)}}").count("gen.g")
2
>>> expand("{{nowhere(a)}}")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
geo.sql.FragmentError: unknown SQL fragment 'nowhere' in {{nowhere(a)}}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import TextClause, text
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

FRAGMENTS = Path(__file__).parent / "fragments"

#: ``{{name}}`` or ``{{name(arg, arg)}}``; arguments hold no parentheses or braces.
CALL = re.compile(r"\{\{\s*(\w+)\s*(?:\(([^(){}]*)\))?\s*\}\}")
_SIGNATURE = re.compile(r"--\s*@fragment\s+(\w+)\s*\(([^)]*)\)\s*$")


class FragmentError(ValueError):
    """A fragment that does not exist, is called wrongly or is malformed (a programming
    error: every statement is expanded by the test suite)."""


@dataclass(frozen=True)
class Fragment:
    """One named rule: its parameters (with defaults) and its SQL body."""

    name: str
    parameters: tuple[str, ...]
    defaults: dict[str, str]
    body: str

    @classmethod
    def read(cls, path: Path) -> Fragment:
        lines = path.read_text(encoding="utf-8").splitlines()
        found = _SIGNATURE.match(lines[0]) if lines else None
        if found is None or found[1] != path.stem:
            raise FragmentError(f"{path}: must start with '-- @fragment {path.stem}(...)'")
        parameters: list[str] = []
        defaults: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in found[2].split(","))):
            name, _, default = (s.strip() for s in part.partition("="))
            parameters.append(name)
            if default:
                defaults[name] = default
        body = [line for line in lines[1:] if not line.lstrip().startswith("--")]
        return cls(found[1], tuple(parameters), defaults, "\n".join(body).strip())

    def fill(self, arguments: list[str], call: str) -> str:
        if len(arguments) > len(self.parameters):
            raise FragmentError(f"{call}: {self.name} takes {len(self.parameters)} arguments")
        values = dict(zip(self.parameters, arguments, strict=False))
        missing = [p for p in self.parameters if p not in values and p not in self.defaults]
        if missing:
            raise FragmentError(f"{call}: missing argument {', '.join(missing)}")
        values = self.defaults | values
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m[1], m[0]), self.body)


@cache
def fragments(folder: Path = FRAGMENTS) -> dict[str, Fragment]:
    """Every fragment of ``folder`` by name."""
    return {p.stem: Fragment.read(p) for p in sorted(folder.glob("*.sql"))}


def expand(sql: str, folder: Path | None = None, depth: int = 0) -> str:
    """``sql`` with every fragment call replaced by the fragment's SQL, recursively; the
    fragments of ``folder/fragments`` (a package's own) first, then the shared ones."""
    if depth > 8:
        raise FragmentError("SQL fragments call each other in a loop")
    known = fragments() | (fragments(folder / "fragments") if folder else {})

    def fill(call: re.Match[str]) -> str:
        fragment = known.get(call[1])
        if fragment is None:
            raise FragmentError(f"unknown SQL fragment {call[1]!r} in {call[0]}")
        arguments = [a.strip() for a in call[2].split(",")] if call[2] else []
        return expand(fragment.fill(arguments, call[0]), folder, depth + 1)

    return CALL.sub(fill, sql)


def loader(folder: Path) -> Callable[[str], TextClause]:
    """A cached ``query(name)`` reading ``folder/<name>.sql``, fragments filled, as a
    SQLAlchemy text clause."""

    @cache
    def query(name: str) -> TextClause:
        return text(expand((folder / f"{name}.sql").read_text(encoding="utf-8"), folder))

    return query


query = loader(Path(__file__).parent)


#: SQLAlchemy's psycopg dialect, for statements sent without an engine.
psycopg_dialect = PGDialect_psycopg()


@cache
def for_psycopg(statement: TextClause) -> str:
    """``statement`` as a plain psycopg connection takes it (``%(name)s`` parameters): the
    very text SQLAlchemy sends for it, for the reads that run on the async pool
    (``geo.db.make_read_pool``) without an engine.

    >>> for_psycopg(text("SELECT CAST(:a AS int), '5%'"))
    "SELECT CAST(%(a)s AS int), '5%%'"
    """
    return str(statement.compile(dialect=psycopg_dialect))
