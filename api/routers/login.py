"""The sign-in page (登录) and the cookie session the map pages and their scripts use."""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import tokens
from api.auth import SESSION_COOKIE, account_for_token, public, same_origin
from api.deps import EngineDep, SettingsDep
from api.routers.auth import LimiterDep, check_password
from geo.errors import Forbidden, NotAuthenticated, RateLimited
from maps.assets import FAVICON

router = APIRouter(tags=["auth"], include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 · 网格</title><link rel="icon" href="{favicon}">
<style>
body {{ font-family: "Noto Sans CJK SC", sans-serif; background: #eef2f6; margin: 0; }}
main {{ max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem;
        border-radius: 8px; box-shadow: 0 2px 10px rgba(0,0,0,.12); }}
h1 {{ font-size: 1.4rem; margin: 0 0 1.2rem; }}
label {{ display: block; margin: .8rem 0 .3rem; }}
input {{ width: 100%; box-sizing: border-box; padding: .55rem; font-size: 1rem; }}
button {{ margin-top: 1.2rem; width: 100%; padding: .6rem; font-size: 1rem;
          background: #c0392b; color: #fff; border: 0; border-radius: 4px; }}
.error {{ color: #b00020; margin: 0 0 .8rem; }}
</style></head>
<body><main>
<h1>网格化治理 · 登录</h1>
{error}
<form method="post" action="/login">
<input type="hidden" name="next" value="{next}">
<label for="username">用户名</label>
<input id="username" name="username" autocomplete="username" required value="{username}">
<label for="password">密码</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">登录</button>
</form>
</main></body></html>
"""


def _safe_next(next_url: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not next_url:
        return "/maps/"
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or not next_url.startswith("/") or next_url.startswith("//"):
        return "/maps/"
    return next_url


def _page(next_url: str, error: str = "", username: str = "", status: int = 200) -> HTMLResponse:
    html = _PAGE.format(
        favicon=FAVICON,
        next=escape(_safe_next(next_url)),
        username=escape(username),
        error=f'<p class="error" role="alert">{escape(error)}</p>' if error else "",
    )
    return HTMLResponse(html, status_code=status)


@router.get("/login", response_class=HTMLResponse)
@public
def login_page(next: Annotated[str | None, Query(max_length=2000)] = None) -> HTMLResponse:
    return _page(next or "/maps/")


@router.post("/login", response_class=HTMLResponse)
@public
def login_form(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    lim: LimiterDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/maps/",
) -> Response:
    client = request.client.host if request.client else None
    if not username or not password:
        return _page(next, "请输入用户名和密码。", username, status=422)
    try:
        account = check_password(engine, settings, lim, client, username, password)
    except RateLimited as exc:
        page = _page(next, f"尝试次数过多，请 {exc.retry_after} 秒后再试。", username, 429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except NotAuthenticated:
        return _page(next, "用户名或密码不正确。", username, status=401)
    session = tokens.issue(settings, account.id, "session")
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=session.lifetime_s,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
@public
def logout_form(request: Request, engine: EngineDep, settings: SettingsDep) -> Response:
    if not same_origin(request):  # another site must not sign the visitor out either
        raise Forbidden("a cross-site request cannot use the page session")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            _, claims = account_for_token(engine, settings, cookie, ("session",))
        except NotAuthenticated:
            claims = None
        if claims is not None:
            with engine.begin() as conn:
                tokens.revoke(conn, claims)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
