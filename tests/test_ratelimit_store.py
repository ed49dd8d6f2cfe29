"""Rate-limit counters in PostgreSQL (access/ratelimit.py) decide as the in-memory ones do,
and hold under concurrent hits: the limit is the limit, however many threads (or processes,
tests/test_cluster.py) hit it at once."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from limits import parse, storage, strategies
from sqlalchemy import Engine, text

from access.ratelimit import DatabaseStorage, purge_expired
from api.ratelimit import Limiter
from geo.errors import RateLimited


@pytest.fixture
def store(engine: Engine) -> DatabaseStorage:
    return DatabaseStorage(engine)


def _key() -> str:
    return uuid.uuid4().hex


def test_the_same_decisions_as_the_memory_store(store: DatabaseStorage) -> None:
    item, key = parse("3/minute"), _key()
    memory = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
    database = strategies.MovingWindowRateLimiter(store)
    decided = [(memory.hit(item, key), database.hit(item, key)) for _ in range(5)]
    assert decided == [(True, True)] * 3 + [(False, False)] * 2
    assert database.test(item, key) is memory.test(item, key) is False
    reset_at, remaining = database.get_window_stats(item, key)
    assert remaining == 0 and 59 < reset_at - time.time() <= 60
    assert database.test(parse("3/minute"), _key()) is True  # a key never hit


def test_the_window_moves(store: DatabaseStorage, engine: Engine) -> None:
    item, key = parse("2/second"), _key()
    limiter = strategies.MovingWindowRateLimiter(store)
    assert [limiter.hit(item, key) for _ in range(3)] == [True, True, False]
    time.sleep(1.05)
    assert [limiter.hit(item, key) for _ in range(3)] == [True, True, False]
    with engine.connect() as conn:  # only the newest 2 hits are kept
        kept = conn.execute(
            text("SELECT cardinality(hits) FROM rate_limit WHERE key = :k"),
            {"k": item.key_for(key)},
        ).scalar_one()
    assert kept == 2


def test_concurrent_hits_take_exactly_the_limit(store: DatabaseStorage) -> None:
    item, key = parse("10/minute"), _key()
    limiter = strategies.MovingWindowRateLimiter(store)
    with ThreadPoolExecutor(max_workers=8) as pool:
        admitted = list(pool.map(lambda _: limiter.hit(item, key), range(40)))
    assert admitted.count(True) == 10


def test_the_limiter_refuses_with_retry_after(store: DatabaseStorage) -> None:
    limiter, who = Limiter(store), _key()
    limiter.hit("1/minute", "intake", who)
    with pytest.raises(RateLimited) as refused:
        limiter.hit("1/minute", "intake", who)
    assert refused.value.retry_after == 60
    limiter.check("1/minute", "intake", _key())  # another caller is not refused


def test_idle_counters_are_purged(store: DatabaseStorage, engine: Engine) -> None:
    item, key = parse("5/second"), _key()
    strategies.MovingWindowRateLimiter(store).hit(item, key)
    time.sleep(1.05)
    purge_expired(engine)
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM rate_limit WHERE key = :k"), {"k": item.key_for(key)}
        ).scalar_one()
    assert left == 0
