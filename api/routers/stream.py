"""``GET /stream``: Server-Sent Events of new and changed incidents, inside the caller's scope.

The notifications carry no personal data (code, status, category, point, queue area and
department); a caller receives only those of incidents inside their scope, as
:class:`api.broadcast.Subscriber` filters them. An ``import`` event tells every caller to
reload; its row count is the whole banner's, so callers with a narrower scope get it without.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from api.auth import Reader
from api.broadcast import Broadcaster
from geo.scope import Scope

router = APIRouter(tags=["stream"])

HEARTBEAT_S = 15.0


@router.get(
    "/stream",
    summary="实时事件流（Server-Sent Events）：新上报与状态变化",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(
    request: Request,
    principal: Reader,
    area: Annotated[str | None, Query(pattern=r"^\d+$", description="Area code prefix.")] = None,
) -> StreamingResponse:
    broadcaster: Broadcaster = request.app.state.broadcaster
    return StreamingResponse(
        _events(request, broadcaster, area, principal.scope),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    request: Request, broadcaster: Broadcaster, area: str | None, scope: Scope
) -> AsyncIterator[str]:
    async with broadcaster.subscribe(area, scope) as subscriber:
        yield "retry: 2000\n: connected\n\n"
        while not await request.is_disconnected():
            try:
                message = await asyncio.wait_for(subscriber.queue.get(), HEARTBEAT_S)
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            kind = message.get("kind", "message")
            data = json.dumps(_shown(message, scope), ensure_ascii=False)
            yield f"event: {kind}\ndata: {data}\n\n"


def _shown(message: dict[str, Any], scope: Scope) -> dict[str, Any]:
    if message.get("kind") == "import" and not scope.is_whole:
        return {"kind": "import"}
    return message
