"""Which database a request reads from, and the ``X-Replica-Lag`` header that tells the client.

A route marked :func:`replica_read` (tiles, heat, OGC items, incident listings: reads that
write nothing and follow no write of the same caller) reads from the replica while
:class:`geo.replica.ReadReplica` finds it usable; every other route, the sign-in check and
everything that writes read the primary, so a report just filed, a plan just edited or a
draft is always read where it was written.

The choice is made once per request (:func:`read_engine`, used by ``api.deps.get_engine``
and the tile handlers), so the generation a request resolves and the rows it reads come from
the same database, and the caches keyed by generation, which also key by the database's URL,
never hold a replica's tile under a generation the replica has not received. A request that
names a generation the replica did not hold as activated at its last check (a draft being
edited, a generation just published) reads the primary.

The answer says where it came from: ``X-Replica-Lag: 0.00`` (seconds behind the primary at
the last check) from the replica, ``X-Replica-Lag: primary`` from the primary instead (the
replica lagging past the limit, down, or behind the generation asked for). Routes that always
read the primary carry no header.

A replica that dies under a request makes it fail with 503 (``api/errors.py``).
:class:`ReplicaReads` then marks the replica lost and answers the same GET again from the
primary before anything was sent, so the client sees a 200 (``X-Replica-Lag: primary``);
the replica is used again once a check finds it well.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.replica import ReadReplica, ReplicaState

HEADER = "X-Replica-Lag"
#: The header's value when a replica route was answered by the primary.
ON_PRIMARY = "primary"

_MARK = "__wangge_reads__"
_ENGINE = "read_engine"  # request.state: the engine chosen for this request
_LAG = "replica_lag"  # request.state: the header's value
_FORCE_PRIMARY = "replica_lost"  # request.state: the replica failed this request once

F = TypeVar("F", bound=Callable[..., Any])


def replica_read(endpoint: F) -> F:
    """Let a route read from the replica: it writes nothing, and no caller needs to see in it
    a write of their own made a moment before (those read the primary)."""
    setattr(endpoint, _MARK, True)
    return endpoint


def reads_from_replica(endpoint: Callable[..., Any] | None) -> bool:
    return bool(getattr(endpoint, _MARK, False))


def read_engine(request: Request) -> Engine:
    """The engine this request reads from: the replica's when the route may and the replica is
    usable, else the primary's. Chosen once per request; no I/O."""
    state = request.state
    chosen: Engine | None = getattr(state, _ENGINE, None)
    if chosen is not None:
        return chosen
    primary: Engine = request.app.state.engine
    reads: ReadReplica | None = getattr(request.app.state, "replica", None)
    if reads is None or not reads_from_replica(request.scope.get("endpoint")):
        chosen = primary
    else:
        found = reads.state
        if found.usable and not getattr(state, _FORCE_PRIMARY, False) and _holds(request, found):
            chosen, lag = reads.engine, f"{found.lag_s or 0.0:.2f}"
        else:
            chosen, lag = primary, ON_PRIMARY
        setattr(state, _LAG, lag)
    setattr(state, _ENGINE, chosen)
    return chosen


def _holds(request: Request, found: ReplicaState) -> bool:
    """Whether the replica held the generation the request names as activated (any, when it
    names none): a draft, or a generation it has not received yet, is read on the primary."""
    named = request.query_params.get("generation", "")
    return not named.isdigit() or int(named) in found.published


class ReplicaReads:
    """Adds ``X-Replica-Lag`` to the answers of replica routes, and answers a GET again from
    the primary when the replica failed it (503) before anything was sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        initial = dict(scope.get("state") or {})
        failed = False

        async def first(message: Message) -> None:
            nonlocal failed
            if message["type"] == "http.response.start":
                lag = (scope.get("state") or {}).get(_LAG)
                if lag not in (None, ON_PRIMARY) and message["status"] == 503:
                    failed = True  # swallowed with its body: the primary answers instead
                    return
                _add_header(message, lag)
            elif failed:
                return
            await send(message)

        await self.app(scope, receive, first)
        if not failed:
            return
        reads: ReadReplica | None = getattr(scope["app"].state, "replica", None)
        if reads is not None:
            reads.lost()
        again = dict(scope, state={**initial, _FORCE_PRIMARY: True})

        async def second(message: Message) -> None:
            if message["type"] == "http.response.start":
                _add_header(message, (again.get("state") or {}).get(_LAG))
            await send(message)

        await self.app(again, _no_body(receive), second)


def _add_header(message: Message, lag: str | None) -> None:
    if lag is not None:
        message["headers"] = [*message.get("headers", []), (b"x-replica-lag", lag.encode())]


def _no_body(receive: Receive) -> Receive:
    """A GET's (empty) body once more, then whatever the client sends (a disconnect)."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return again
