"""Rate limits per caller (moving windows in memory, from the ``limits`` library).

One process keeps its own counters; behind several workers each enforces its share.
"""

from __future__ import annotations

import math
import time

from limits import parse, storage, strategies

from geo.errors import RateLimited


class Limiter:
    def __init__(self) -> None:
        self._window = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def hit(self, rate: str, what: str, *keys: str) -> None:
        """Count one request against ``rate`` for ``keys``; RateLimited once it is spent."""
        item = parse(rate)
        if self._window.hit(item, what, *keys):
            return
        reset_at, _ = self._window.get_window_stats(item, what, *keys)
        retry = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited(
            f"too many {what} requests: at most {rate}; try again in {retry} s", retry_after=retry
        )

    def reset(self) -> None:
        self._window.storage.reset()
