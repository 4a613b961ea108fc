"""Deadlines in words, relative to the platform's clock: "overdue by 2 days", "due in 3 days",
"due in 5 hours", "due today" — and an instrument's end or a notice's effect, "in 3 months",
"2 days ago". The pages of the guarantees and of the obligations show them beside the date,
so that a reader sees at a glance what is late and what is close, in the viewer's language.

A deadline that is a moment (an obligation's clock) counts in hours below two days; one that is
a day (a pathway step, an instrument's end) counts in days from the viewer's today.
"""

from __future__ import annotations

import datetime as dt

from shieldwall.kit.i18n import format_number, ngettext
from shieldwall.kit.i18n import gettext as _

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _days(n: int) -> str:
    return ngettext("{num} day", "{num} days", n).format(num=format_number(n))


def _hours(n: int) -> str:
    return ngettext("{num} hour", "{num} hours", n).format(num=format_number(n))


def _span(length: dt.timedelta) -> str:
    """A positive length in its largest whole unit: days from two days on, else hours (at
    least one, so that a deadline minutes away still reads "1 hour")."""
    if length >= 2 * DAY:
        return _days(length // DAY)
    return _hours(max(1, length // HOUR))


def _as_day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def deadline(due: dt.date | dt.datetime | None, now: dt.datetime) -> str:
    """How a deadline stands at ``now``: overdue (by how long) or due in how long; "" for none.

    A moment is late from the moment itself; a day is late from the day after it."""
    if due is None:
        return ""
    if isinstance(due, dt.datetime):
        if due.tzinfo is None:
            due = due.replace(tzinfo=dt.UTC)
        if due <= now:
            return _("overdue by {span}").format(span=_span(now - due))
        return _("due in {span}").format(span=_span(due - now))
    days = (due - now.date()).days
    if days < 0:
        return _("overdue by {span}").format(span=_days(-days))
    if days == 0:
        return _("due today")
    return _("due in {span}").format(span=_days(days))


def is_overdue(due: dt.date | dt.datetime | None, now: dt.datetime) -> bool:
    if due is None:
        return False
    if isinstance(due, dt.datetime):
        return (due if due.tzinfo else due.replace(tzinfo=dt.UTC)) <= now
    return due < now.date()


def relative_day(day: dt.date | dt.datetime | None, today: dt.date) -> str:
    """A day relative to ``today`` — an instrument's end, a notice's effect: "in 3 days",
    "in 14 months", "in 9 years", "today", "5 days ago" — in the largest unit that is whole
    enough to read (days up to two months, months up to two years, then years)."""
    if day is None:
        return ""
    days = (_as_day(day) - today).days
    if days == 0:
        return _("today")
    n = abs(days)
    if n <= 60:
        span = _days(n)
    elif n <= 730:
        months = round(n / 30.44)
        span = ngettext("{num} month", "{num} months", months).format(num=format_number(months))
    else:
        years = round(n / 365.25)
        span = ngettext("{num} year", "{num} years", years).format(num=format_number(years))
    return _("in {span}").format(span=span) if days > 0 else _("{span} ago").format(span=span)
