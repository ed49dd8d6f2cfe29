"""Placing the registry's points (houses, facilities, organisations) in micro-grids.

One rule, the incidents' (:func:`geo.assign_bulk.place_many`): the live micro-grid covering
the point, the lowest code on a shared edge. A house must lie inside one: with
``limit_m`` 0 a point outside every micro-grid is not placed (0), and the caller refuses it;
a redraw re-places with the nearest allowed (:data:`ANYWHERE`), so nothing is left without.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sqlalchemy import Connection

from geo.assign_bulk import place_many

#: The limit under which a redraw re-places: the nearest micro-grid however far.
ANYWHERE = math.inf


def micro_grids(
    conn: Connection, lon: ArrayLike, lat: ArrayLike, generation: int, *, limit_m: float = 0.0
) -> NDArray[np.int64]:
    """The micro-grid id of each point in ``generation`` (0 where none is within
    ``limit_m`` metres)."""
    if len(np.asarray(lon)) == 0:
        return np.zeros(0, dtype=np.int64)
    return place_many(conn, lon, lat, generation, limit_m).micro_grid_id
