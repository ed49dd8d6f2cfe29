"""P12 paint: the dashboard's first figure on the wall screen (1920×1080, headless Chromium),
÷ a static page of the same assets painting a figure, both from navigation start.

The dashboard marks the frame that first shows a figure (``performance.mark
("wg-first-figure")`` in ``maps/static/wangge/dashboard.js``: today's cards or the period's,
whichever comes first). The baseline is the same page with none of its work: the same
stylesheets and scripts (Leaflet, folium's, ECharts, the dashboard's own), the same panels,
and an inline script that writes one figure and sets the same mark once everything has loaded;
it is answered from the browser's routing on the service's origin, so its assets come from the
same server through the same cache. The ratio is what the page's own work costs on top of
loading what it needs: the service rendering the page, the figures' requests and drawing.
Each load is a new browser context (an empty cache, as a wall screen after a restart), taken
in turns (dashboard, static, dashboard …) so the shared machine's load drifts over both alike.
No goal: a ratio to watch, not a timed assertion.
"""

from __future__ import annotations

import re
import time
from typing import Any

from bench.common import BENCH_ACCOUNT, Result, auth_headers, ms, p50
from bench.context import Context

WALL = {"width": 1920, "height": 1080}
STATIC_PATH = "/bench/dashboard-assets"
MARK = "performance.getEntriesByName('wg-first-figure').map(e => e.startTime)[0]"
_ASSETS = re.compile(
    r"<script[^>]*\bsrc=\"[^\"]+\"[^>]*></script>|<link[^>]*\bhref=\"[^\"]+\"[^>]*>"
)
_STATIC_FIGURE = """<script>
addEventListener("load", () => {
  document.getElementById("wg-today").textContent = "今日新增 0";
  requestAnimationFrame(() => performance.mark("wg-first-figure"));
});
</script>"""


def static_page(dashboard_html: str) -> str:
    """A page of the dashboard's assets and panels with none of its work (see the docstring).

    >>> html = '<head><link rel="stylesheet" href="/s/a.css"/><script src="/s/b.js"></script>'
    >>> page = static_page(html)
    >>> '/s/a.css' in page and '/s/b.js' in page and 'wg-first-figure' in page
    True
    """
    from maps.dashboard import LAYOUT_HTML

    assets = "\n".join(_ASSETS.findall(dashboard_html))
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"/>\n{assets}\n</head>'
        f"<body>{LAYOUT_HTML}{_STATIC_FIGURE}</body></html>"
    )


def _session(database_url: str) -> str:
    """A page session (the sign-in page's cookie) of the bench's administrator."""
    from sqlalchemy import create_engine

    from access.accounts import find_account
    from api.tokens import issue
    from geo.settings import Settings

    auth_headers(database_url)  # creates the account on first use
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            account = find_account(conn, username=BENCH_ACCOUNT)
    finally:
        engine.dispose()
    assert account is not None
    return issue(Settings(), account.id, "session").token


def _first_figure(browser: Any, base: str, session: str, path: str, static: str | None) -> float:
    """Milliseconds from navigation start to the first figure's mark, in a fresh context."""
    from api.auth import SESSION_COOKIE

    context = browser.new_context(viewport=WALL, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        context.add_cookies([{"name": SESSION_COOKIE, "value": session, "url": base}])
        if static is not None:
            context.route(
                base + path,
                lambda route: route.fulfill(content_type="text/html; charset=utf-8", body=static),
            )
        page = context.new_page()
        page.goto(base + path, wait_until="commit", timeout=600_000)
        page.wait_for_function(f"({MARK}) !== undefined", timeout=600_000, polling=50)
        return float(page.evaluate(MARK))
    finally:
        context.close()


def measure(ctx: Context) -> list[Result]:
    """The dashboard's first figure p50 ÷ the static page's p50, in turns."""
    import httpx
    from playwright.sync_api import sync_playwright

    from api.auth import SESSION_COOKIE
    from tests.browser import launch_chromium

    n = max(3, ctx.sizes.heavy_requests)
    base = ctx.service.base
    session = _session(ctx.url)
    started = time.perf_counter()
    html = httpx.get(
        base + "/maps/dashboard", cookies={SESSION_COOKIE: session}, timeout=600
    ).raise_for_status()
    render = time.perf_counter() - started
    static = static_page(html.text)
    dashboard: list[float] = []
    baseline: list[float] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for i in range(n + 1):  # the first pair warms both up, untimed
                took = _first_figure(browser, base, session, "/maps/dashboard", None)
                took_static = _first_figure(browser, base, session, STATIC_PATH, static)
                if i:
                    dashboard.append(took / 1000)
                    baseline.append(took_static / 1000)
        finally:
            browser.close()
    return [
        Result(
            "P12 paint",
            "the dashboard's first figure on the wall screen (1920×1080, headless Chromium) p50 "
            "÷ a static page of the same assets p50",
            ctx.scale,
            {"dashboard p50": ms(p50(dashboard)), "static assets p50": ms(p50(baseline))},
            p50(dashboard) / p50(baseline),
            ("", float("nan")),
            note=f"{n} loads each, in turns, each in a fresh browser context (empty cache); "
            f"the page's HTML alone took {render * 1000:,.0f} ms to render once",
        )
    ]
