from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from api.broadcast import Broadcaster

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
    area: Annotated[str | None, Query(pattern=r"^\d+$", description="Area code prefix.")] = None,
) -> StreamingResponse:
    broadcaster: Broadcaster = request.app.state.broadcaster
    return StreamingResponse(
        _events(request, broadcaster, area),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    request: Request, broadcaster: Broadcaster, area: str | None
) -> AsyncIterator[str]:
    async with broadcaster.subscribe(area) as subscriber:
        yield "retry: 2000\n: connected\n\n"
        while not await request.is_disconnected():
            try:
                message = await asyncio.wait_for(subscriber.queue.get(), HEARTBEAT_S)
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            kind = message.get("kind", "message")
            yield f"event: {kind}\ndata: {json.dumps(message, ensure_ascii=False)}\n\n"
