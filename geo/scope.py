"""What part of the service's places a caller may see, as the query layer applies it.

A scope is an area code prefix (the codes are hierarchical: a township's code begins every
code inside it) and, for department staff, a department. Every query that lists or fetches
areas, people or incidents takes a scope and filters by it in SQL, so an out-of-scope object
is indistinguishable from a missing one.

The rules are written once in SQL, as fragments the query loader fills in (``geo/sql/
fragments/``): ``area_in_scope`` for an area code, ``incident_in_scope`` for an incident (its
queue area inside the scope's area, and routed to the scope's department). :meth:`Scope.holds`
is the incident rule once more in Python, for what never reaches SQL (the live stream's
notifications); its doctest and ``tests/test_sql_rules.py`` keep the two in step.

Examples
--------
>>> grid = Scope(area_prefix="150621001001001")
>>> grid.covers("1506210010010010101"), grid.covers("150621002")
(True, False)
>>> Scope(area_prefix="15").covers("150302101001"), Scope(area_prefix="1503").covers("150621")
(True, False)
>>> WHOLE_BANNER.covers("150621002"), WHOLE_BANNER.is_whole
(True, True)
>>> Scope(department="D02").is_whole
False
>>> township = Scope(area_prefix="150621001", department="D02")
>>> township.holds("150621001001", "D02"), township.holds("150621001001", "D01")
(True, False)
>>> township.holds("150621002001", "D02"), WHOLE_BANNER.holds(None, None)
(False, True)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """``area_prefix`` None is everything the service holds (every county-level unit: Dalad
    and Haibowan); ``department`` None is every department. A province's prefix is ``15``, a
    city's ``1503``, a banner's ``150621`` (:mod:`geo.places`)."""

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

    def holds(self, queue_area_code: str | None, department_code: str | None) -> bool:
        """The incident scope rule (``geo/sql/fragments/incident_in_scope.sql``) for an
        incident held in the area ``queue_area_code`` and routed to ``department_code``."""
        return self.covers(queue_area_code) and self.department in (None, department_code)

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
        """Bind parameters of the scope fragments (``scope_prefix``, ``scope_department``)."""
        return {"scope_prefix": self.area_prefix, "scope_department": self.department}


#: Internal callers (the CLI, loaders, housekeeping) and the administrator: everything the
#: service holds. (The name dates from the one-banner service; a banner account's scope is its
#: banner's code, as the demo ``command`` account's 150621.)
WHOLE_BANNER = Scope()
