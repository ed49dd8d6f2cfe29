"""Fan PostgreSQL notifications out to Server-Sent Events subscribers.

Each worker process holds ONE connection that ``LISTEN``s on the incident channel and copies
every notification into the bounded queue of each of its subscribers. Because the database
does the fan-out between processes, any number of workers and machines see every change.
A notification is encoded as a Server-Sent Events frame once (:class:`Notice`), not once per
subscriber. A subscriber too slow to keep up is sent a ``reset`` (reload the list) instead of
blocking the others; a lost database connection is re-established with back-off, and
subscribers are told to ``reset`` too, since notifications sent meanwhile are gone.
The channel and the messages are :mod:`cases.live`'s; this module only relays them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from cases import live
from geo.scope import WHOLE_BANNER, Scope

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000
#: The longest wait between attempts to listen again: a restarted database is noticed (and
#: the streams told to reset) within this long of its coming back.
MAX_RETRY_S = 2.0


@dataclass(frozen=True)
class Notice:
    """One notification and its SSE frames, encoded once for every subscriber of the process.

    An ``import`` carries the whole banner's row count, so a caller with a narrower scope gets
    ``narrow_frame``, the event without it.

    Examples
    --------
    >>> Notice.of({"kind": "import", "count": 7}).narrow_frame
    b'event: import\\ndata: {"kind": "import"}\\n\\n'
    """

    message: dict[str, Any]
    frame: bytes
    narrow_frame: bytes

    @classmethod
    def of(cls, message: dict[str, Any]) -> Notice:
        kind = str(message.get("kind", "message"))
        frame = sse_frame(kind, message)
        narrowed = live.narrowed(message)
        return cls(message, frame, frame if narrowed is message else sse_frame(kind, narrowed))

    def frame_for(self, scope: Scope) -> bytes:
        return self.frame if scope.is_whole else self.narrow_frame


def sse_frame(kind: str, data: dict[str, Any]) -> bytes:
    """``data`` as one Server-Sent Events frame of type ``kind``."""
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


_BEHIND = Notice.of(live.reset("behind"))


@dataclass(eq=False)  # identity, not value: each open stream is its own subscriber
class Subscriber:
    """One open stream; ``area`` (a code prefix) narrows what it receives, and ``scope`` (the
    caller's) keeps out incidents whose desks (:func:`cases.live.desks`: queue area and
    department, before and after a re-assignment) all lie outside it."""

    area: str | None = None
    queue: asyncio.Queue[Notice] = field(default_factory=lambda: asyncio.Queue(maxsize=QUEUE_SIZE))
    scope: Scope = WHOLE_BANNER

    def wants(self, message: dict[str, Any]) -> bool:
        desks = live.desks(message)
        return desks is None or any(self._sees(*desk) for desk in desks)

    def _sees(self, queue_area: str, department: str | None) -> bool:
        if self.area is not None and not queue_area.startswith(self.area):
            return False
        return self.scope.holds(queue_area, department)

    def offer(self, notice: Notice) -> None:
        if not self.wants(notice.message):
            return
        try:
            self.queue.put_nowait(notice)
        except asyncio.QueueFull:
            # too slow: replace the backlog with one instruction to reload
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(_BEHIND)


def conninfo(sqlalchemy_url: str) -> str:
    """A libpq URI for psycopg from the service's SQLAlchemy URL."""
    return (
        make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


class Broadcaster:
    """Listens on ``channel`` and feeds every :class:`Subscriber` of this process."""

    def __init__(self, sqlalchemy_url: str, channel: str = live.CHANNEL) -> None:
        self._dsn = conninfo(sqlalchemy_url)
        self._channel = channel
        self._subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="broadcaster")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @contextlib.asynccontextmanager
    async def subscribe(
        self, area: str | None = None, scope: Scope = WHOLE_BANNER
    ) -> AsyncIterator[Subscriber]:
        subscriber = Subscriber(area=area, scope=scope)
        self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)

    def _publish(self, message: dict[str, Any]) -> None:
        notice = Notice.of(message)
        for subscriber in list(self._subscribers):
            subscriber.offer(notice)

    async def _run(self) -> None:
        delay = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._dsn, autocommit=True
                ) as conn:
                    await conn.execute(f'LISTEN "{self._channel}"')
                    if self.listening.is_set():  # a reconnect: what was sent meanwhile is lost
                        self._publish(live.reset("reconnected"))
                        log.warning(
                            "listening on %s again; %d open streams told to reset",
                            self._channel,
                            len(self._subscribers),
                        )
                    self.listening.set()
                    delay = 0.5
                    async for notify in conn.notifies():
                        try:
                            message = json.loads(notify.payload)
                        except ValueError:
                            log.warning("ignoring a non-JSON notification on %s", self._channel)
                            continue
                        self._publish(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("listener lost (%s); reconnecting in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_S)
