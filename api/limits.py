"""Request body size limits, enforced while the body streams in (413 past the limit).

A body that declares its length is refused before it is read; a chunked one is cut off where
it passes the limit, and whatever the application made of the cut-off body (FastAPI answers a
body it could not read with 400) is replaced by the 413.
"""

from __future__ import annotations

import contextlib
import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Default cap on any request body, and larger caps for file uploads (path pattern → bytes).
#: Plan edits are JSON like any other body: only the plan's file upload takes 20 MB.
DEFAULT_LIMIT = 1024 * 1024
LIMITS = {
    re.compile(r"/api/v1/incidents/import"): 50 * 1024 * 1024,
    re.compile(r"/api/v1/plans/[^/]+/upload"): 20 * 1024 * 1024,
    # a 10 MB photo (cases.loop.attachments.MAX_BYTES, 413 past it) and its multipart framing
    re.compile(r"/api/v1/attachments"): 10 * 1024 * 1024 + 64 * 1024,
}


def limit_for(path: str) -> int:
    """The most bytes a request body to ``path`` may have."""
    return next((v for k, v in LIMITS.items() if k.fullmatch(path)), DEFAULT_LIMIT)


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuse bodies over the limit for their path, whether Content-Length says so or not."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        seen = 0
        started = cut_off = False

        async def counted() -> Message:
            nonlocal seen, cut_off
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    cut_off = True
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if cut_off:  # the app's answer to a body it could not read: the 413 replaces it
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_TooLarge):  # or the app made its own answer, dropped above
            await self.app(scope, counted, tracked)
        if cut_off and not started:
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
