"""Rules of security guarantees (no I/O): the categories an instrument's yearly amounts are
stated in, when an instrument is in force (a termination notice is respected), the clauses an
obligation may have, conversion to EUR at a dated rate, and how much of a promise is kept."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from shieldwall.council.model import ProposalState
from shieldwall.kit.errors import InvalidInput, RuleViolation
from shieldwall.kit.i18n import format_number
from shieldwall.kit.i18n import gettext as _


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
        raise InvalidInput(
            field,
            _("{text!r} is not a category; use one of: {names}").format(text=text, names=names),
        ) from None


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
        raise InvalidInput("units_per_eur", _("a rate is a positive number"))
    return int((Decimal(amount_minor) / units_per_eur).quantize(Decimal(1), ROUND_HALF_EVEN))


def percent_fulfilled(delivered_cents: int, promised_cents: int) -> float | None:
    """Delivered as a share of the promise, in percent (may pass 100); None with no promise."""
    if promised_cents <= 0:
        return None
    return round(100 * delivered_cents / promised_cents, 1)


# ---- parsing what people type ----------------------------------------------------------------


def _choice(field: str, text: str, kind: type[StrEnum]) -> str:
    try:
        return str(kind(text.strip().lower()).value)
    except ValueError:
        names = ", ".join(c.value for c in kind)
        raise InvalidInput(
            field, _("{text!r} is not one of: {names}").format(text=text, names=names)
        ) from None


def trigger(field: str, text: str) -> Trigger:
    return Trigger(_choice(field, text, Trigger))


def obligation_action(field: str, text: str) -> ObligationAction:
    return ObligationAction(_choice(field, text, ObligationAction))


class StepKind(StrEnum):
    """A step on the partner's pathway to membership."""

    MILESTONE = "milestone"  # something done, e.g. interoperability reached
    CONDITION = "condition"  # something the allies set, e.g. reforms


