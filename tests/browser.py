"""Pages in a real headless Chromium, with the network cut off except for the service itself.

The fixtures in ``conftest.py`` (``browser``, ``page_check``) build on this. Debian's Chromium
is used as it is; Playwright never downloads a browser.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Response,
    Route,
)

from api.auth import SESSION_COOKIE

CHROMIUM = Path("/usr/bin/chromium")
#: As the workplace's probe starts it: no sandbox as root, and none of Chromium's own calls
#: home, which a closed network refuses.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
#: Latin a Chinese page may show besides codes (words holding a digit): metric units.
UNITS = frozenset({"m", "km", "ha"})
#: Resolves once the page has drawn a frame and a little after (a canvas map redraws late).
_DRAWN_JS = "() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 200)))"
#: Everything of a page a person reads: the visible text, tooltips (title) and placeholders.
_READABLE_JS = """() => [document.title, document.body.innerText,
  ...[...document.querySelectorAll('[title]')].map((e) => e.getAttribute('title')),
  ...[...document.querySelectorAll('[placeholder]')].map((e) => e.getAttribute('placeholder'))]"""


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium, or a failure (never a skip) saying how to install it."""
    if not CHROMIUM.exists():
        raise RuntimeError(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
            "(`apt-get install chromium`, which `make setup` does)"
        )
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )


def screenshot_name(test_name: str) -> str:
    """A file name for a test's screenshot.

    Examples
    --------
    >>> screenshot_name("test_page[/maps/]")
    'test_page[_maps_].png'
    """
    return re.sub(r"[^\w.\[\]-]+", "_", test_name) + ".png"


def latin_words(text: str) -> list[str]:
    """The Latin words of ``text`` other than codes (a word holding a digit) and units.

    Examples
    --------
    >>> latin_words("网格 150621001001 面积 3.2 km，编号 DLT2026001，状态 draft Draft")
    ['Draft', 'draft']
    """
    words = re.findall(r"[A-Za-z][A-Za-z0-9_-]*", text)
    return sorted({w for w in words if w not in UNITS and not any(c.isdigit() for c in w)})


class PageCheck:
    """One page in its own browser context, watched for everything that went wrong.

    Requests to ``base_url``'s origin go through; any other host is aborted and recorded.
    Console errors, uncaught exceptions, failed requests and HTTP answers >= 400 are recorded
    too; :meth:`assert_clean` fails listing every one of them.
    """

    def __init__(
        self, browser: Browser, base_url: str, session: str | None = None, **context: Any
    ) -> None:
        """``context``: Playwright's context options over the defaults (a phone's viewport,
        touch, a geolocation and its permission)."""
        self.base_url = base_url.rstrip("/")
        self.origin = urlsplit(base_url)[:2]
        self.problems: list[str] = []
        self.console: list[str] = []  # every console message, for the log next to the screenshot
        self._blocked: set[str] = set()
        self._pages: dict[str, str] = {}
        self.context = browser.new_context(
            **{
                "locale": "zh-CN",
                "timezone_id": "Asia/Shanghai",
                "viewport": {"width": 1280, "height": 800},
                "service_workers": "block",  # a service worker's fetches would bypass the routing
                **context,
            }
        )
        if session is not None:  # signed in, as the sign-in page would have done
            self.context.add_cookies([{"name": SESSION_COOKIE, "value": session, "url": base_url}])
        self.context.set_default_timeout(15_000)
        self.context.route("**/*", self._route)
        self.page: Page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)

    # what the tests call -------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base_url + path

    def goto(self, path: str, wait_until: Any = "networkidle") -> Response | None:
        """Open ``path`` on the service and wait until the network has been idle for 0.5 s."""
        return self.page.goto(self.url(path), wait_until=wait_until)

    def serve_html(self, path: str, html: str) -> None:
        """Answer ``path`` on the service's origin with ``html`` (e.g. a rendered folium map).

        The page's own links then load from the live service as a real page's would.
        """
        self._pages[self.url(path)] = html

    def assert_chinese(self, screenshot: Path | None = None) -> None:
        """Fail naming every Latin word (other than codes and units) in the page's visible
        text, tooltips and placeholders; first save a screenshot of the page as it is."""
        if screenshot is not None:  # once a canvas map has drawn its last change
            self.page.evaluate(_DRAWN_JS)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=screenshot)
        found = latin_words("\n".join(self.page.evaluate(_READABLE_JS)))
        assert not found, f"Latin words on {self.page.url} ({screenshot}): {found}"

    def assert_clean(self) -> None:
        """Fail listing every blocked request, console error and failed request so far."""
        assert not self.problems, "the page was not clean:\n  " + "\n  ".join(self.problems)

    # recording -----------------------------------------------------------------------------

    def _route(self, route: Route) -> None:
        url = route.request.url
        if url in self._pages:
            route.fulfill(content_type="text/html; charset=utf-8", body=self._pages[url])
        elif urlsplit(url)[:2] == self.origin:
            route.continue_()
        else:
            self._blocked.add(url)
            self.problems.append(f"blocked request to another host: {url}")
            route.abort("blockedbyclient")

    def _console(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")
        if message.type == "error":
            where = message.location.get("url", "")
            self.problems.append(f"console error: {message.text} ({where})")

    def _failed(self, request: Request) -> None:
        if request.url not in self._blocked:
            self.problems.append(f"request failed ({request.failure}): {request.url}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def close(self, screenshot: Path) -> None:
        """Save a full-page screenshot and, beside it, a log of the problems and the console."""
        try:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            log = [f"url: {self.page.url}", "problems:", *self.problems, "console:", *self.console]
            screenshot.with_suffix(".log").write_text("\n".join(log) + "\n", encoding="utf-8")
            if self.page.url != "about:blank":
                # A long page (redoc) on a busy machine takes longer than the 15 s default.
                self.page.screenshot(path=screenshot, full_page=True, timeout=60_000)
        finally:
            self.context.close()
