"""What a measure is handed: the scale, the database, the servers and the run's sizes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import psycopg
from sqlalchemy import Engine, create_engine

from bench.common import Server, libpq_url


@dataclass(frozen=True)
class Sizes:
    """How much each measure does; ``full``, ``quick`` and ``smoke`` differ only here."""

    name: str
    incidents: int
    requests: int
    heavy_requests: int
    tiles_per_zoom: int
    assign_points: int
    sse_subscribers: tuple[int, ...]
    sse_events: int
    load_users: int
    load_seconds: int
    province: bool
    province_incidents: int
    reassign_before: int
    #: The scale run (``bench.scale``): incidents imported, and incidents in all (0: not run).
    scale_base: int = 0
    scale_target: int = 0


FULL = Sizes("full", 1_000_000, 300, 7, 150, 1_000_000, (1, 200, 1000), 40, 200, 60, True,
             1_000_000, 5_000, 1_000_000, 10_000_000)  # fmt: skip
QUICK = Sizes("quick", 100_000, 100, 3, 40, 100_000, (1, 200, 1000), 15, 200, 15, False, 0, 1_000)
SMOKE = Sizes("smoke", 300, 8, 1, 3, 2_000, (1, 3), 3, 5, 4, False, 0, 50, 300, 9_000)
SIZES = {s.name: s for s in (FULL, QUICK, SMOKE)}


@dataclass
class Context:
    """One scale's database with its servers; measures read and write through it."""

    scale: str
    url: str
    sizes: Sizes
    service: Server
    bare: Server
    incidents: int
    micro_grids: int
    #: Points inside micro-grids (x, y) for lookups, drawn with the run's seed.
    probe_x: np.ndarray = field(default_factory=lambda: np.empty(0))
    probe_y: np.ndarray = field(default_factory=lambda: np.empty(0))
    _engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine(self.url, pool_size=4)
        return self._engine

    def raw(self, autocommit: bool = True) -> psycopg.Connection:
        """A plain psycopg connection: the baselines' way to the database."""
        return psycopg.connect(libpq_url(self.url), autocommit=autocommit)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
