"""Request body size limits, enforced while the body streams in (413 past the limit)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Default cap on any request body, and larger caps for upload endpoints (path prefix → bytes).
DEFAULT_LIMIT = 1024 * 1024
LIMITS = {
    "/api/v1/incidents/import": 50 * 1024 * 1024,
    "/api/v1/plans": 20 * 1024 * 1024,
    # a 10 MB photo (cases.loop.attachments.MAX_BYTES, 413 past it) and its multipart framing
    "/api/v1/attachments": 10 * 1024 * 1024 + 64 * 1024,
}


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuse bodies over the limit for their path, whether Content-Length says so or not."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def _limit(self, path: str) -> int:
        return next((v for k, v in LIMITS.items() if path.startswith(k)), DEFAULT_LIMIT)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "detail": f"request body is larger than {limit:,} bytes",
            "code": "too_large",
            "errors": [{"where": "body", "field": "body", "message": f"at most {limit:,} bytes"}],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
