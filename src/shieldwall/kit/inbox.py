"""One line of a delegation's "needs you now" list, as each feature reports what waits for it.

Features say what waits (``assistance.queries``, ``council.queries``); the reports layer merges
their lines into one list, most urgent first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.i18n import ngettext


@dataclass(frozen=True)
class Waiting:
    """Something that waits for a delegation: what it is, what to do, by when, and where."""

    kind: str  # e.g. "proposal awaiting your position", "delivery to confirm"
    title: str  # names the record in the domain's words (member, item, meeting)
    action: str  # what the delegation is to do, e.g. "state your position"
    link: str  # the page where it is done
    record_type: str
    record_id: int
    due_at: dt.datetime | None = None  # the deadline, if there is one
    since: dt.datetime | None = None  # when it started waiting

    def time_left(self, now: dt.datetime) -> dt.timedelta | None:
        """Negative once the deadline has passed; None without a deadline."""
        return None if self.due_at is None else self.due_at - now


def is_overdue(due_at: dt.datetime | None, now: dt.datetime) -> bool:
    """A deadline is missed once its instant has passed; at the instant itself it is still met."""
    return due_at is not None and now > due_at


_Instant = tuple[bool, dt.datetime] | tuple[bool]


def most_urgent_first(lines: Iterable[Waiting]) -> list[Waiting]:
    """The list in the order to work through it: lines with a deadline before those without;
    among them the earliest deadline first, so that the overdue come first (their deadlines
    have passed), the longest overdue at the top; then, as a tie-break and among lines without
    a deadline, what has waited longest (lines that do not say since when go last)."""

    def key(w: Waiting) -> tuple[_Instant, _Instant, str, int, str]:
        # (False, instant) sorts before (True,): lines that say an instant before those that don't
        deadline = (False, w.due_at) if w.due_at is not None else (True,)
        waited = (False, w.since) if w.since is not None else (True,)
        return (deadline, waited, w.record_type, w.record_id, w.kind)

    return sorted(lines, key=key)


_MINUTE = dt.timedelta(minutes=1)
_HOUR = dt.timedelta(hours=1)
_DAY = dt.timedelta(days=1)


def _span(length: dt.timedelta) -> tuple[str, int]:
    """A length of time in its largest whole unit, rounded down: ("day", 2), ("h", 3),
    ("min", 5)."""
    if length >= _DAY:
        return "day", length // _DAY
    if length >= _HOUR:
        return "h", length // _HOUR
    return "min", length // _MINUTE


def _due_in(length: dt.timedelta) -> str:
    unit, n = _span(length)
    if unit == "day":
        return ngettext("due in {count} day", "due in {count} days", n).format(count=n)
    if unit == "h":
        return _("{count} h left").format(count=n)
    return _("{count} min left").format(count=n)


def _overdue_by(length: dt.timedelta) -> str:
    unit, n = _span(length)
    if unit == "day":
        return ngettext("overdue by {count} day", "overdue by {count} days", n).format(count=n)
    if unit == "h":
        return _("overdue by {count} h").format(count=n)
    return _("overdue by {count} min").format(count=n)


def time_left_text(due_at: dt.datetime | None, now: dt.datetime) -> str | None:
    """How the time to a deadline reads, in the language of the exchange: "due in 5 days",
    "3 h left", "overdue by 2 days"; None without a deadline. Rounded down, so it never
    promises more time than is left."""
    if due_at is None:
        return None
    left = due_at - now
    if is_overdue(due_at, now):
        late = -left
        return _("overdue by less than a minute") if late < _MINUTE else _overdue_by(late)
    if left >= _DAY:
        return _due_in(left)
    if left < _MINUTE:
        return _("less than a minute left")
    return _due_in(left)


def days_left_text(due_on: dt.date | None, today: dt.date) -> str | None:
    """How the time to a day's deadline reads, counted in whole days, in the language of the
    exchange: "due today", "due in 3 days", "overdue by 2 days" (a day is missed once it has
    passed); None without a deadline."""
    if due_on is None:
        return None
    days = (due_on - today).days
    if days == 0:
        return _("due today")
    if days > 0:
        return ngettext("due in {count} day", "due in {count} days", days).format(count=days)
    late = -days
    return ngettext("overdue by {count} day", "overdue by {count} days", late).format(count=late)
