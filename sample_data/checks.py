"""Checks the generator runs on what it built before writing anything.

The children of every area must pass the topology gate (:func:`geo.topology.check_layout`)
that drafts and uploads go through, with no gap tolerated: the sample is built exactly on the
1e-7 degree grid, so anything short of an exact partition is a bug. The tests repeat this on
the written files.
"""

from __future__ import annotations

import numpy as np
import shapely

from geo.topology import Unit, check_layout
from sample_data.areas import Level

__all__ = ["PartitionError", "check_partition"]


class PartitionError(ValueError):
    """The children of an area do not partition it exactly."""


def check_partition(parent: Level, child: Level) -> None:
    """Children of each parent: single polygons that pass the topology gate under it.

    Raises
    ------
    PartitionError
        Naming the first parent whose children fail, and the gate's first reason.
    """
    not_single = np.flatnonzero(shapely.get_num_geometries(child.geoms) != 1)
    if len(not_single):
        raise PartitionError(f"{child.name} {child.codes[not_single[0]]} is not one polygon")
    for p, code in enumerate(parent.codes):
        kids = np.flatnonzero(child.parent == p)
        if len(kids) == 0:
            raise PartitionError(f"{parent.name} {code} has no {child.name}")
        units = [Unit(child.codes[k], child.names[k], child.geoms[k]) for k in kids]
        problems = check_layout(units, parent.geoms[p], gap_tolerance_m2=0.0)
        if problems:
            raise PartitionError(
                f"{child.name}s of {parent.name} {code}: {len(problems)} problem(s), "
                f"first: {problems[0].reason}"
            )
