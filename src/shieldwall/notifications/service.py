"""Use cases of notifications; each runs in the unit of work it is given.

``notify`` is what features call, inside the unit of work of the change they tell about: the
notices and their mail are written in that transaction (the outbox pattern), so a change that
rolls back tells nobody, and one that commits is told even if the process dies at once.
Mail is sent later by ``mail.deliver_due``, never inside a transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shieldwall.access.model import Actor
from shieldwall.access.tables import UserAccount
from shieldwall.kit.errors import Forbidden, InvalidInput, NotFound
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.i18n import using_locale
from shieldwall.kit.text import check_text
from shieldwall.kit.uow import UnitOfWork
from shieldwall.notifications import queries
from shieldwall.notifications.model import (
    NotifyBy,
    absolute_link,
    check_email_address,
    check_preferences,
    mail_body,
    may_update_own,
    message_id,
    parse_notify_by,
    who_gets_mail,
)
from shieldwall.notifications.tables import Notification, OutboxMail

MAX_SUBJECT, MAX_BODY, MAX_LINK, MAX_KEY = 200, 20_000, 500, 200


def _insert_once(session: Session, values: dict[str, Any]) -> int | None:
    """Insert a keyed notification unless its user already has that key; its id, or None.

    ON CONFLICT DO NOTHING rather than look-then-insert: on PostgreSQL two transactions that
    notify the same user with the same key at once both get past a look; the second then
    waits for the first and writes nothing."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(Notification.id)
    )
    found: int | None = session.execute(statement).scalar_one_or_none()
    return found


# A notice's text, or a function that writes it in the language of the moment (the recipient's).
Text = str | Callable[[], str]


def _checked_message(subject: Text, body: Text) -> tuple[str, str]:
    subject_text = check_text(
        "subject", (subject() if callable(subject) else subject).strip(), max_length=MAX_SUBJECT
    )
    if not subject_text:
        raise InvalidInput("subject", _("a notification needs a subject"))
    body_text = check_text(
        "body", body() if callable(body) else body, multiline=True, max_length=MAX_BODY
    )
    return subject_text, body_text


class NotificationService:
    """Notices in the app, mail in the outbox, and each user's choice between them."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def notify(
        self,
        *,
        delegation_ids: Iterable[int],
        subject: Text,
        body: Text,
        link: str,
        key: str | None = None,
    ) -> int:
        """One notice for every enabled user of these delegations, and a mail in the outbox
        for those who chose e-mail and have an address. With a ``key``, a user who already
        had it gets nothing new. How many notices were written.

        ``subject`` and ``body`` may be functions that write them (with ``_()``): each notice
        and mail is then written in its recipient's language and time zone."""
        link = check_text("link", link, max_length=MAX_LINK)
        if key is not None:
            key = check_text("key", key, max_length=MAX_KEY)
        ids = sorted(set(delegation_ids))
        if not ids:
            return 0
        s = self.uow.session
        users = s.execute(
            select(
                UserAccount.id,
                UserAccount.email,
                UserAccount.notify_by,
                UserAccount.locale,
                UserAccount.time_zone,
            )
            .where(UserAccount.delegation_id.in_(ids), UserAccount.disabled.is_(False))
            .order_by(UserAccount.id)
        ).all()
        settings = self.uow.settings
        url = absolute_link(settings.base_url, link)
        preferences_url = absolute_link(settings.base_url, "/notifications")
        written = 0
        for user_id, email, notify_by, locale, time_zone in users:
            with using_locale(locale, time_zone):
                subject_text, body_text = _checked_message(subject, body)
                # The mail's own words (the link, the footer) in the recipient's language too.
                mail_text = mail_body(body_text, url, preferences_url)
            notification_id = self._write(user_id, subject_text, body_text, link, key)
            if notification_id is None:
                continue
            written += 1
            if who_gets_mail(notify_by, email):
                assert email is not None
                self._queue_mail(notification_id, email, subject_text, mail_text)
        return written

    def _write(
        self, user_id: int, subject: str, body: str, link: str, key: str | None
    ) -> int | None:
        values = {
            "user_id": user_id,
            "subject": subject,
            "body": body,
            "link": link,
            "key": key,
            "created_at": self.uow.clock.now(),
        }
        if key is not None:
            return _insert_once(self.uow.session, values)
        notice = Notification(**values)
        self.uow.session.add(notice)
        self.uow.session.flush()
        return notice.id

    def _queue_mail(self, notification_id: int, to: str, subject: str, body: str) -> None:
        now = self.uow.clock.now()
        settings = self.uow.settings
        self.uow.session.add(
            OutboxMail(
                notification_id=notification_id,
                to_address=to,
                subject=subject,
                body=body,
                created_at=now,
                attempts=0,
                next_attempt_at=now,
                message_id=message_id(notification_id, now, settings.mail_from),
            )
        )

    # ---- the signed-in user's own -----------------------------------------------------------

    @staticmethod
    def _own(actor: Actor) -> int:
        if actor.user_id is None:
            raise Forbidden(_("only a signed-in user has notifications"))
        if not may_update_own(actor.scopes):
            raise Forbidden(_("this needs the write scope; this token is read-only"))
        return actor.user_id

    def mark_read(self, actor: Actor, notification_id: int) -> dict[str, Any]:
        """Mark one of one's own notifications read (again: no change). Another user's
        answers 404, as if it did not exist."""
        user_id = self._own(actor)
        s = self.uow.session
        notice = s.get(Notification, notification_id)
        if notice is None or notice.user_id != user_id:
            raise NotFound(_("notification {id} does not exist").format(id=notification_id))
        if notice.read_at is None:
            notice.read_at = self.uow.clock.now()
        return queries.as_dict(notice)

    def mark_all_read(self, actor: Actor) -> int:
        """Mark every unread notification of one's own read; how many were."""
        user_id = self._own(actor)
        done = self.uow.session.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=self.uow.clock.now())
        )
        return int(getattr(done, "rowcount", 0) or 0)

    def set_preferences(self, actor: Actor, *, notify_by: str, email: str | None) -> dict[str, Any]:
        """One's own choice: e-mail (which needs an address) or in-app only; audited."""
        user_id = self._own(actor)
        choice = parse_notify_by("notify_by", notify_by)
        address = check_email_address("email", email) if email and email.strip() else None
        check_preferences(choice, address)
        user = self.uow.session.get(UserAccount, user_id, with_for_update=True)
        if user is None:
            raise NotFound(_("no such user"))
        self._change(actor, user, choice, address)
        return queries.preferences_of(user)

    def set_email(self, actor: Actor, username: str, email: str | None) -> None:
        """Set or clear a user's address, for the platform's operator (the CLI); audited."""
        if not actor.system:
            raise Forbidden(_("only the platform's operator sets another user's address"))
        address = check_email_address("email", email) if email else None
        user = self.uow.session.scalar(
            select(UserAccount)
            .where(UserAccount.username == username.strip().lower())
            .with_for_update()
        )
        if user is None:
            raise NotFound(_("no user {name}").format(name=repr(username)))
        self._change(actor, user, NotifyBy(user.notify_by), address)

    def _change(
        self, actor: Actor, user: UserAccount, notify_by: NotifyBy, email: str | None
    ) -> None:
        before = {"notify_by": user.notify_by, "email": user.email}
        after = {"notify_by": notify_by.value, "email": email}
        if before == after:
            return
        user.notify_by, user.email = notify_by.value, email
        self.uow.audit(
            actor, self.uow.clock.now(), "user.notifications", "user", user.id, before, after
        )
