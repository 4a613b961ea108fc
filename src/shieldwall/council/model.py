"""The council's rules (no I/O): meetings and their clocks, proposals, positions, consensus and
the silence procedure. Each rule is a function named after it; the service calls them, the
pages and the scheduler ask them, the tests hold them to hand-written answers.

Consensus is never a vote: a proposal is adopted when no objection stands. In a meeting the
chair records that consensus; under the silence procedure it is adopted at its deadline unless
a delegation broke silence before it with a formal, reasoned objection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from shieldwall.kit.errors import IllegalTransition, InvalidInput, RuleViolation
from shieldwall.kit.i18n import N_, format_moment
from shieldwall.kit.i18n import gettext as _


class MeetingLevel(StrEnum):
    SUMMIT = "summit"
    FOREIGN_MINISTERS = "foreign ministers"
    DEFENCE_MINISTERS = "defence ministers"
    AMBASSADORS = "ambassadors"
    CHIEFS_OF_DEFENCE = "chiefs of defence"
    MILITARY_REPRESENTATIVES = "military representatives"
    POLITICAL_COMMITTEE = "political committee"
    # Recorded meetings whose level no source states; never chosen for a new meeting.
    UNSTATED = "unstated"


# The levels a new meeting may be convened at: every level but "unstated".
NEW_MEETING_LEVELS = tuple(lv for lv in MeetingLevel if lv != MeetingLevel.UNSTATED)


class MeetingState(StrEnum):
    REQUESTED = "requested"  # convened; the chair has not scheduled it yet
    SCHEDULED = "scheduled"
    HELD = "held"
    CLOSED = "closed"  # its record is complete: minutes and an outcome for each agenda item


class MeetingAction(StrEnum):
    # Marked for the catalogue: a refusal names the step in the reader's language.
    SCHEDULE = N_("schedule")
    ADD_AGENDA_ITEM = N_("add an agenda item to")
    HOLD = N_("record as held")
    RECORD = N_("record minutes or an agenda outcome of")
    CLOSE = N_("close")


# From which states each step of a meeting may be taken, and the state it leaves behind
# (None: the state does not change).
MEETING_TRANSITIONS: dict[MeetingAction, tuple[frozenset[MeetingState], MeetingState | None]] = {
    MeetingAction.SCHEDULE: (
        frozenset({MeetingState.REQUESTED, MeetingState.SCHEDULED}),
        MeetingState.SCHEDULED,
    ),
    MeetingAction.ADD_AGENDA_ITEM: (
        frozenset({MeetingState.REQUESTED, MeetingState.SCHEDULED, MeetingState.HELD}),
        None,
    ),
    MeetingAction.HOLD: (frozenset({MeetingState.SCHEDULED}), MeetingState.HELD),
    MeetingAction.RECORD: (frozenset({MeetingState.HELD}), None),
    MeetingAction.CLOSE: (frozenset({MeetingState.HELD}), MeetingState.CLOSED),
}


def meeting_transition(state: MeetingState, action: MeetingAction, meeting: str) -> MeetingState:
    """The state a meeting is in after ``action``; IllegalTransition if ``state`` forbids it."""
    allowed_from, to = MEETING_TRANSITIONS[action]
    if state not in allowed_from:
        raise IllegalTransition(meeting, state.value, action.value)
    return to or state


# The states of a meeting that has taken place.
MET = frozenset({MeetingState.HELD, MeetingState.CLOSED})


def require_held(state: MeetingState, meeting: str) -> None:
    """A decision is recorded as reached at a meeting only once that meeting was held."""
    if state not in MET:
        raise IllegalTransition(meeting, state.value, N_("record a decision reached at"))


def meeting_level(field: str, text: str, *, on_record: bool = False) -> MeetingLevel:
    """The level of a meeting: one of the council's levels. "unstated" is only for the record
    of a past meeting whose level no source states (``on_record``), never for a new one."""
    try:
        level = MeetingLevel(text.strip().lower())
    except ValueError:
        level = None
    if level is None or (level == MeetingLevel.UNSTATED and not on_record):
        choices = ", ".join(lv.value for lv in NEW_MEETING_LEVELS)
        raise InvalidInput(field, _("use one of {choices}").format(choices=choices))
    return level


# The longest time limit a crisis consultation may be given: a year, in hours.
LONGEST_CRISIS_HOURS = 24 * 365


def crisis_deadline(requested_at: dt.datetime, within: dt.timedelta) -> dt.datetime:
    """A crisis consultation must be held within the council's time limit of the request."""
    return requested_at + within


