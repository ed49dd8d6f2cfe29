"""Rate limits per caller (moving windows in memory, from the ``limits`` library).

One process keeps its own counters; behind several workers each enforces its share. Limits
that must hold across restarts and workers count what the database already records instead
(reveals count their audit entries, :mod:`api.reveal`).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse, storage, strategies

from geo.errors import RateLimited


class Limiter:
    def __init__(self) -> None:
        self._window = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def hit(self, rate: str, what: str, *keys: str) -> None:
        """Count one request against ``rate`` for ``keys``; RateLimited once it is spent."""
        item = parse(rate)
        if not self._window.hit(item, what, *keys):
            raise self._refusal(item, rate, what, *keys)

    def check(self, rate: str, what: str, *keys: str) -> None:
        """RateLimited if ``rate`` is already spent for ``keys``, without counting anything
        (the caller counts with :meth:`hit` only what should count, e.g. a failed sign-in)."""
        item = parse(rate)
        if not self._window.test(item, what, *keys):
            raise self._refusal(item, rate, what, *keys)

    def _refusal(self, item: RateLimitItem, rate: str, what: str, *keys: str) -> RateLimited:
        reset_at, _ = self._window.get_window_stats(item, what, *keys)
        retry = max(1, math.ceil(reset_at - time.time()))
        return RateLimited(
            f"too many {what} requests: at most {rate}; try again in {retry} s", retry_after=retry
        )

    def reset(self) -> None:
        self._window.storage.reset()
