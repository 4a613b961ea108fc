"""The notifications page: the signed-in user's notices, marking them read, and the choice of
e-mail or in-app only. Every form carries the session's CSRF token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shieldwall.access.model import Actor
from shieldwall.access.web import Ctx, PageActor, check_csrf, page_session
from shieldwall.kit.errors import DomainError
from shieldwall.kit.i18n import N_
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.params import PageNumber, parse_record_id
from shieldwall.kit.templating import TEMPLATES, add_to_every_page
from shieldwall.kit.text import SingleLine
from shieldwall.notifications import queries
from shieldwall.notifications.model import NotifyBy
from shieldwall.notifications.service import NotificationService

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
DONE = {
    "read": N_("Marked read."),
    "all-read": N_("All your notifications are marked read."),
    "preferences": N_("Your preference is saved."),
}


def unread_notifications(request: Request) -> dict[str, Any]:
    """Every page's navigation shows how many notifications wait unread."""
    try:
        info = page_session(request)
        if info is None or info.actor.user_id is None:
            return {"unread_notifications": 0}
        with request.app.state.platform.reading() as s:
            return {"unread_notifications": queries.unread_count(s, info.actor.user_id)}
    except Exception:  # an unreachable database must not hide the error page itself
        return {"unread_notifications": 0}


add_to_every_page(unread_notifications)


def _page(
    request: Request,
    ctx: Ctx,
    who: Actor,
    *,
    page: int = 1,
    unread: bool = False,
    done: str | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    assert who.user_id is not None  # a page session is a signed-in user's
    with ctx.reading() as s:
        total, items = queries.list_notifications(
            s,
            who.user_id,
            unread=True if unread else None,
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        prefs = queries.preferences(s, who.user_id)
    return TEMPLATES.TemplateResponse(
        request,
        "notifications.html",
        {
            "items": items,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "unread": unread,
            "prefs": {**prefs, **(values or {})},
            "choices": [c.value for c in NotifyBy],
            "mail_configured": bool(ctx.settings.smtp_host),
            "done_text": _(DONE[done]) if done in DONE else None,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request,
    ctx: Ctx,
    who: PageActor,
    page: PageNumber = 1,
    unread: Annotated[bool, Query()] = False,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    return _page(request, ctx, who, page=page, unread=unread, done=done)


@router.post("/notifications/read", response_class=HTMLResponse)
def mark_read_form(
    request: Request,
    ctx: Ctx,
    who: PageActor,
    notification_id: Annotated[str, Form(max_length=20), SingleLine] = "",
    csrf_token: Annotated[str, Form(max_length=200), SingleLine] = "",
) -> Response:
    """One notification read (its id), or all of them (``all``)."""
    info = page_session(request)
    assert info is not None  # PageActor guarantees a live session
    check_csrf(info, csrf_token)
    try:
        with ctx.unit_of_work() as uow:
            service = NotificationService(uow)
            if notification_id == "all":
                service.mark_all_read(who)
            else:
                service.mark_read(who, parse_record_id("notification_id", notification_id))
    except DomainError as exc:
        return _page(request, ctx, who, error=exc.detail, status_code=exc.status)
    done = "all-read" if notification_id == "all" else "read"
    return RedirectResponse(f"/notifications?done={done}", status_code=303)


@router.post("/notifications/preferences", response_class=HTMLResponse)
def preferences_form(
    request: Request,
    ctx: Ctx,
    who: PageActor,
    notify_by: Annotated[str, Form(max_length=20), SingleLine] = "",
    email: Annotated[str, Form(max_length=254), SingleLine] = "",
    csrf_token: Annotated[str, Form(max_length=200), SingleLine] = "",
) -> Response:
    info = page_session(request)
    assert info is not None
    check_csrf(info, csrf_token)
    try:
        with ctx.unit_of_work() as uow:
            NotificationService(uow).set_preferences(who, notify_by=notify_by, email=email)
    except DomainError as exc:
        typed = {"notify_by": notify_by, "email": email}
        return _page(request, ctx, who, error=exc.detail, values=typed, status_code=exc.status)
    return RedirectResponse("/notifications?done=preferences", status_code=303)
