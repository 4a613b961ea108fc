"""Sign-in and sign-out pages. Every form carries a CSRF token."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

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
from shieldwall.kit.errors import NotAuthenticated, Throttled
from shieldwall.kit.templating import TEMPLATES
from shieldwall.kit.text import SingleLine

router = APIRouter(include_in_schema=False)


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
        "Your session has expired; sign in again."
        if expired
        else "You have signed out."
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
            error="The form had expired or was not sent from this page. Try again.",
        )
    try:
        actor = sign_in(ctx, username, password, client_address(request))
    except Throttled as exc:
        response = _login_form(
            request, target, error=exc.detail.capitalize() + ".", status_code=429, username=username
        )
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    except NotAuthenticated:
        return _login_form(
            request, target, error="Wrong username or password.", status_code=401, username=username
        )
    with ctx.unit_of_work() as uow:
        token, _info = AccessService(uow).start_session(actor)
    response = RedirectResponse(target, status_code=303)
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
