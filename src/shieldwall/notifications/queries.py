"""Reads of notifications: a user reads their own only (the user is in every query)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shieldwall.access.tables import UserAccount
from shieldwall.notifications.tables import Notification, OutboxMail


def as_dict(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "subject": n.subject,
        "body": n.body,
        "link": n.link,
        "created_at": n.created_at,
        "read_at": n.read_at,
        "unread": n.read_at is None,
    }


def list_notifications(
    s: Session, user_id: int, *, unread: bool | None = None, offset: int = 0, limit: int = 50
) -> tuple[int, list[dict[str, Any]]]:
    """The user's notifications, newest first; with ``unread``, only the unread (True) or
    only the read (False). (total, one page)."""
    where = [Notification.user_id == user_id]
    if unread is not None:
        where.append(
            Notification.read_at.is_(None) if unread else Notification.read_at.is_not(None)
        )
    total = s.scalar(select(func.count()).select_from(Notification).where(*where)) or 0
    rows = s.scalars(
        select(Notification)
        .where(*where)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return int(total), [as_dict(n) for n in rows]


def unread_count(s: Session, user_id: int) -> int:
    return int(
        s.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def preferences_of(user: UserAccount) -> dict[str, Any]:
    return {"notify_by": user.notify_by, "email": user.email}


def preferences(s: Session, user_id: int) -> dict[str, Any]:
    user = s.get(UserAccount, user_id)
    assert user is not None  # the signed-in user exists
    return preferences_of(user)


def mail_status(s: Session, now: dt.datetime) -> dict[str, int]:
    """The outbox in numbers: sent; pending (unsent), of which due now and failed at least
    once."""
    unsent = OutboxMail.sent_at.is_(None)

    def count(*where: Any) -> int:
        return int(s.scalar(select(func.count()).select_from(OutboxMail).where(*where)) or 0)

    return {
        "sent": count(OutboxMail.sent_at.is_not(None)),
        "pending": count(unsent),
        "due": count(unsent, OutboxMail.next_attempt_at <= now),
        "failed": count(unsent, OutboxMail.attempts > 0),
    }
