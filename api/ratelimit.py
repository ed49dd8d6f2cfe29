"""Rate limits per caller (moving windows, from the ``limits`` library).

The counters are kept in memory by default: one process, the fastest (a hit costs
microseconds, bench/notes.md). A service of several processes or hosts keeps them in
PostgreSQL instead (``WANGGE_RATE_LIMIT_STORE=database``, what ``wangge run --workers N`` and
``wangge cluster`` choose; :mod:`access.ratelimit`), or a limit of 10 a minute would be
10 × N. Limits that must hold across restarts count what the database already records
(reveals count their audit entries, :mod:`api.reveal`).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse, storage, strategies

from geo.errors import RateLimited


class Limiter:
    """Moving windows in ``store``: by default this process's memory."""

    def __init__(self, store: storage.Storage | None = None) -> None:
        self._window = strategies.MovingWindowRateLimiter(store or storage.MemoryStorage())

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
