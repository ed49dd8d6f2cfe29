"""Fan PostgreSQL notifications out to Server-Sent Events subscribers.

Each worker process holds ONE connection that ``LISTEN``s on the incident channel and hands
every notification to each of its subscribers. Because the database does the fan-out between
processes, any number of workers and machines see every change.
A notification is encoded as a Server-Sent Events frame once (:class:`Notice`), not once per
subscriber, and its scope filter runs once per kind of subscriber, not once per subscriber:
subscribers with the same area and scope form one group, which gets exactly the frames one of
them would. A subscriber's frames wait in its own bounded backlog until its stream writes them,
all at once; one too slow to keep up gets a ``reset`` (reload the list) instead of blocking the
others. A lost database connection is re-established with back-off, and subscribers are told to
``reset`` too, since notifications sent meanwhile are gone.
The channel and the messages are :mod:`cases.live`'s; this module only relays them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Sequence
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
#: A stream with nothing to say for this long is sent :data:`HEARTBEAT` (proxies close idle
#: connections; a write is also how a dead one shows).
HEARTBEAT_S = 15.0
HEARTBEAT = b": heartbeat\n\n"
#: Offers between two chances for the streams to write: with a thousand streams the last
#: offer would otherwise come ~2 ms after the first, and every write after it.
WRITE_EVERY = 64

Desks = Sequence[tuple[str, str | None]] | None


@dataclass(frozen=True)
class Notice:
    """One notification and its SSE frames, encoded once for every subscriber of the process.

    An ``import`` carries the whole banner's row count, so a caller with a narrower scope gets
    ``narrow_frame``, the event without it. ``desks`` are the message's
    (:func:`cases.live.desks`), worked out once too.

    Examples
    --------
    >>> Notice.of({"kind": "import", "count": 7}).narrow_frame
    b'event: import\\ndata: {"kind": "import"}\\n\\n'
    """

    message: dict[str, Any]
    frame: bytes
    narrow_frame: bytes
    desks: Desks = None

    @classmethod
    def of(cls, message: dict[str, Any]) -> Notice:
        kind = str(message.get("kind", "message"))
        frame = sse_frame(kind, message)
        narrowed = live.narrowed(message)
        narrow = frame if narrowed is message else sse_frame(kind, narrowed)
        return cls(message, frame, narrow, live.desks(message))

    def frame_for(self, scope: Scope) -> bytes:
        return self.frame if scope.is_whole else self.narrow_frame


def sse_frame(kind: str, data: dict[str, Any]) -> bytes:
    """``data`` as one Server-Sent Events frame of type ``kind``."""
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


_BEHIND = Notice.of(live.reset("behind")).frame


def _sees(area: str | None, scope: Scope, desks: Desks) -> bool:
    """Whether a subscriber of ``area`` (a code prefix, or None) and ``scope`` hears a message
    concerning ``desks``: one of them lies inside both (None: everyone hears it)."""
    if desks is None:
        return True
    return any(
        (area is None or queue_area.startswith(area)) and scope.holds(queue_area, department)
        for queue_area, department in desks
    )


@dataclass(eq=False)  # identity, not value: each open stream is its own subscriber
class Subscriber:
    """One open stream; ``area`` (a code prefix) narrows what it receives, and ``scope`` (the
    caller's) keeps out incidents whose desks (:func:`cases.live.desks`: queue area and
    department, before and after a re-assignment) all lie outside it.

    Frames wait in a backlog of at most :data:`QUEUE_SIZE` until :meth:`frames` takes them.

    Examples
    --------
    >>> township = Subscriber(area="150621001", scope=Scope(department="D02"))
    >>> township.wants({"kind": "created", "queue_area": "150621001003", "department": "D02"})
    True
    >>> township.wants({"kind": "created", "queue_area": "150621002003", "department": "D02"})
    False
    """

    area: str | None = None
    scope: Scope = WHOLE_BANNER
    _backlog: list[bytes] = field(default_factory=list)
    _waiter: asyncio.Future[None] | None = None
    _closed: bool = False
    _heartbeat: asyncio.TimerHandle | None = None
    #: when, on the loop's clock, the stream last took frames to write
    _taken_at: float = 0.0

    @property
    def key(self) -> tuple[str | None, Scope]:
        """What a subscriber hears depends on this alone: its group's key."""
        return self.area, self.scope

    def wants(self, message: dict[str, Any]) -> bool:
        return _sees(self.area, self.scope, live.desks(message))

    def offer(self, frame: bytes) -> None:
        """Queue ``frame`` (already chosen for this subscriber's scope) for the stream."""
        if len(self._backlog) >= QUEUE_SIZE:  # too slow: one instruction to reload instead
            self._backlog = [_BEHIND]
        else:
            self._backlog.append(frame)
        self._wake()

    def open(self) -> None:
        """Start the heartbeat: :data:`HEARTBEAT` after :data:`HEARTBEAT_S` without a frame.
        One timer per stream, re-armed when it fires, not once per frame."""
        loop = asyncio.get_running_loop()
        self._taken_at = loop.time()
        self._heartbeat = loop.call_at(self._taken_at + HEARTBEAT_S, self._beat)

    def close(self) -> None:
        """The stream is gone: :meth:`frames` answers None from now on."""
        self._closed = True
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        self._wake()

    def _beat(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now >= self._taken_at + HEARTBEAT_S:
            if not self._backlog:
                self.offer(HEARTBEAT)
            self._taken_at = now  # what is queued goes out now
        self._heartbeat = loop.call_at(self._taken_at + HEARTBEAT_S, self._beat)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def frames(self) -> bytes | None:
        """Everything queued since the last call, as one write; waits until there is some.
        None once the stream is closed."""
        loop = asyncio.get_running_loop()
        while not self._backlog and not self._closed:
            self._waiter = loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self._closed:
            return None
        self._taken_at = loop.time()
        frames = b"".join(self._backlog) if len(self._backlog) > 1 else self._backlog[0]
        self._backlog = []
        return frames


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
        #: subscribers by :attr:`Subscriber.key`: one filter per group and notice
        self._groups: dict[tuple[str | None, Scope], set[Subscriber]] = {}
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    @property
    def subscriber_count(self) -> int:
        return sum(len(group) for group in self._groups.values())

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
        group = self._groups.setdefault(subscriber.key, set())
        group.add(subscriber)
        subscriber.open()
        try:
            yield subscriber
        finally:
            subscriber.close()
            group.discard(subscriber)
            if not group and self._groups.get(subscriber.key) is group:
                del self._groups[subscriber.key]

    async def _publish(self, message: dict[str, Any]) -> None:
        """Offer ``message`` to every subscriber that hears it, letting the streams already
        offered it write every :data:`WRITE_EVERY` offers rather than after the last one."""
        notice = Notice.of(message)
        offered = 0
        for (area, scope), group in list(self._groups.items()):
            if _sees(area, scope, notice.desks):
                frame = notice.frame_for(scope)
                for subscriber in list(group):
                    subscriber.offer(frame)
                    offered += 1
                    if offered % WRITE_EVERY == 0:
                        await asyncio.sleep(0)

    async def _run(self) -> None:
        delay = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._dsn, autocommit=True
                ) as conn:
                    await conn.execute(f'LISTEN "{self._channel}"')
                    if self.listening.is_set():  # a reconnect: what was sent meanwhile is lost
                        await self._publish(live.reset("reconnected"))
                        log.warning(
                            "listening on %s again; %d open streams told to reset",
                            self._channel,
                            self.subscriber_count,
                        )
                    self.listening.set()
                    delay = 0.5
                    async for notify in conn.notifies():
                        try:
                            message = json.loads(notify.payload)
                        except ValueError:
                            log.warning("ignoring a non-JSON notification on %s", self._channel)
                            continue
                        await self._publish(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("listener lost (%s); reconnecting in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_S)
