"""JSON routes of notifications: the signed-in user's own notices and preferences."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shieldwall.access.web import Ctx, Reader
from shieldwall.kit.pagination import Page
from shieldwall.kit.params import Limit, Offset, RecordId
from shieldwall.kit.problems import problem_responses
from shieldwall.notifications import queries
from shieldwall.notifications.schemas import NotificationOut, PreferencesIn, PreferencesOut
from shieldwall.notifications.service import NotificationService

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


@router.get("", response_model=Page[NotificationOut], responses=problem_responses())
def list_notifications(
    ctx: Ctx,
    who: Reader,
    unread: Annotated[
        bool | None, Query(description="true: only the unread; false: only the read")
    ] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> dict[str, object]:
    """Your notifications, newest first."""
    assert who.user_id is not None  # Reader: a signed-in user
    with ctx.reading() as s:
        total, items = queries.list_notifications(
            s, who.user_id, unread=unread, offset=offset, limit=limit
        )
    return {"total": total, "offset": offset, "limit": limit, "items": items}


@router.post(
    "/{notification_id}/read",
    response_model=NotificationOut,
    responses=problem_responses(403, 404),
)
def mark_read(notification_id: RecordId, ctx: Ctx, who: Reader) -> dict[str, object]:
    """Mark one of your notifications read; needs the write scope."""
    with ctx.unit_of_work() as uow:
        return NotificationService(uow).mark_read(who, notification_id)


@router.get("/preferences", response_model=PreferencesOut, responses=problem_responses())
def get_preferences(ctx: Ctx, who: Reader) -> dict[str, object]:
    """How you are notified: by e-mail (and in the app) or in the app only."""
    assert who.user_id is not None
    with ctx.reading() as s:
        return queries.preferences(s, who.user_id)


@router.put("/preferences", response_model=PreferencesOut, responses=problem_responses(403))
def set_preferences(body: PreferencesIn, ctx: Ctx, who: Reader) -> dict[str, object]:
    """Choose e-mail (give an address) or in-app only; needs the write scope."""
    with ctx.unit_of_work() as uow:
        return NotificationService(uow).set_preferences(
            who, notify_by=body.notify_by.value, email=body.email
        )
