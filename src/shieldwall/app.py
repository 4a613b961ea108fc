"""The web application: JSON API under /api/v1, server-rendered pages, /healthz."""

from __future__ import annotations

import functools
import gc
from pathlib import Path
from typing import Any

import fastapi_offline
import plotly
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.openapi.utils import get_openapi
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)

from shieldwall import __version__
from shieldwall.access import api as access_api
from shieldwall.access import pages as access_pages
from shieldwall.access.web import SESSION_COOKIE, LoginRequired
from shieldwall.assistance import api as assistance_api
from shieldwall.assistance import import_pages
from shieldwall.assistance import pages as assistance_pages
from shieldwall.audit import api as audit_api
from shieldwall.context import open_platform
from shieldwall.council import api as council_api
from shieldwall.council import pages as council_pages
from shieldwall.envelope import api as envelope_api
from shieldwall.envelope import pages as envelope_pages
from shieldwall.guarantees import api as guarantees_api
from shieldwall.guarantees import pages as guarantees_pages
from shieldwall.kit import problems
from shieldwall.kit.clock import Clock
from shieldwall.kit.db import database_status
from shieldwall.kit.kept_responses import KeptResponses
from shieldwall.kit.middleware import BodyLimit, LocaleMiddleware, NoStore
from shieldwall.kit.params import plain_query
from shieldwall.kit.settings import Settings, get_settings
from shieldwall.kit.uow import Platform
from shieldwall.matching import api as matching_api
from shieldwall.matching import pages as matching_pages
from shieldwall.notifications import api as notifications_api
from shieldwall.notifications import pages as notifications_pages
from shieldwall.obligations import api as obligations_api
from shieldwall.obligations import pages as obligations_pages
from shieldwall.reports import audit_records, burden, compliance, dashboard, inbox, public

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
STATIC = Path(__file__).parent / "static"
# Swagger UI's and ReDoc's files, from the installed fastapi-offline package: the API's
# documentation works with no connection beyond this server (never a CDN). With them, our own
# additions: contrast fixes (docs.css) and names for ReDoc's unnamed fields (docs.js).
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"
DOCS_FILES = {
    "swagger-ui-bundle.js": (DOCS_ASSETS / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (DOCS_ASSETS / "swagger-ui.css", "text/css"),
    "redoc.standalone.js": (DOCS_ASSETS / "redoc.standalone.js", "text/javascript"),
    "docs.css": (STATIC / "docs.css", "text/css"),
    "docs.js": (STATIC / "docs.js", "text/javascript"),
}
# The one address outside this server that ReDoc's bundle loads: its maker's logo, drawn in the
# sidebar's footer; ours is shown in its place.
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
ICON = STATIC / "favicon.svg"


def _exchange_rules(app: FastAPI, settings: Settings, platform: Platform) -> None:
    """What holds for every exchange: no body passes its limit (413), and no answer to a
    request with credentials is stored (``Cache-Control: no-store``; outermost, so on 413s
    too), and every one is in the viewer's language (``LocaleMiddleware``). (No query
    parameter carries a control character: ``plain_query``, on every route.) Innermost, so
    that all of these hold for them too: the hot reads' kept answers (``KeptResponses``)."""
    app.add_middleware(
        KeptResponses,
        engine=platform.engine,
        clock=platform.clock,
        paths=assistance_api.KEPT_READS,
    )
    app.add_middleware(
        BodyLimit,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(NoStore, session_cookies=[SESSION_COOKIE])
    # Outermost: every answer, a refused body's included, is written in the viewer's language.
    app.add_middleware(LocaleMiddleware)


# The features' routers: the API's, then the pages'.
ROUTERS = (
    access_api.router,
    assistance_api.router,
    council_api.router,
    guarantees_api.router,
    envelope_api.router,
    matching_api.router,
    audit_api.router,
    notifications_api.router,
    obligations_api.router,
    compliance.router,
    public.router,
    inbox.router,
    access_pages.router,
    assistance_pages.router,
    import_pages.router,
    council_pages.router,
    guarantees_pages.router,
    burden.router,
    envelope_pages.router,
    matching_pages.router,
    dashboard.router,
    notifications_pages.router,
    obligations_pages.router,
)


def _static_files(app: FastAPI) -> None:
    @app.get("/static/shieldwall.css", include_in_schema=False)
    def stylesheet() -> FileResponse:
        return FileResponse(STATIC / "shieldwall.css", media_type="text/css")

    @app.get("/static/favicon.svg", include_in_schema=False)
    @app.get(
        "/favicon.ico", include_in_schema=False
    )  # asked for by browsers whatever the page says
    def favicon() -> FileResponse:
        return FileResponse(
            ICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
        )


@functools.cache
def _redoc_script() -> bytes:
    return (
        (DOCS_ASSETS / "redoc.standalone.js")
        .read_bytes()
        .replace(REDOC_LOGO, b"/static/favicon.svg")
    )


def _readable(page: HTMLResponse, script: bool = False) -> HTMLResponse:
    """FastAPI's documentation page, in English (``lang``) and with our additions."""
    html = bytes(page.body).decode().replace("<html>", '<html lang="en">', 1)
    extra = '<link rel="stylesheet" href="/static/docs/docs.css">'
    if script:
        extra += '<script src="/static/docs/docs.js"></script>'
    return HTMLResponse(html.replace("</head>", extra + "</head>", 1))


def _documentation(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc (ReDoc), with their scripts and styles served from the
    installed package, so that no request leaves this server."""

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{request.app.title} API",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
            oauth2_redirect_url="/docs/oauth2-redirect",
            # No badge fetched from the public validator; no link nested in each operation's
            # button (axe-core's nested-interactive).
            swagger_ui_parameters={"validatorUrl": None, "deepLinking": False},
        )
        return _readable(page)

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        page = get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{request.app.title} API",
            redoc_js_url="/static/docs/redoc.standalone.js",
            redoc_favicon_url="/static/favicon.svg",
            with_google_fonts=False,
        )
        return _readable(page, script=True)

    @app.get("/static/docs/{name}", include_in_schema=False)
    def documentation_file(name: str) -> Response:
        if name not in DOCS_FILES:  # only the named files: no path reaches outside
            raise HTTPException(404)
        path, media_type = DOCS_FILES[name]
        cache = {"Cache-Control": "public, max-age=86400"}
        if name == "redoc.standalone.js":
            return Response(_redoc_script(), media_type=media_type, headers=cache)
        return FileResponse(path, media_type=media_type, headers=cache)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Shieldwall",
        version=__version__,
        summary="The working platform of a security partnership between an alliance and a partner",
        dependencies=[Depends(plain_query)],
        docs_url=None,  # served by _documentation, from installed files
        redoc_url=None,
    )
    app.state.platform = open_platform(settings.database_url, clock, settings)
    audit_records.install()  # the audit page names the features' records
    problems.install(app)
    _exchange_rules(app, settings, app.state.platform)

    @app.exception_handler(LoginRequired)
    async def login_required(_request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(exc.location, status_code=303)

    for router in ROUTERS:
        app.include_router(router)

    @app.get("/healthz", tags=["operations"], responses=problems.problem_responses(public=True))
    def healthz(request: Request) -> JSONResponse:
        ctx: Platform = request.app.state.platform
        db = database_status(ctx.engine)
        code = 200 if db["status"] == "ok" else 503
        return JSONResponse(
            {"status": db["status"], "version": __version__, "database": db}, status_code=code
        )

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        # Served from the installed plotly package; never copied into the repository.
        return FileResponse(
            PLOTLY_JS,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    _static_files(app)
    _documentation(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            app.openapi_schema = problems.problem_openapi(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def serving_app(settings: Settings | None = None) -> FastAPI:
    """The app as ``shieldwall serve`` runs it, in a process of its own (each worker builds its
    own). The objects made so far (the modules, routes, compiled templates: most of the
    process's heap) are then moved out of the garbage collector's sight (``gc.freeze``): a full
    collection, which holds the interpreter and so every request of the worker, went over
    them all, 132–154 ms of CPU each, once in about a thousand requests, every request in flight
    waiting for it; 18–23 ms frozen (benchmarks/api_load.py, finding 22). The garbage left by
    start-up is collected first, not frozen with the rest. Not in ``create_app``: a test process
    builds many apps, and what it freezes is never collected."""
    app = create_app(settings)
    gc.collect()
    gc.freeze()
    return app
