"""Dates and instants from outside: one supported range, 1900-01-01 to 2199-12-31.

Every date or date-time the platform is given — in an API body, a query filter, a page form or
on the command line — lies in this range, or is refused with 422 naming the field. Far enough
for any partnership's history and plans; near enough that converting an instant with any UTC
offset never leaves what Python and both databases can hold (years 1 and 9999 are at the
edge of Python's ``datetime``: an offset pushes them over).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.i18n import gettext as _

FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)
RANGE = f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"
# Months (YYYY-MM) in the same range, as a pattern for query parameters.
MONTH_PATTERN = r"^(19\d\d|2[01]\d\d)-(0[1-9]|1[0-2])$"
_ISO_INSTANT = re.compile(
    r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$"
)


def out_of_range(day: dt.date) -> str | None:
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return _("{day} is outside the supported dates, {first} to {last}").format(
        day=day.isoformat(), first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()
    )


def check_day(field: str, day: dt.date) -> dt.date:
    problem = out_of_range(day)
    if problem is not None:
        raise InvalidInput(field, problem)
    return day


def parse_day(field: str, text: str) -> dt.date:
    """A date typed in a form or given to the CLI: YYYY-MM-DD within the supported range."""
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(field, _("give a date as YYYY-MM-DD")) from None
    return check_day(field, day)


def parse_instant(field: str, text: str) -> dt.datetime:
    """An ISO 8601 date or date-time (UTC unless it has an offset), as an aware instant within
    the supported range. The offset as written is kept: the range is a range of dates as
    written, and the database layer converts to UTC when it stores or compares."""
    if not _ISO_INSTANT.match(text):
        raise InvalidInput(field, _("give an ISO 8601 date or date-time, like 2024-03-01T12:00Z"))
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            field, _("{text} is not a date and time that exists").format(text=text)
        ) from None
    check_day(field, value.date())
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def instant_out_of_range(at: dt.datetime) -> str | None:
    """Why an instant cannot be used, or None. Checked on the date as written, before any
    conversion to UTC can overflow."""
    return out_of_range(at.date())


def _iso_date_only(value: object) -> object:
    # Pydantic would read a number as seconds since 1970: a date must be written as one.
    if not isinstance(value, str | dt.date):
        raise ValueError(_("give a date as YYYY-MM-DD"))
    return value


def _in_range(day: dt.date) -> dt.date:
    problem = out_of_range(day)
    if problem is not None:
        raise PydanticCustomError("date_range", problem)
    return day


# A date in an API body: written as YYYY-MM-DD, within the supported range.
IsoDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date_only),
    AfterValidator(_in_range),
    WithJsonSchema({"type": "string", "format": "date", "description": f"YYYY-MM-DD, {RANGE}"}),
]


def _instant(value: object) -> dt.datetime:
    # A string in ISO 8601, as ``parse_instant`` reads it; a number is not an instant.
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    if not isinstance(value, str):
        raise PydanticCustomError(
            "instant", _("give an ISO 8601 date-time, like 2024-03-01T12:00Z")
        )
    try:
        return parse_instant("instant", value)
    except InvalidInput as exc:
        raise PydanticCustomError("instant", str(exc.extra["errors"][0]["message"])) from None


# An instant in an API body: ISO 8601, UTC unless an offset is given, within the supported range.
Instant = Annotated[
    dt.datetime,
    PlainValidator(_instant),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": f"ISO 8601, UTC unless an offset is given; {RANGE}",
        }
    ),
]