def held_in_time(hold_by: dt.datetime | None, held_at: dt.datetime) -> bool:
    """A meeting without a time limit is always in time; otherwise held at or before it."""
    return hold_by is None or held_at <= hold_by


def is_late(state: MeetingState, hold_by: dt.datetime | None, now: dt.datetime) -> bool:
    """A consultation is late once its time limit has passed and it has not been held."""
    return (
        hold_by is not None
        and now > hold_by
        and state in (MeetingState.REQUESTED, MeetingState.SCHEDULED)
    )


def require_held_not_in_future(held_at: dt.datetime, now: dt.datetime) -> None:
    if held_at > now:
        raise InvalidInput("held_at", _("a meeting cannot be recorded as held in the future"))


def missing_for_closing(minutes: str | None, items_without_outcome: Iterable[str]) -> list[str]:
    """What a meeting's record still lacks before it may close: its minutes, and an outcome
    for each agenda item (named)."""
    missing = [] if minutes and minutes.strip() else [_("minutes")]
    missing += [
        _("an outcome for agenda item {title!r}").format(title=title)
        for title in items_without_outcome
    ]
    return missing


def require_complete_record(minutes: str | None, items_without_outcome: Iterable[str]) -> None:
    missing = missing_for_closing(minutes, items_without_outcome)
    if missing:
        raise RuleViolation(
            _("a meeting closes only with its record: it lacks {missing}").format(
                missing="; ".join(missing)
            ),
            rule="closing a meeting needs its minutes and an outcome for each agenda item",
        )


def meeting_waits(
    state: MeetingState, starts_at: dt.datetime | None, now: dt.datetime, *, chair: bool
) -> tuple[str, str] | None:
    """What a meeting asks of a delegation now, as (what it is, what to do), or nothing.

    The chair schedules what was requested, records as held (or reschedules) what has started,
    and closes what was held. The others attend what is requested or still to come; a meeting
    whose start has passed unrecorded waits for the chair, not for them. Both are marked for
    the catalogue: what is shown is translated where it is read (``queries.waiting_for``)."""
    started = starts_at is not None and starts_at <= now
    if chair:
        return {
            MeetingState.REQUESTED: (N_("meeting to schedule"), N_("schedule it")),
            MeetingState.SCHEDULED: (
                N_("meeting to record"),
                N_("record it as held, or reschedule it"),
            )
            if started
            else None,
            MeetingState.HELD: (
                N_("meeting to close"),
                N_("record minutes and outcomes, then close"),
            ),
        }.get(state)
    if state == MeetingState.REQUESTED:
        return (N_("meeting to attend"), N_("attend once the chair schedules it"))
    if state == MeetingState.SCHEDULED and not started:
        return (N_("meeting to attend"), N_("attend"))
    return None


# ---- proposals -------------------------------------------------------------------------------


class ProposalKind(StrEnum):
    DECISION = "decision"
    STATEMENT = "statement"


class ProposalState(StrEnum):
    IN_DISCUSSION = "in discussion"  # positions are stated; the chair records consensus
    UNDER_SILENCE = "under silence"  # adopted at the deadline unless silence is broken
    ADOPTED = "adopted"
    WITHDRAWN = "withdrawn"


class Procedure(StrEnum):
    MEETING = "meeting"  # the chair recorded consensus
    SILENCE = "silence"  # no objection by the deadline


