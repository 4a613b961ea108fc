"""Sign-in and sign-out pages. Every form carries a CSRF token."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shieldwall.access.forms import FormError, form_error
from shieldwall.access.service import AccessService, sign_in
from shieldwall.access.web import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Ctx,
    check_csrf,
    client_address,
    page_session,
)
from shieldwall.kit import i18n
from shieldwall.kit.errors import InvalidInput, NotAuthenticated, Throttled
from shieldwall.kit.i18n import N_
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.middleware import LOCALE_COOKIE, TIME_ZONE_COOKIE
from shieldwall.kit.templating import TEMPLATES, add_to_every_page
from shieldwall.kit.text import SingleLine

router = APIRouter(include_in_schema=False)

# The roles as the header names them (``{{ role | replace('_', ' ') | term }}``).
TERMS = (
    N_("head of delegation"),
    N_("officer"),
    N_("viewer"),
    N_("chair"),
    N_("staff"),
    N_("admin"),
)


def language_of_the_page(_request: Request) -> dict[str, Any]:
    """Every page's header names the language it is written in, as a link to change it."""
    return {"locale_name": i18n.LOCALE_NAMES[i18n.current_locale()]}


add_to_every_page(language_of_the_page)


def _safe_next(target: str | None) -> str:
    """Only paths on this site: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _login_form(
    request: Request,
    next_path: str,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    username: str = "",
) -> Response:
    token = secrets.token_urlsafe(32)
    response = TEMPLATES.TemplateResponse(
        request,
        "login.html",
        {
            "csrf": token,
            "next": next_path,
            "message": message,
            "error": error,
            "username": username,
            "session": None,
        },
        status_code=status_code,
    )
    # Never kept by a cache or the browser's history: it carries a fresh CSRF token, and what
    # was typed into it.
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.platform.settings.secure_cookies,
        path="/login",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    next: Annotated[str | None, Query(max_length=2000)] = None,
    expired: Annotated[bool, Query()] = False,
    signed_out: Annotated[bool, Query()] = False,
) -> Response:
    if page_session(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    message = (
        _("Your session has expired; sign in again.")
        if expired
        else _("You have signed out.")
        if signed_out
        else None
    )
    return _login_form(request, _safe_next(next), message=message)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    ctx: Ctx,
    username: Annotated[str, Form(max_length=80), SingleLine] = "",
    password: Annotated[str, Form(max_length=1000), SingleLine] = "",
    csrf_token: Annotated[str, Form(max_length=200), SingleLine] = "",
    next: Annotated[str, Form(max_length=2000), SingleLine] = "/",
) -> Response:
    target = _safe_next(next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not csrf_token or not secrets.compare_digest(csrf_token, expected):
        return _login_form(
            request,
            target,
            status_code=403,
            username=username,
            error=_("The form had expired or was not sent from this page. Try again."),
        )
    try:
        actor = sign_in(ctx, username, password, client_address(request))
    except Throttled as exc:
        # The detail is a clause ("too many failed sign-ins …"): the form shows it as a sentence.
        sentence = exc.detail[:1].upper() + exc.detail[1:] + "."
        response = _login_form(request, target, error=sentence, status_code=429, username=username)
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    except NotAuthenticated:
        return _login_form(
            request,
            target,
            error=_("Wrong username or password."),
            status_code=401,
            username=username,
        )
    with ctx.unit_of_work() as uow:
        service = AccessService(uow)
        token, _info = service.start_session(actor)
        locale, time_zone = service.language_of(actor)
    response = RedirectResponse(target, status_code=303)
    _remember_language(response, ctx, locale, time_zone)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=ctx.settings.secure_cookies,
        max_age=ctx.settings.session_hours * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request,
    ctx: Ctx,
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200), SingleLine] = "",
) -> Response:
    info = page_session(request)
    if info is None:
        return RedirectResponse("/login", status_code=303)
    check_csrf(info, csrf_token)
    with ctx.unit_of_work() as uow:
        AccessService(uow).end_session(request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# ---- language and time zone ----------------------------------------------------------------


def _remember_language(
    response: Response, ctx: Ctx, locale: str | None, time_zone: str | None
) -> None:
    """The viewer's language and time zone ride in cookies (``LocaleMiddleware`` reads them);
    a user's are set from its stored choice at sign-in, so they follow it to any browser."""
    year = 365 * 24 * 3600
    secure = ctx.settings.secure_cookies
    if locale:
        response.set_cookie(LOCALE_COOKIE, locale, samesite="lax", secure=secure, max_age=year)
    if time_zone:
        response.set_cookie(
            TIME_ZONE_COOKIE, time_zone, samesite="lax", secure=secure, max_age=year
        )


def _settings_page(
    request: Request, *, done: bool = False, error: FormError | None = None, status_code: int = 200
) -> Response:
    return TEMPLATES.TemplateResponse(
        request,
        "settings.html",
        {
            "locales": i18n.LOCALE_NAMES,
            "time_zones": i18n.time_zones(),
            "done": done,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request) -> Response:
    return _settings_page(request, done=request.query_params.get("saved") == "1")


SETTINGS_LABELS = {"locale": N_("Language"), "time_zone": N_("Time zone")}


@router.post("/settings", response_class=HTMLResponse)
def save_settings(
    request: Request,
    ctx: Ctx,
    locale: Annotated[str, Form(max_length=8), SingleLine] = "",
    time_zone: Annotated[str, Form(max_length=64), SingleLine] = i18n.DEFAULT_TIME_ZONE,
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200), SingleLine] = "",
) -> Response:
    """Anyone may choose the language of the pages (kept in the browser); a signed-in user's
    choice, with its time zone, is also stored with the user."""
    info = page_session(request)
    try:
        if info is None:
            if locale not in i18n.LOCALES:
                raise InvalidInput(
                    "locale", _("use one of {choices}").format(choices=", ".join(i18n.LOCALES))
                )
        else:
            check_csrf(info, csrf_token)
            with ctx.unit_of_work() as uow:
                AccessService(uow).choose_language(info.actor, locale, time_zone)
    except InvalidInput as exc:
        return _settings_page(
            request, error=form_error(exc, lambda f: _(SETTINGS_LABELS.get(f, f))), status_code=422
        )
    response = RedirectResponse("/settings?saved=1", status_code=303)
    _remember_language(response, ctx, locale, time_zone if info is not None else None)
    return response


# ---- the glossary --------------------------------------------------------------------------


@router.get("/glossary", response_class=HTMLResponse)
def glossary_page(request: Request) -> Response:
    """The platform's words, each with a short definition and an anchor (``/glossary#committed``)
    that any page may link to; public, like the words themselves."""
    return TEMPLATES.TemplateResponse(request, "glossary.html", {})
