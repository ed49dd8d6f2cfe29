"""P10 the command page's size, and the service's memory, with the incidents loaded."""

from __future__ import annotations

from bench.common import Result, client
from bench.context import Context


def command_page(ctx: Context) -> list[Result]:
    with client(ctx.service.base, ctx.url) as http:
        response = http.get("/maps/command")
        response.raise_for_status()
    kb = len(response.content) / 1000
    return [
        Result(
            "P10",
            "command page HTML size",
            ctx.scale,
            {"/maps/command": f"{len(response.content):,} bytes"},
            kb,
            ("<=", 300.0),
            unit="KB",
            note=f"with {ctx.incidents:,} incidents in the database",
        )
    ]


def memory(ctx: Context) -> list[Result]:
    rss = ctx.service.rss_mib()
    return [
        Result(
            "MEM",
            "service RSS after the measures",
            ctx.scale,
            {"RSS": f"{rss:,.0f} MiB"},
            rss,
            ("", float("nan")),
            unit="MiB",
            note=f"one uvicorn worker, {ctx.incidents:,} incidents loaded",
        )
    ]
