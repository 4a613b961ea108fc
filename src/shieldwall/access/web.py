"""Who is asking, for the API and the pages: bearer tokens, session cookies, CSRF."""

from __future__ import annotations

import hmac
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from shieldwall.access.model import PUBLIC, Actor, Scope
from shieldwall.access.service import AccessService, SessionInfo
from shieldwall.kit.errors import Busy, Forbidden, NotAuthenticated
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.kept_responses import keep_until
from shieldwall.kit.templating import add_to_every_page
from shieldwall.kit.uow import Platform

SESSION_COOKIE = "shieldwall_session"
LOGIN_CSRF_COOKIE = "shieldwall_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """A page was asked for without a live session: the browser is sent to sign in."""

    def __init__(self, next_path: str, expired: bool) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.expired = expired

    @property
    def location(self) -> str:
        flag = "&expired=1" if self.expired else ""
        return f"/login?next={quote(self.next_path, safe='/')}{flag}"


def platform(request: Request) -> Platform:
    found: Platform = request.app.state.platform
    return found


async def platform_dependency(request: Request) -> Platform:
    """``platform`` for routes: ``async`` as it never waits (a plain ``def`` dependency costs
    a hand-off to the thread pool and back on every request)."""
    return platform(request)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _session(request: Request) -> SessionInfo | None:
    cached: SessionInfo | None = getattr(request.state, "session", None)
    if cached is not None:
        return cached
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with platform(request).unit_of_work(writes=False) as uow:  # a lookup: no write lock
        info = AccessService(uow).session(cookie)
    request.state.session = info
    return info


def _token_actor(request: Request, secret: str) -> Actor | None:
    """The token's user (None if unknown, expired or revoked), its last use noted when the one
    recorded is a minute old: a lookup that takes no write lock, then, rarely, a write that may
    wait for it (a busy database skips the note: the next request makes it). Until the check
    would answer otherwise, the answer of a kept read may be given again (``keep_until``)."""
    with platform(request).unit_of_work(writes=False) as uow:
        check = AccessService(uow).token_actor(secret)
    if check.actor is not None and check.stale:
        try:
            with platform(request).unit_of_work() as uow:
                AccessService(uow).record_token_use(secret)
        except Busy:
            pass
    if check.holds_until is not None:
        keep_until(request.state, check.holds_until)
    return check.actor


async def current_actor(request: Request) -> Actor:
    """The bearer token's user, else the session cookie's, else the public.

    ``async`` (one hand-off to the thread pool, not one per dependency that asks), and the
    credential is looked up in the pool, never on the event loop: on PostgreSQL the lookup
    waits for the server, and any lookup may wait for a pooled connection — on the loop, that
    wait would hold every other request of the worker (benchmarks/api_load.py, finding 15)."""
    header = request.headers.get("authorization")
    if header:
        scheme, _space, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated(_("send the token as 'Authorization: Bearer <token>'"))
        actor = await run_in_threadpool(_token_actor, request, token.strip())
        if actor is None:
            raise NotAuthenticated(_("the token is unknown, expired or revoked"))
        return actor
    if request.cookies.get(SESSION_COOKIE):
        info = await run_in_threadpool(_session, request)
        if info is None:
            raise NotAuthenticated(_("the session has expired or ended; sign in again"))
        if request.method not in SAFE_METHODS:
            check_csrf(info, request.headers.get(CSRF_HEADER))
        return info.actor
    return PUBLIC


def check_csrf(info: SessionInfo, sent: str | None) -> None:
    if not sent or not hmac.compare_digest(sent, info.csrf_token):
        raise Forbidden(
            _("the form is missing its CSRF token or it does not match; reload the page")
        )


async def signed_in(request: Request) -> Actor:
    """Any signed-in user whose credential may read; 401 for the public."""
    actor = await current_actor(request)
    if actor.user_id is None:
        raise NotAuthenticated(
            _(
                "sign in: send 'Authorization: Bearer <token>' "
                "(POST /api/v1/auth/token) or use a browser session"
            )
        )
    if Scope.READ not in actor.scopes:
        raise Forbidden(_("this token has no read scope"))
    return actor


async def anyone(request: Request) -> Actor:
    """The public or a signed-in user: for the public routes."""
    return await current_actor(request)


async def page_actor(request: Request) -> Actor:
    """For the pages: a live browser session, or a redirect to the sign-in page (``async``,
    as ``current_actor``, the session looked up in the thread pool)."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    cookie = request.cookies.get(SESSION_COOKIE)
    info = await run_in_threadpool(_session, request) if cookie else None
    if info is None:
        raise LoginRequired(path, expired=bool(cookie))
    return info.actor


def page_session(request: Request) -> SessionInfo | None:
    return _session(request) if request.cookies.get(SESSION_COOKIE) else None


def signed_in_user(request: Request) -> dict[str, Any]:
    """Every page knows who is signed in (for the header and the sign-out form)."""
    try:
        return {"session": page_session(request)}
    except Exception:  # an unreachable database must not hide the error page itself
        return {"session": None}


add_to_every_page(signed_in_user)


Ctx = Annotated[Platform, Depends(platform_dependency)]
Reader = Annotated[Actor, Depends(signed_in)]
Anyone = Annotated[Actor, Depends(anyone)]
PageActor = Annotated[Actor, Depends(page_actor)]
