"""One place per SQL rule, one way to compose SQL.

The scope rule, the "live in generation g" predicate and the placement of an incident of a
redrawn micro-grid are each written once, as a fragment in ``geo/sql/fragments/`` that the
query loader fills in (``geo.sql``). These tests read the tree: a hand-written copy of a rule
anywhere else fails, as does SQL in ``api/``, a ``query(name)`` naming no file, or a
statement whose fragments do not all expand. ``bench/`` and ``tests/`` are not read: their
hand-written SQL is the independent baseline and oracle the rules are measured against.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from geo.scope import Scope
from geo.sql import FRAGMENTS, Fragment, FragmentError, expand, fragments, loader

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("geo", "cases", "access", "api", "maps")

#: What a hand-written copy of each rule looks like (SQL comments are not read).
RULES = {
    "area scope": re.compile(r"left\(\s*[\w.{}]+\s*,\s*length\(\s*:scope_prefix"),
    "department scope": re.compile(r"=\s*:scope_department\b"),
    "scope parameter": re.compile(r":scope_(prefix|department)\b"),
    "live in generation": re.compile(r"generation_low\s*<=", re.IGNORECASE),
    "live in generation (upper end)": re.compile(
        r"generation_high\s+IS\s+NULL\s+OR\s+[\w.{}]*generation_high\s*>=(?!\s*generation_low)",
        re.IGNORECASE,
    ),
    "lowest code covering": re.compile(
        r"ST_Intersects\([^)]*\)\s*ORDER\s+BY\s+[\w{}]+\.code\s+LIMIT\s+1", re.IGNORECASE
    ),
}
#: The Python form of the incident rule lives in geo/scope.py alone.
PYTHON_SCOPE = re.compile(r"department\s+in\s+\(None,|\.startswith\(\s*self\.area_prefix")


def _sources(*suffixes: str) -> list[Path]:
    found = [
        path
        for package in PACKAGES
        for suffix in suffixes
        for path in (REPO / package).rglob(f"*{suffix}")
    ]
    # the loader itself shows an expansion in its doctest
    loader_module = REPO / "geo" / "sql" / "__init__.py"
    return sorted(p for p in found if FRAGMENTS not in p.parents and p != loader_module)


def _code(path: Path) -> str:
    """The file without SQL line comments (Python comments and docstrings are kept: a rule
    written in a string is still a copy)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if path.suffix == ".sql":
        lines = [line.split("--", 1)[0] for line in lines]
    return "\n".join(lines)


def test_the_sources_are_read() -> None:
    # the grep below must not pass by reading nothing
    sql_files = _sources(".sql")
    assert len(sql_files) >= 50 and len(_sources(".py")) >= 100
    assert REPO / "geo" / "sql" / "heat_counts.sql" in sql_files
    assert all(FRAGMENTS not in p.parents for p in sql_files)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_no_hand_written_copy_of_a_rule(rule: str) -> None:
    pattern = RULES[rule]
    copies = [
        f"{path.relative_to(REPO)}:{_code(path)[: m.start()].count(chr(10)) + 1}"
        for path in _sources(".sql", ".py")
        for m in pattern.finditer(_code(path))
    ]
    assert copies == [], f"{rule} written by hand; use the fragment in geo/sql/fragments/"


def test_each_rule_is_in_exactly_one_fragment() -> None:
    homes = {
        "area scope": {"area_in_scope", "held_in_scope"},
        "department scope": {"department_in_scope", "incident_in_department"},
        "live in generation": {"live"},
        "lowest code covering": {"covering_lowest_code_first"},
    }
    for rule, expected in homes.items():
        holding = {
            name for name, fragment in fragments().items() if RULES[rule].search(fragment.body)
        }
        assert holding == expected, rule


def test_the_python_scope_rule_is_only_in_geo_scope() -> None:
    copies = [
        str(path.relative_to(REPO)) for path in _sources(".py") if PYTHON_SCOPE.search(_code(path))
    ]
    assert copies == ["geo/scope.py"]


