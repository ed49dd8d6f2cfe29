"""``/docs`` (Swagger UI) and ``/redoc`` from files this service serves: no CDN, no web fonts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse

from api.auth import public
from maps.assets import FAVICON, REDOC_JS, SWAGGER_CSS, SWAGGER_JS

router = APIRouter(include_in_schema=False)


def _openapi_url(request: Request) -> str:
    root_path = str(request.scope.get("root_path", "")).rstrip("/")
    return root_path + str(request.app.openapi_url)


@router.get("/docs")
@public
def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} — 接口文档",
        swagger_js_url=SWAGGER_JS,
        swagger_css_url=SWAGGER_CSS,
        swagger_favicon_url=FAVICON,
        # the validator badge would load an image from validator.swagger.io
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc")
@public
def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} — ReDoc",
        redoc_js_url=REDOC_JS,
        redoc_favicon_url=FAVICON,
        with_google_fonts=False,
    )


@router.get("/favicon.ico")
@public
def favicon() -> RedirectResponse:
    """Browsers ask every page's host for this; answer with the icon we serve."""
    return RedirectResponse(FAVICON, status_code=308)
