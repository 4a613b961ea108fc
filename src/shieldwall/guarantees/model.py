"""Rules of security guarantees (no I/O): the categories an instrument's yearly amounts are
stated in, when an instrument is in force (a termination notice is respected), the clauses an
obligation may have, conversion to EUR at a dated rate, and how much of a promise is kept."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from shieldwall.kit.errors import InvalidInput


class Category(StrEnum):
    """What a yearly amount is for, as the agreements of 2024 group their support."""

    AIR_DEFENCE = "air defence"
    ARTILLERY = "artillery and long-range fires"
    ARMOUR = "armour"
    COMBAT_AIR = "combat air"
    MARITIME = "maritime"
    DRONES = "drones"
    TRAINING = "training"
    DEFENCE_INDUSTRY = "defence industry"
    CYBER = "cyber"
    INTELLIGENCE = "intelligence"
    FINANCIAL = "financial"
    ENERGY_RECONSTRUCTION = "energy and reconstruction"
    # An amount the text states for the year without splitting it by category.
    UNALLOCATED = "not broken down"


class Trigger(StrEnum):
    """What starts an obligation's clock."""

    ARMED_ATTACK = "armed attack"
    THREAT_OF_ATTACK = "threat of attack"
    YEAR_END = "year end"


class ObligationAction(StrEnum):
    """What the member must do once triggered."""

    CONSULT = "consult"
    REPORT = "report"


# Triggers a delegation declares; a year end is declared by the calendar (the scheduler).
DECLARED_TRIGGERS = frozenset({Trigger.ARMED_ATTACK, Trigger.THREAT_OF_ATTACK})


def category(field: str, text: str) -> Category:
    try:
        return Category(text.strip().lower())
    except ValueError:
        names = ", ".join(c.value for c in Category)
        raise InvalidInput(field, f"{text!r} is not a category; use one of: {names}") from None


def add_months(on: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day where it has fewer days)."""
    index = on.month - 1 + months
    year, month = on.year + index // 12, index % 12 + 1
    return on.replace(year=year, month=month, day=min(on.day, calendar.monthrange(year, month)[1]))


def notice_takes_effect(notice_given_on: dt.date, notice_months: int | None) -> dt.date:
    """The day a termination notice ends the instrument: the notice period after it was
    given (at once when the instrument sets no period)."""
    return add_months(notice_given_on, notice_months or 0)


def ends_on(
    valid_until: dt.date | None,
    notice_given_on: dt.date | None,
    notice_months: int | None,
) -> dt.date | None:
    """The first day the instrument no longer binds: its term's end, or the day a
    termination notice takes effect, whichever comes first; None while open-ended."""
    ends = [d for d in (valid_until,) if d is not None]
    if notice_given_on is not None:
        ends.append(notice_takes_effect(notice_given_on, notice_months))
    return min(ends) if ends else None


def in_force(
    on: dt.date,
    valid_from: dt.date,
    valid_until: dt.date | None,
    notice_given_on: dt.date | None = None,
    notice_months: int | None = None,
) -> bool:
    """The instrument binds on ``on``: it has started and has not yet ended. A termination
    notice does not end it before its notice period has run."""
    end = ends_on(valid_until, notice_given_on, notice_months)
    return valid_from <= on and (end is None or on < end)


def term_end(valid_from: dt.date, duration_years: int | None) -> dt.date | None:
    """Where a text gives a term in years from ``valid_from``, the first day after it."""
    return None if duration_years is None else add_months(valid_from, 12 * duration_years)


def to_eur_cents(amount_minor: int, units_per_eur: Decimal) -> int:
    """An amount in hundredths of a currency, in euro cents at a rate of ``units_per_eur``
    units to the euro; rounded half to even, to the cent."""
    if units_per_eur <= 0:
        raise InvalidInput("units_per_eur", "a rate is a positive number")
    return int((Decimal(amount_minor) / units_per_eur).quantize(Decimal(1), ROUND_HALF_EVEN))


def percent_fulfilled(delivered_cents: int, promised_cents: int) -> float | None:
    """Delivered as a share of the promise, in percent (may pass 100); None with no promise."""
    if promised_cents <= 0:
        return None
    return round(100 * delivered_cents / promised_cents, 1)
