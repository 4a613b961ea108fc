"""Rules of obligation clocks (no I/O): which obligations a declared event opens, when each is
due, when a crisis consultation meets a clock, and how a due item moves from open to met or
overdue. Each rule is a function named after it; the service calls them, the scheduler and the
pages ask them, the tests hold them to hand-written answers.

A due item is **open** until its deadline; it is **met** when the member did what the
obligation says in time, and **overdue** once the deadline passes unmet. An overdue item may
still be met late: its stored state stays ``overdue`` (a deadline once missed stays missed, and
counts so in compliance), its ``met_at`` and evidence are recorded, and it reads **met late**.
A duty met by its deadline reads met even when the record of it came later (the chair records
a consultation held in time after the scheduler marked the item overdue). An item met is
final.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from shieldwall.guarantees.model import DECLARED_TRIGGERS, ObligationAction, Trigger, in_force
from shieldwall.kit.errors import IllegalTransition, InvalidInput
from shieldwall.kit.i18n import N_, format_number
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.text import check_text


class DueState(StrEnum):
    """What the database holds."""

    OPEN = "open"
    MET = "met"
    OVERDUE = "overdue"


class Standing(StrEnum):
    """How a due item reads: its state, and for an overdue one whether it was met late."""

    OPEN = "open"
    MET = "met"
    OVERDUE = "overdue"
    MET_LATE = "met late"


class DueStep(StrEnum):
    MEET = "record as met"
    MARK_OVERDUE = "mark overdue"


def standing(state: DueState, met_at: dt.datetime | None) -> Standing:
    """An overdue item with a ``met_at`` was met late; every other state reads as it is."""
    if state == DueState.OVERDUE and met_at is not None:
        return Standing.MET_LATE
    return Standing(state.value)


# From which standings each step may be taken: a duty is met while open or overdue (late, or
# in time if the record of it came after the deadline); only an open item becomes overdue.
STEPS_FROM: dict[DueStep, frozenset[Standing]] = {
    DueStep.MEET: frozenset({Standing.OPEN, Standing.OVERDUE}),
    DueStep.MARK_OVERDUE: frozenset({Standing.OPEN}),
}

# The state stored for each standing (met late is kept overdue).
STORED: dict[Standing, DueState] = {
    Standing.OPEN: DueState.OPEN,
    Standing.MET: DueState.MET,
    Standing.OVERDUE: DueState.OVERDUE,
    Standing.MET_LATE: DueState.OVERDUE,
}


def require_step(current: Standing, step: DueStep, item: str) -> None:
    """IllegalTransition, naming the item, its standing and the step, unless it is allowed."""
    if current not in STEPS_FROM[step]:
        raise IllegalTransition(item, current.value, step.value)


def met(current: Standing, met_at: dt.datetime, due_at: dt.datetime, item: str) -> Standing:
    """A duty met at ``met_at``: met if by its deadline — also when the record of it came
    after the item was marked overdue — and met late after it. An item met is final."""
    require_step(current, DueStep.MEET, item)
    return Standing.MET if met_at <= due_at else Standing.MET_LATE


def overdue(current: Standing, item: str) -> Standing:
    """An open item whose deadline passed unmet becomes overdue."""
    require_step(current, DueStep.MARK_OVERDUE, item)
    return Standing.OVERDUE


def deadline_passed(due_at: dt.datetime, now: dt.datetime) -> bool:
    """A deadline is missed once its instant has passed; at the instant itself it is still met."""
    return now > due_at


def due_at(occurred_at: dt.datetime, within_hours: int) -> dt.datetime:
    """An obligation's deadline: ``within_hours`` after the event that opened it."""
    return occurred_at + dt.timedelta(hours=within_hours)


def consultation_met(held_at: dt.datetime, due_at: dt.datetime, attended: bool) -> bool:
    """A duty to consult is met when the member's delegation attended the crisis consultation
    and it was held by the deadline (at the deadline itself is in time)."""
    return attended and held_at <= due_at


# ---- what an event opens -----------------------------------------------------------------------


def declared_kind(field: str, text: str) -> Trigger:
    """A kind of event a delegation declares; a year end is declared by the calendar."""
    wanted = text.strip().lower()
    kind = next((k for k in DECLARED_TRIGGERS if k.value == wanted), None)
    if kind is None:
        names = ", ".join(sorted(t.value for t in DECLARED_TRIGGERS))
        raise InvalidInput(
            field,
            _("use one of {names} (a year end is declared by the calendar)").format(names=names),
        )
    return kind


def matches(kind: Trigger, obligation_trigger: str) -> bool:
    """A declared event opens the obligations written for that kind of event, and only those."""
    return kind in DECLARED_TRIGGERS and obligation_trigger == kind.value


def occurred_on(occurred_at: dt.datetime) -> dt.date:
    """The day an event occurred, as the platform counts days: in UTC."""
    return occurred_at.astimezone(dt.UTC).date()


