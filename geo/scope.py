"""What part of the banner a caller may see, as the query layer applies it.

A scope is an area code prefix (the codes are hierarchical: a township's code begins every
code inside it) and, for department staff, a department. Every query that lists or fetches
areas, people or incidents takes a scope and filters by it in SQL, so an out-of-scope object
is indistinguishable from a missing one.

Examples
--------
>>> grid = Scope(area_prefix="150621001001001")
>>> grid.covers("1506210010010010101"), grid.covers("150621002")
(True, False)
>>> WHOLE_BANNER.covers("150621002"), WHOLE_BANNER.is_whole
(True, True)
>>> Scope(department="D02").is_whole
False
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """``area_prefix`` None is the whole banner; ``department`` None is every department."""

    area_prefix: str | None = None
    department: str | None = None

    @property
    def is_whole(self) -> bool:
        return self.area_prefix is None and self.department is None

    def covers(self, area_code: str | None) -> bool:
        """Whether an area (by code) lies inside the scope's area; departments aside."""
        if self.area_prefix is None:
            return True
        return area_code is not None and area_code.startswith(self.area_prefix)

    def sees(self, area_code: str | None) -> bool:
        """Whether the caller may see an area: one inside the scope, or one holding it (the
        chain above the caller's own area, as locate shows it).

        >>> grid = Scope(area_prefix="150621001001001")
        >>> grid.sees("1506210010010010101"), grid.sees("150621001"), grid.sees("150621002")
        (True, True, False)
        """
        if self.area_prefix is None:
            return True
        return area_code is not None and (
            area_code.startswith(self.area_prefix) or self.area_prefix.startswith(area_code)
        )

    def params(self) -> dict[str, str | None]:
        """Bind parameters for the SQL fragments below."""
        return {"scope_prefix": self.area_prefix, "scope_department": self.department}


#: Internal callers (the CLI, loaders, housekeeping) and the roles that see everything.
WHOLE_BANNER = Scope()

#: ``AND``-able SQL: the area code column (``{code}``) is inside the scope.
AREA_SQL = (
    "(CAST(:scope_prefix AS text) IS NULL OR left({code}, length(:scope_prefix)) = :scope_prefix)"
)

#: ``AND``-able SQL: the department code column (``{department}``) matches the scope.
DEPARTMENT_SQL = "(CAST(:scope_department AS text) IS NULL OR {department} = :scope_department)"


def area_sql(code_column: str) -> str:
    """The area filter for a code column, e.g. ``area_sql("a.code")``."""
    return AREA_SQL.format(code=code_column)


def department_sql(department_code_column: str) -> str:
    """The department filter for a department code column, e.g. ``department_sql("d.code")``."""
    return DEPARTMENT_SQL.format(department=department_code_column)