def test_no_sql_in_api() -> None:
    sql = re.compile(
        r"\btext\(|\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b"
        r"|from sqlalchemy import.*\btext\b"
    )
    found = [
        f"{path.relative_to(REPO)}: {m[0]}"
        for path in sorted((REPO / "api").rglob("*.py"))
        for m in sql.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []
    assert not list((REPO / "api").rglob("*.sql"))


def _sql_folders() -> list[Path]:
    """Every folder whose ``__init__.py`` makes a ``query`` with :func:`geo.sql.loader`."""
    return sorted(
        init.parent
        for package in PACKAGES
        for init in (REPO / package).rglob("sql/__init__.py")
        if "loader(" in init.read_text(encoding="utf-8")
    )


def test_every_statement_expands() -> None:
    folders = _sql_folders()
    assert {f.relative_to(REPO).as_posix() for f in folders} >= {
        "geo/sql",
        "geo/plans/sql",
        "cases/sql",
        "cases/redraw/sql",
        "access/sql",
    }
    expanded = 0
    for folder in folders:
        query = loader(folder)
        for path in sorted(folder.glob("*.sql")):
            sql = query(path.stem).text
            assert "{{" not in sql and "}}" not in sql, path
            expanded += 1
    assert expanded >= 60


def test_every_fragment_expands() -> None:
    for folder in [FRAGMENTS, *(f / "fragments" for f in _sql_folders())]:
        for path in sorted(folder.glob("*.sql")):
            fragment = Fragment.read(path)
            call = f"{{{{{fragment.name}({', '.join(fragment.parameters)})}}}}"
            sql = expand(call, folder.parent)
            assert "{{" not in sql and not re.search(r"\{\w+\}", sql), path
            for parameter in fragment.parameters:
                assert f"{{{parameter}}}" in fragment.body, (path, parameter)


def _query_calls(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "query":
            arg = node.args[0] if node.args else None
            options = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
            for option in options:
                assert isinstance(option, ast.Constant), ast.unparse(node)
                names.append(str(option.value))
    return names


def test_every_query_name_names_a_file() -> None:
    checked = 0
    for path in _sources(".py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports = [
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and node.module
            and any(alias.name == "query" for alias in node.names)
        ]
        if not imports:
            continue
        assert len(imports) == 1, path
        folder = REPO / imports[0].replace(".", "/")
        for name in _query_calls(tree):
            assert (folder / f"{name}.sql").is_file(), f"{path.relative_to(REPO)}: {name}"
            checked += 1
    assert checked >= 60


def test_expansion_is_textual_and_checked() -> None:
    assert expand("{{live(a)}}") == (
        "(a.generation_low <= :g AND (a.generation_high IS NULL OR a.generation_high >= :g))"
    )
    assert expand("{{live(o, p.base_generation)}}").count("p.base_generation") == 2
    with pytest.raises(FragmentError, match="unknown SQL fragment 'live_in'"):
        expand("{{live_in(a)}}")
    with pytest.raises(FragmentError, match="missing argument code"):
        expand("{{area_in_scope}}")
    with pytest.raises(FragmentError, match="takes 2 arguments"):
        expand("{{live(a, :g, x)}}")


SCOPES = [
    Scope(area_prefix="150621001"),
    Scope(department="D02"),
    Scope(area_prefix="150621001", department="D02"),
    Scope(area_prefix="15062100100101"),
    Scope(area_prefix="150621002", department="D01"),
]


@pytest.mark.parametrize("scope", SCOPES, ids=str)
def test_the_python_rule_is_the_sql_rule(conn: Connection, scope: Scope) -> None:
    """Every incident of the sample, judged by the SQL fragment and by Scope.holds."""
    rows = conn.execute(
        text(
            expand(
                "SELECT q.code AS queue_code, d.code AS department_code,"
                " {{incident_in_scope(i)}} AS inside"
                " FROM incident i JOIN area q ON q.id = i.queue_area_id"
                " JOIN department d ON d.id = i.department_id"
            )
        ),
        scope.params(),
    ).all()
    inside = [r for r in rows if r.inside]
    assert 0 < len(inside) < len(rows)
    assert [scope.holds(r.queue_code, r.department_code) for r in rows] == [
        bool(r.inside) for r in rows
    ]


def test_storage_geom_is_in_the_storage_srid() -> None:
    from geo.models import STORAGE_SRID

    assert fragments()["storage_geom"].body == f"ST_Multi(ST_GeomFromWKB({{wkb}}, {STORAGE_SRID}))"
