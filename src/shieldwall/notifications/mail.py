"""Delivering the outbox by SMTP: claim what is due, send it, record what happened.

Three steps, none holding a transaction open while the network is used:

1. claim: in one unit of work, the due rows are leased (``kit.scheduling.leased``: FOR UPDATE
   SKIP LOCKED on PostgreSQL, the write lock on SQLite) and marked ``leased_until`` = now +
   lease, so another worker passes over them until the lease ends;
2. send each through SMTP, outside any transaction;
3. record each in a unit of work of its own: sent, or one more failed attempt with the next
   one later (``model.retry_delay``). A failed mail is never dropped.

A worker that dies between 2 and 3 leaves a sent mail unrecorded: after the lease it is sent
again with the same Message-ID, which a receiver may use to drop the copy (at-least-once, the
best SMTP allows). Every "now" is the platform's clock.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

from sqlalchemy import or_, select, update

from shieldwall.kit.scheduling import leased
from shieldwall.kit.settings import Settings
from shieldwall.kit.uow import Platform
from shieldwall.notifications.model import retry_delay
from shieldwall.notifications.tables import OutboxMail

log = logging.getLogger("shieldwall.mail")

DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}
MAX_ERROR = 500  # characters of a failure's message kept on the row


class Sender(Protocol):
    """Whatever hands a message to a mail server; raises when it was not accepted."""

    @property
    def from_address(self) -> str: ...

    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpSender:
    """An SMTP server: plain, STARTTLS or TLS from the first byte, with a login if given.
    One connection per message: a failure leaves nothing half-open for the next."""

    host: str
    port: int
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    from_address: str = "shieldwall@localhost"
    timeout: float = 10.0

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp = (
            smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            if self.security == "tls"
            else smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        )
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def smtp_sender(settings: Settings) -> SmtpSender | None:
    """The SMTP server the settings name; None when no host is configured."""
    if not settings.smtp_host:
        return None
    return SmtpSender(
        host=settings.smtp_host,
        port=settings.smtp_port or DEFAULT_PORTS[settings.smtp_security],
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        from_address=settings.mail_from,
        timeout=settings.smtp_timeout_seconds,
    )


@dataclass(frozen=True)
class Claimed:
    """A leased outbox row, as read when it was claimed."""

    id: int
    to_address: str
    subject: str
    body: str
    created_at: dt.datetime
    message_id: str
    attempts: int
    leased_until: dt.datetime


@dataclass(frozen=True)
class Delivery:
    """What one delivery run did. ``no_server``: no SMTP host, so nothing was tried."""

    sent: int = 0
    failed: int = 0
    no_server: bool = False


def claim_due(platform: Platform, limit: int) -> list[Claimed]:
    """Lease up to ``limit`` due mails, oldest due first, in one unit of work."""
    with platform.unit_of_work() as uow:
        now = uow.clock.now()
        until = now + dt.timedelta(seconds=uow.settings.mail_lease_seconds)
        rows = uow.session.scalars(
            leased(
                select(OutboxMail)
                .where(
                    OutboxMail.sent_at.is_(None),
                    OutboxMail.next_attempt_at <= now,
                    or_(OutboxMail.leased_until.is_(None), OutboxMail.leased_until <= now),
                )
                .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
                .limit(limit)
            )
        ).all()
        for row in rows:
            row.leased_until = until
        return [
            Claimed(
                r.id, r.to_address, r.subject, r.body, r.created_at, r.message_id, r.attempts, until
            )
            for r in rows
        ]


def compose(mail: Claimed, from_address: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    message.set_content(mail.body)
    return message


def _record_sent(platform: Platform, mail: Claimed) -> None:
    with platform.unit_of_work() as uow:
        uow.session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail.id, OutboxMail.sent_at.is_(None))
            .values(sent_at=uow.clock.now(), leased_until=None, last_error=None)
        )


def _record_failure(platform: Platform, mail: Claimed, error: Exception) -> None:
    attempts = mail.attempts + 1
    with platform.unit_of_work() as uow:
        uow.session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail.id, OutboxMail.sent_at.is_(None))
            .values(
                attempts=attempts,
                next_attempt_at=uow.clock.now() + retry_delay(attempts),
                leased_until=None,
                last_error=f"{type(error).__name__}: {error}"[:MAX_ERROR],
            )
        )


def send_claimed(platform: Platform, sender: Sender, mails: list[Claimed]) -> Delivery:
    sent = failed = 0
    for mail in mails:
        if platform.clock.now() >= mail.leased_until:
            break  # the lease ran out: another worker may hold these now; leave them to it
        try:
            sender.send(compose(mail, sender.from_address))
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("mail %s to %s not sent: %s", mail.message_id, mail.to_address, exc)
            _record_failure(platform, mail, exc)
            failed += 1
            continue
        _record_sent(platform, mail)
        sent += 1
    return Delivery(sent, failed)


def deliver(platform: Platform, sender: Sender | None = None) -> Delivery:
    """Send every mail that is due, batch by batch, until none is left; with no sender given,
    the SMTP server of the settings. Without one, nothing is claimed: the mail stays pending
    until a host is configured."""
    sender = sender or smtp_sender(platform.settings)
    if sender is None:
        log.info("no SMTP host configured (SHIELDWALL_SMTP_HOST): mail is kept pending")
        return Delivery(no_server=True)
    sent = failed = 0
    while True:
        batch = claim_due(platform, platform.settings.mail_batch_size)
        if not batch:
            return Delivery(sent, failed)
        done = send_claimed(platform, sender, batch)
        sent, failed = sent + done.sent, failed + done.failed
        if done.sent + done.failed < len(batch):
            return Delivery(sent, failed)  # a lease ran out: the rest is for the next run


def deliver_due(platform: Platform, sender: Sender | None = None) -> int:
    """Send the mail that is due (see ``deliver``); how many were sent."""
    return deliver(platform, sender).sent
