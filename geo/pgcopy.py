"""PostgreSQL binary ``COPY`` for arrays of points and pairs of integers, built with numpy.

Fixed-width rows need no per-row Python: a million points go in as one buffer of EWKB, and
integer pairs come out through :func:`numpy.frombuffer`. Both run on the psycopg connection
under a SQLAlchemy :class:`~sqlalchemy.Connection`, so inside the caller's transaction.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection

from geo.models import STORAGE_SRID

__all__ = ["copy_out_int_pairs", "copy_points"]

_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # signature, flags, no header extension
_TRAILER = b"\xff\xff"
#: One row of (i int4, geom) in COPY BINARY, the geometry as little-endian EWKB with SRID.
_POINT_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("i_len", ">i4"),
        ("i", ">i4"),
        ("g_len", ">i4"),
        ("order", "u1"),
        ("type", "<u4"),
        ("srid", "<u4"),
        ("x", "<f8"),
        ("y", "<f8"),
    ]
)
_EWKB_POINT_WITH_SRID = 0x20000001
_PAIR_ROW = np.dtype(
    [("fields", ">i2"), ("a_len", ">i4"), ("a", ">i4"), ("b_len", ">i4"), ("b", ">i4")]
)


def copy_points(
    conn: Connection, table: str, x: NDArray[np.float64], y: NDArray[np.float64]
) -> None:
    """(Re)create temp table ``table (i integer, geom)`` holding point ``i`` = (x[i], y[i]).

    The geometry is ``geometry(Point, STORAGE_SRID)``; the table is dropped on commit.
    ``table`` is a trusted identifier, never user input.
    """
    rows = np.empty(len(x), dtype=_POINT_ROW)
    rows["fields"] = 2
    rows["i_len"] = 4
    rows["i"] = np.arange(len(x))
    rows["g_len"] = _POINT_ROW.itemsize - 14  # the EWKB after the three leading fields
    rows["order"] = 1
    rows["type"] = _EWKB_POINT_WITH_SRID
    rows["srid"] = STORAGE_SRID
    rows["x"] = x
    rows["y"] = y
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS pg_temp.{table}")
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE {table} (i integer, geom geometry(Point, {STORAGE_SRID})) "
        "ON COMMIT DROP"
    )
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {table} (i, geom) FROM STDIN (FORMAT BINARY)") as c:
        c.write(_HEADER + rows.tobytes() + _TRAILER)


def copy_out_int_pairs(
    conn: Connection, statement: str
) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """Run ``COPY (query) TO STDOUT (FORMAT BINARY)`` yielding two int4 columns; two arrays."""
    raw = conn.connection.driver_connection
    assert raw is not None
    buffer = bytearray()
    with raw.cursor() as cur, cur.copy(statement) as copy:
        for chunk in copy:
            buffer += chunk
    return read_int_pairs(bytes(buffer))


def read_int_pairs(data: bytes) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """The (int4, int4) rows of a COPY BINARY stream as two arrays.

    Examples
    --------
    >>> row = np.array([(2, 4, 7, 4, 9)], dtype=_PAIR_ROW).tobytes()
    >>> a, b = read_int_pairs(_HEADER + row + _TRAILER)
    >>> a.tolist(), b.tolist()
    ([7], [9])
    """
    if not data.startswith(_HEADER) or not data.endswith(_TRAILER):
        raise ValueError("not a PostgreSQL binary COPY stream without header extension")
    rows = np.frombuffer(data[len(_HEADER) : -len(_TRAILER)], dtype=_PAIR_ROW)
    return rows["a"].astype(np.intp), rows["b"].astype(np.int64)