class StepStatus(StrEnum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    MET = "met"


def step_kind(field: str, text: str) -> StepKind:
    return StepKind(_choice(field, text, StepKind))


def step_status(field: str, text: str) -> StepStatus:
    return StepStatus(_choice(field, text, StepStatus))


FIRST_YEAR, LAST_YEAR = 1900, 2199  # the platform's dates (kit.dates)
MAX_AMOUNT_MINOR = 10**17  # a thousand trillion units of any currency, in hundredths
MAX_WITHIN_HOURS = 24 * 366 * 2  # an obligation's deadline: at most two years
MAX_NOTICE_MONTHS = 120
MAX_DURATION_YEARS = 99
MAX_UNITS_PER_EUR = Decimal(10**12)  # Numeric(18, 6): twelve digits before the point


def year(field: str, value: int) -> int:
    if not FIRST_YEAR <= value <= LAST_YEAR:
        raise InvalidInput(
            field, _("give a year from {first} to {last}").format(first=FIRST_YEAR, last=LAST_YEAR)
        )
    return value


def currency(field: str, text: str) -> str:
    """An ISO 4217 code: three letters (``gbp`` is read as GBP)."""
    code = text.strip().upper()
    if len(code) != 3 or not (code.isascii() and code.isalpha()):
        raise InvalidInput(
            field,
            _("{text!r} is not a currency: give its ISO 4217 code, like GBP").format(text=text),
        )
    return code


def amount_minor(field: str, amount: Decimal) -> int:
    """An amount in a currency, as the text states it, in hundredths: positive, with at most
    two decimals."""
    if not amount.is_finite() or amount <= 0:
        raise InvalidInput(field, _("give a positive amount"))
    minor = amount * 100
    if minor != minor.to_integral_value():
        raise InvalidInput(field, _("give at most two decimals"))
    if minor > MAX_AMOUNT_MINOR:
        raise InvalidInput(
            field, _("at most {most} units").format(most=format_number(MAX_AMOUNT_MINOR // 100))
        )
    return int(minor)


def units_per_eur(field: str, rate: Decimal) -> Decimal:
    """A rate: how many units of a currency buy one euro; positive, at most six decimals."""
    if not rate.is_finite() or rate <= 0:
        raise InvalidInput(field, _("give a positive number of units to the euro"))
    if rate != rate.quantize(Decimal("0.000001"), ROUND_HALF_EVEN):
        raise InvalidInput(field, _("give at most six decimals"))
    if rate >= MAX_UNITS_PER_EUR:
        raise InvalidInput(
            field, _("must be below {most}").format(most=format_number(MAX_UNITS_PER_EUR))
        )
    return rate


def within_hours(field: str, hours: int) -> int:
    if not 1 <= hours <= MAX_WITHIN_HOURS:
        raise InvalidInput(
            field,
            _("give a number of hours from 1 to {most}").format(
                most=format_number(MAX_WITHIN_HOURS)
            ),
        )
    return hours


def notice_months(field: str, months: int | None) -> int | None:
    if months is not None and not 0 <= months <= MAX_NOTICE_MONTHS:
        raise InvalidInput(
            field, _("give a number of months from 0 to {most}").format(most=MAX_NOTICE_MONTHS)
        )
    return months


# ---- an instrument's term and its end --------------------------------------------------------


def valid_until(
    valid_from: dt.date, until: dt.date | None, duration_years: int | None
) -> dt.date | None:
    """The first day the instrument no longer binds by its term: as given, or ``duration_years``
    after ``valid_from`` (``term_end``); both given must agree. None: open-ended."""
    if duration_years is not None and not 1 <= duration_years <= MAX_DURATION_YEARS:
        raise InvalidInput(
            "duration_years",
            _("give a number of years from 1 to {most}").format(most=MAX_DURATION_YEARS),
        )
    end = term_end(valid_from, duration_years)
    if until is not None and end is not None and until != end:
        raise InvalidInput(
            "valid_until",
            _("{until} differs from {years} years after {valid_from} ({end}): give one").format(
                until=until, years=duration_years, valid_from=valid_from, end=end
            ),
        )
    end = until or end
    if end is not None and end <= valid_from:
        raise InvalidInput(
            "valid_until",
            _("must come after valid_from ({valid_from})").format(valid_from=valid_from),
        )
    return end


def require_notice_may_be_given(
    given_on: dt.date,
    *,
    signed_on: dt.date,
    today: dt.date,
    already_given_on: dt.date | None,
    term_ends_on: dt.date | None,
) -> None:
    """A termination notice is given once, on a day from the signing to today, while the
    instrument's term still runs."""
    if already_given_on is not None:
        raise RuleViolation(
            _("notice was already given on {day}").format(day=already_given_on),
            rule="a termination notice is given once",
        )
    if given_on < signed_on:
        raise InvalidInput(
            "given_on",
            _("{given_on} is before the signing ({signed_on})").format(
                given_on=given_on, signed_on=signed_on
            ),
        )
    if given_on > today:
        raise InvalidInput("given_on", _("{given_on} is in the future").format(given_on=given_on))
    if term_ends_on is not None and given_on >= term_ends_on:
        raise RuleViolation(
            _("the instrument's term ended on {day}").format(day=term_ends_on),
            rule="notice is given while the instrument binds",
        )


# ---- shares --------------------------------------------------------------------------------


def share_percent(part_cents: int, total_cents: int) -> float | None:
    """``part`` as a share of ``total``, in percent to one decimal; None with no total."""
    if total_cents <= 0:
        return None
    return round(100 * part_cents / total_cents, 1)


def share_of_gdp(cents: int, gdp_eur_billion: Decimal | None) -> Decimal | None:
    """A sum in euro cents as a share of a GDP in EUR billion, in percent, unrounded (Kiel's
    ``pct_gdp`` basis: total / gdp × 100); None where there is no GDP (the EU's), never 0."""
    if gdp_eur_billion is None or gdp_eur_billion <= 0:
        return None
    return Decimal(cents) / (gdp_eur_billion * 10**11) * 100


def percent_of_gdp(cents: int, gdp_eur_billion: Decimal | None) -> float | None:
    """``share_of_gdp`` in percent to three decimals (half to even), as pages show it."""
    share = share_of_gdp(cents, gdp_eur_billion)
    if share is None:
        return None
    return float(share.quantize(Decimal("0.001"), ROUND_HALF_EVEN))


def question_may_be_tabled(current_state: str | None) -> bool:
    """A pathway step takes the invitation question once; again only after it was withdrawn."""
    return current_state is None or current_state == ProposalState.WITHDRAWN
