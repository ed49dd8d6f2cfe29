"""Checks the generator runs on what it built before writing anything.

The tests repeat the important ones on the written files; these catch a bad build early
and name the unit at fault.
"""

from __future__ import annotations

import numpy as np
import shapely

from sample_data.areas import Level

__all__ = ["PartitionError", "check_partition"]


class PartitionError(ValueError):
    """The children of an area do not partition it exactly."""


def check_partition(parent: Level, child: Level) -> None:
    """Children of each parent: valid polygons, a valid coverage, union equal to the parent.

    Raises
    ------
    PartitionError
        Naming the first parent whose children fail, and how.
    """
    bad = np.flatnonzero(~shapely.is_valid(child.geoms))
    if len(bad):
        raise PartitionError(f"{child.name} {child.codes[bad[0]]} is not valid")
    not_single = np.flatnonzero(shapely.get_num_geometries(child.geoms) != 1)
    if len(not_single):
        raise PartitionError(f"{child.name} {child.codes[not_single[0]]} is not one polygon")
    for p, code in enumerate(parent.codes):
        kids = child.geoms[child.parent == p]
        if len(kids) == 0:
            raise PartitionError(f"{parent.name} {code} has no {child.name}")
        if not shapely.coverage_is_valid(kids):
            raise PartitionError(f"{child.name}s of {code} are not a valid coverage")
        whole = parent.geoms[p]
        union = shapely.union_all(kids)
        if not shapely.equals(union, whole) or shapely.symmetric_difference(union, whole).area:
            raise PartitionError(f"{child.name}s of {code} do not union to it exactly")
        if not shapely.covers(whole, kids).all():
            raise PartitionError(f"a {child.name} of {code} is not covered by it")
