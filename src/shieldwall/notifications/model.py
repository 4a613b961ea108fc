"""The rules of notifications (no I/O): who gets mail, how an address must look, how long a
failed send waits before the next try, and the Message-ID a mail keeps across every retry."""

from __future__ import annotations

import datetime as dt
import string
from enum import StrEnum

from shieldwall.access.model import Scope
from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.i18n import gettext


class NotifyBy(StrEnum):
    EMAIL = "email"  # by e-mail, and in the app
    IN_APP = "in-app"  # in the app only


# The first retry waits a minute; each further one twice as long as the one before, up to an
# hour: a receiving server that is down for a day is tried hourly, and nothing is dropped.
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_RETRY = dt.timedelta(hours=1)


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed send before trying again:
    1, 2, 4, 8, 16, 32 minutes, then an hour each time."""
    if attempts < 1:
        return dt.timedelta(0)
    doublings = min(attempts - 1, 6)  # 2**6 minutes already passes the cap: no huge powers
    return min(FIRST_RETRY * (1 << doublings), LONGEST_RETRY)


def who_gets_mail(notify_by: str, email: str | None) -> bool:
    """A user is mailed when they chose e-mail and have an address; everyone, whatever they
    chose, sees the notification in the app."""
    return notify_by == NotifyBy.EMAIL and bool(email)


# What a mailbox (local part) may hold: RFC 5322's dot-atom characters, no quoting.
_LOCAL = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~.")
_LABEL = frozenset(string.ascii_letters + string.digits + "-")
MAX_ADDRESS = 254  # RFC 5321's limit on a forward path, less its angle brackets


def check_email_address(field: str, text: str) -> str:
    """An address mail can be sent to: ``local@domain.tld``, one line, no quoting, no
    comments, no display name (what an address header could be abused with). The domain is
    given in lower case."""
    address = text.strip()
    if not address:
        raise InvalidInput(field, gettext("give an e-mail address, like name@example.org"))
    if len(address) > MAX_ADDRESS:
        raise InvalidInput(
            field, gettext("an e-mail address has at most {n} characters").format(n=MAX_ADDRESS)
        )
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise InvalidInput(field, gettext("give an e-mail address, like name@example.org"))
    if len(local) > 64 or not set(local) <= _LOCAL or ".." in local:
        raise InvalidInput(
            field, gettext("the part before @ holds a character an address may not hold")
        )
    if local.startswith(".") or local.endswith("."):
        raise InvalidInput(field, gettext("the part before @ may not start or end with a dot"))
    labels = domain.split(".")
    if len(labels) < 2 or not all(_good_label(label) for label in labels):
        raise InvalidInput(field, gettext("the domain after @ must be a name like example.org"))
    return f"{local}@{domain.lower()}"


def _good_label(label: str) -> bool:
    return (
        0 < len(label) <= 63
        and set(label) <= _LABEL
        and not label.startswith("-")
        and not label.endswith("-")
    )


def parse_notify_by(field: str, text: str) -> NotifyBy:
    try:
        return NotifyBy(text)
    except ValueError:
        raise InvalidInput(field, gettext("use email or in-app")) from None


def check_preferences(notify_by: NotifyBy, email: str | None) -> None:
    """Choosing e-mail needs an address to send it to."""
    if notify_by == NotifyBy.EMAIL and not email:
        raise InvalidInput(
            "email", gettext("give an address to be notified by e-mail, or choose in-app")
        )


def may_update_own(scopes: frozenset[Scope]) -> bool:
    """Marking one's notifications read and setting one's preferences changes something:
    it needs the write scope. Any role may, viewers too: it is their own inbox."""
    return Scope.WRITE in scopes


def message_id(notification_id: int, created_at: dt.datetime, sender: str) -> str:
    """The Message-ID of a notification's mail: the same at every retry, so a receiver that
    got it twice (a worker crashed after sending, before recording it) can drop the second.
    The instant tells apart two databases whose ids start alike; the sender's domain places
    it in the world."""
    _local, at, domain = sender.rpartition("@")
    domain = domain if at and domain else "localhost"
    stamp = created_at.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
    return f"<notification-{notification_id}.{stamp}@{domain}>"


def absolute_link(base_url: str, link: str) -> str:
    """A link made absolute for a mail; as it is when no base is configured or it already
    is absolute."""
    if not base_url or "://" in link:
        return link
    return base_url.rstrip("/") + "/" + link.lstrip("/")


def mail_body(body: str, url: str, preferences_url: str) -> str:
    """A notice's mail: its text, the link to open it and a footer saying why it came and
    where to change that — written in the language of the moment (the recipient's)."""
    parts = [body]
    if url:
        parts.append(gettext("Open it: {url}").format(url=url))
    footer = gettext(
        "Shieldwall sends you this because you chose to be notified by e-mail. "
        "To change that: {url}"
    ).format(url=preferences_url)
    parts.append(f"-- \n{footer}")  # "-- " and a line break: the usual signature separator
    return "\n\n".join(parts) + "\n"