def opens(
    kind: Trigger,
    obligation_trigger: str,
    *,
    with_partner: bool,
    on: dt.date,
    valid_from: dt.date,
    valid_until: dt.date | None,
    notice_given_on: dt.date | None = None,
    notice_months: int | None = None,
) -> bool:
    """An event opens an obligation when it is of the obligation's kind, its instrument is
    with the partner concerned, and the instrument is in force on the day the event occurred
    (a termination notice that has taken effect ends it; one still running does not)."""
    return (
        with_partner
        and matches(kind, obligation_trigger)
        and in_force(on, valid_from, valid_until, notice_given_on, notice_months)
    )


# A declaration is news of an event, not its history: one older than this is refused.
LONGEST_DELAY = dt.timedelta(days=30)


def check_occurred_at(
    occurred_at: dt.datetime, now: dt.datetime, partner_joined_on: dt.date | None
) -> None:
    """An event is declared once it has happened: not in the future; within ``LONGEST_DELAY``
    of the declaration (its clocks would have run out unseen); and not before the partner sat
    in the council (its instruments and clocks begin there)."""
    if occurred_at.tzinfo is None:
        raise InvalidInput("occurred_at", _("give the time zone (or Z for UTC) with the time"))
    if occurred_at > now:
        raise InvalidInput(
            "occurred_at", _("an event is declared once it has happened, not before")
        )
    if now - occurred_at > LONGEST_DELAY:
        raise InvalidInput(
            "occurred_at",
            _("an event is declared within {days} days of when it occurred").format(
                days=LONGEST_DELAY.days
            ),
        )
    if partner_joined_on is not None and occurred_on(occurred_at) < partner_joined_on:
        raise InvalidInput(
            "occurred_at",
            _("the partner has sat in the council only since {day}").format(
                day=partner_joined_on.isoformat()
            ),
        )


def check_description(text: str) -> str:
    """What happened, in words: required; several lines allowed (``kit.text``)."""
    return _required_text("description", text, N_("say what happened"))


def check_evidence(text: str) -> str:
    """How a duty was met, in words: required; several lines allowed (``kit.text``)."""
    return _required_text("evidence", text, N_("say how the obligation was met"))


LONGEST_TEXT = 5000


def _required_text(field: str, text: str, missing: str) -> str:
    check_text(field, text, multiline=True)
    if not text.strip():
        raise InvalidInput(field, _(missing))
    if len(text.strip()) > LONGEST_TEXT:
        raise InvalidInput(
            field, _("at most {num} characters").format(num=format_number(LONGEST_TEXT))
        )
    return text.strip()


# The longest time limit the council sets a crisis consultation (a year).
LONGEST_HOLD = dt.timedelta(days=365)


def hold_within(
    deadlines: list[dt.datetime], now: dt.datetime, default_hours: float
) -> dt.timedelta:
    """How soon the crisis consultation an event convenes must be held: by the earliest duty
    to consult it opened (so that meeting that duty is possible), at least a minute; the
    council's own time limit when it opened no duty to consult, or the earliest has passed;
    never longer than the council allows (a year)."""
    ahead = [d - now for d in deadlines if d > now]
    if not ahead:
        return dt.timedelta(hours=default_hours)
    return min(max(min(ahead), dt.timedelta(minutes=1)), LONGEST_HOLD)


# ---- year ends -------------------------------------------------------------------------------


def year_end_opens(year: int) -> dt.datetime:
    """A year's report obligations open when it ends: 1 January of the next year, 00:00 UTC."""
    return dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)


def in_force_during(
    year: int,
    valid_from: dt.date,
    valid_until: dt.date | None,
    notice_given_on: dt.date | None = None,
    notice_months: int | None = None,
) -> bool:
    """The instrument bound on at least one day of ``year``: it started by 31 December and
    had not ended by 1 January (its end is the first day it no longer binds)."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    start = max(first, valid_from)
    return start <= last and in_force(
        start, valid_from, valid_until, notice_given_on, notice_months
    )


def years_to_report(
    valid_from: dt.date,
    valid_until: dt.date | None,
    notice_given_on: dt.date | None,
    notice_months: int | None,
    now: dt.datetime,
) -> list[int]:
    """The years whose year-end obligations have opened by ``now`` (every year that has ended,
    so each opens on 1 January after it) in which the instrument was in force at some time."""
    return [
        year
        for year in range(valid_from.year, now.astimezone(dt.UTC).year)
        if in_force_during(year, valid_from, valid_until, notice_given_on, notice_months)
    ]


# ---- in words --------------------------------------------------------------------------------


def duty(action: ObligationAction, period_year: int | None) -> str:
    """What the obligation asks of the member, as a line of "Needs you now" begins."""
    if action == ObligationAction.CONSULT:
        return _("Consult the partner: attend the crisis consultation")
    if period_year is not None:
        return _("Report on implementation for {year}").format(year=period_year)
    return _("Report on implementation")


def in_sentence(text: str) -> str:
    """A duty as it reads inside a sentence: its first letter in lower case."""
    return text[:1].lower() + text[1:]


def utc_text(at: dt.datetime) -> str:
    """An instant as the notices and lines of "Needs you now" say it: always in UTC."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def exercise_marked(text: str, exercise: bool) -> str:
    """An exercise says so wherever it shows: its titles and notices begin "Exercise: "."""
    return _("Exercise: {text}").format(text=text) if exercise else text