class Stance(StrEnum):
    SUPPORT = "support"
    ABSTAIN = "abstain"
    OBJECT = "object"


OPEN_PROPOSALS = frozenset({ProposalState.IN_DISCUSSION, ProposalState.UNDER_SILENCE})


def require_open(state: ProposalState, proposal: str, action: str) -> None:
    """``action`` is marked for the catalogue by the caller (``N_``), ``proposal`` named in the
    reader's language."""
    if state not in OPEN_PROPOSALS:
        raise IllegalTransition(proposal, state.value, action)


def stance(field: str, text: str) -> Stance:
    try:
        return Stance(text.strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in Stance)
        raise InvalidInput(field, _("use one of {choices}").format(choices=choices)) from None


def require_reason_for_objection(chosen: Stance, reason: str) -> None:
    """An objection needs a reason: the others must know what to address."""
    if chosen == Stance.OBJECT and not reason.strip():
        raise InvalidInput("reason", _("an objection needs a reason"))


def breaks_silence(state: ProposalState, chosen: Stance) -> bool:
    """One formal objection to a proposal under silence breaks silence: it is not adopted at
    its deadline and returns to discussion."""
    return state == ProposalState.UNDER_SILENCE and chosen == Stance.OBJECT


def silence_is_open(deadline: dt.datetime, at: dt.datetime) -> bool:
    """Silence may be broken strictly before its deadline; at the deadline it has held."""
    return at < deadline


def require_silence_open(deadline: dt.datetime, at: dt.datetime) -> None:
    if not silence_is_open(deadline, at):
        raise RuleViolation(
            _(
                "the silence procedure ended at {deadline}: "
                "an objection must be lodged before the deadline"
            ).format(deadline=format_moment(deadline)),
            rule="silence is broken only before its deadline",
        )


def silence_has_held(state: ProposalState, deadline: dt.datetime | None, now: dt.datetime) -> bool:
    """A proposal under silence is adopted once its deadline is reached without objection
    (an objection returns it to discussion, so one still under silence had none)."""
    return state == ProposalState.UNDER_SILENCE and deadline is not None and now >= deadline


def require_future_deadline(deadline: dt.datetime, now: dt.datetime) -> None:
    if deadline <= now:
        raise InvalidInput("deadline", _("the silence deadline must be in the future"))


@dataclass(frozen=True)
class StatedPosition:
    delegation: str
    stance: Stance
    reason: str
    stated_at: dt.datetime


def current_positions(history: Iterable[StatedPosition]) -> dict[str, StatedPosition]:
    """Each delegation's latest position; the earlier ones are its history. ``history`` is in
    the order the positions were stated."""
    current: dict[str, StatedPosition] = {}
    for position in history:
        current[position.delegation] = position
    return current


def objections(current: Iterable[StatedPosition]) -> list[str]:
    """The delegations whose current position is an objection."""
    return sorted(p.delegation for p in current if p.stance == Stance.OBJECT)


def require_consensus(current: Iterable[StatedPosition]) -> None:
    """Consensus is no standing objection (never a count of votes)."""
    standing = objections(current)
    if standing:
        raise RuleViolation(
            _("no consensus: {delegations} object").format(delegations=", ".join(standing)),
            rule="a proposal is adopted only when no objection stands",
        )


# ---- reminders -------------------------------------------------------------------------------


REMINDERS: tuple[tuple[str, dt.timedelta], ...] = (
    ("24 h", dt.timedelta(hours=24)),
    ("1 h", dt.timedelta(hours=1)),
)


def reminder_due(deadline: dt.datetime, now: dt.datetime) -> str | None:
    """Which reminder is due before ``deadline`` at ``now``: the latest mark passed, so a
    worker that wakes late sends the nearer reminder, not a stale one; none once the deadline
    has passed."""
    if now >= deadline:
        return None
    due = None
    for name, before in REMINDERS:
        if now >= deadline - before:
            due = name
    return due
