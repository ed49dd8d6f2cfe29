"""Rate-limit counters in PostgreSQL, shared by every process that reaches the database.

A ``limits`` storage with the moving window (:class:`limits.strategies.MovingWindowRateLimiter`
uses it exactly as it uses the in-memory one), for a service running as several processes or
hosts: in memory, a limit of 10 a minute would be 10 a minute *per process*. One row per
limited key holds the times of its newest hits (as many as the limit); a hit is one statement
(``sql/rate_limit_hit.sql``) that appends this one if fewer than the limit of them lie inside
the window, under the row lock ``INSERT … ON CONFLICT DO UPDATE`` takes, so two processes
hitting the same key at once are counted one after the other and can never both take the
last place. The database's clock is the only clock, so hosts whose clocks differ still share
one window. A key's row outlives its last hit by one window (``expires_at``); housekeeping
deletes the rest (:func:`purge_expired`).

The table is ``UNLOGGED``: a hit writes no WAL and waits for no flush to disk (with a logged
table every hit waited for one: ten times a plain round trip, bench/notes.md). A crash
empties the counters and replicas do not have them, which a rate limit can afford.

Each hit runs in autocommit on a connection of its own: it counts whether or not the request
it belongs to then commits, as the in-memory counters did.

Only the moving window is supported: the fixed-window methods of ``limits.storage.Storage``
(``incr``, ``get``, ``get_expiry``) raise :class:`NotImplementedError`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from limits.storage import MovingWindowSupport, Storage
from sqlalchemy import DateTime, Engine, Index, Row, Text, TextClause, exc
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from access.sql import query
from geo.models import Base


class RateLimit(Base):
    """The hits of one limited key inside its moving window (oldest first)."""

    __tablename__ = "rate_limit"
    __table_args__ = (Index("ix_rate_limit_expires_at", "expires_at"), {"prefixes": ["UNLOGGED"]})

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    hits: Mapped[list[datetime]] = mapped_column(ARRAY(DateTime(timezone=True)))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DatabaseStorage(Storage, MovingWindowSupport):
    """Moving-window counters in the ``rate_limit`` table of ``engine``'s database."""

    STORAGE_SCHEME = None  # built with an engine, never from a URI

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    @property
    def base_exceptions(self) -> type[Exception]:
        return exc.DBAPIError

    def _one(self, statement: TextClause, **params: object) -> Row[Any]:
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return conn.execute(statement, params).one()

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount != 1:
            raise NotImplementedError("one hit at a time")
        row = self._one(query("rate_limit_hit"), key=key, limit=limit, expiry=expiry)
        return bool(row.admitted)

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        row = self._one(query("rate_limit_window"), key=key, expiry=expiry)
        return float(row.start), int(row.hits)

    def check(self) -> bool:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(query("rate_limit_reset")).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(query("rate_limit_clear"), {"key": key})

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError("fixed windows are not kept in the database")

    def get(self, key: str) -> int:
        raise NotImplementedError("fixed windows are not kept in the database")

    def get_expiry(self, key: str) -> float:
        raise NotImplementedError("fixed windows are not kept in the database")


def purge_expired(engine: Engine) -> int:
    """Delete the rows of keys whose last hit is older than their window; how many."""
    with engine.begin() as conn:
        return conn.execute(query("rate_limit_purge")).rowcount
