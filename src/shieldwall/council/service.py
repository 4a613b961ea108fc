"""Use cases of the council, each audited, each run in the unit of work it is given.

Every operation checks the rules of ``model`` and the permissions of ``policy`` before it
writes; a refused one raises and its unit of work rolls back whole. Each use case locks the
record it changes before it reads its state (``FOR UPDATE`` on PostgreSQL; SQLite's unit of
work holds the write lock from its start), so concurrent positions, objections and the
scheduler's deadlines leave one consistent state. The audit chain's lock always comes last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from shieldwall.access.model import SYSTEM, Actor, widened
from shieldwall.assistance.tables import AssistanceRequest
from shieldwall.assistance.visibility import readable_requests
from shieldwall.council import model
from shieldwall.council.model import (
    MeetingAction,
    MeetingState,
    Procedure,
    ProposalKind,
    ProposalState,
)
from shieldwall.council.policy import (
    MEETING_DEFAULT,
    PROPOSAL_DEFAULT,
    Action,
    require,
    require_in_the_council,
    sits_at_the_table,
)
from shieldwall.council.queries import position_history, seated_at_table
from shieldwall.council.tables import (
    AgendaItem,
    Attendance,
    Meeting,
    Outcome,
    Position,
    Proposal,
)
from shieldwall.council.visibility import readable_meetings, readable_proposals
from shieldwall.delegations.model import DelegationKind, is_seated
from shieldwall.delegations.service import delegation_by_code
from shieldwall.delegations.tables import Delegation
from shieldwall.kit import idempotency
from shieldwall.kit.errors import (
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    RuleViolation,
)
from shieldwall.kit.i18n import N_, format_moment, format_number, term
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.uow import UnitOfWork, readable_for_update
from shieldwall.notifications.service import NotificationService


@dataclass(frozen=True)
class AgendaEntry:
    """An agenda item as the convener or the chair puts it: a title, and optionally the
    request or the proposal it brings before the council."""

    title: str
    request_id: int | None = None
    proposal_id: int | None = None


def time_zone(name: str) -> str:
    """An IANA time zone name (``Europe/Brussels``), as the meeting is announced in it."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            "time_zone", _("no time zone {name!r}; use an IANA name").format(name=name)
        ) from None
    return name


def secretariat_ids(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(Delegation.id).where(Delegation.kind == DelegationKind.SECRETARIAT.value)
        )
    )


def meeting_name(meeting_id: int) -> str:
    """A meeting as a refusal names it, in the reader's language."""
    return _("meeting {id}").format(id=meeting_id)


def proposal_name(proposal_id: int) -> str:
    return _("proposal {id}").format(id=proposal_id)


# A notice's subject and body are functions that write them: each is called for each recipient,
# in that recipient's language and time zone (``NotificationService.notify``).
Write = Callable[[], str]
# The subject of each reminder before a silence deadline (``model.REMINDERS``).
SILENCE_ENDS = {
    "24 h": N_("Silence ends in 24 h: {title}"),
    "1 h": N_("Silence ends in 1 h: {title}"),
}


class CouncilService:
    """Use cases of the council; each runs in the unit of work it is given."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.s = uow.session

    def _tell(self, delegation_ids: list[int], subject: Write, body: Write, link: str) -> None:
        """Notify these delegations' users, in this transaction (the outbox): the notice
        exists if and only if the change it tells of was committed. The subject and the body
        are written for each recipient, in its language and time zone."""
        NotificationService(self.uow).notify(
            delegation_ids=delegation_ids,
            subject=lambda: subject()[:200],
            body=body,
            link=link,
        )

    def _everyone(self) -> list[int]:
        """The council's seated delegations and the secretariat."""
        today = self.uow.clock.now().date()
        return [d.id for d in seated_at_table(self.s, today)] + secretariat_ids(self.s)

    # ---- meetings ----------------------------------------------------------------------------

    def convene(
        self,
        actor: Actor,
        *,
        title: str,
        level: str,
        crisis: bool = False,
        reason: str = "",
        convened_by: str | None = None,
        agenda: list[AgendaEntry] | None = None,
        hold_within_hours: float | None = None,
        releasability: str | None = None,
        illustrative: bool = False,
        sources: str = "",
        idempotency_key: str | None = None,
    ) -> int:
        """Convene a meeting. Nobody approves it and nobody can block it: any member or
        partner delegation (or the chair) convenes; a crisis consultation must then be held
        within the council's time limit (``hold_within_hours`` shortens or lengthens it)."""
        payload = idempotency.payload_of(locals())
        payload["agenda"] = [vars(a) for a in agenda or []]
        # Only a system process (the demo, an import) writes the record of past meetings.
        level_v = model.meeting_level("level", level, on_record=actor.system)
        released = widened("releasability", MEETING_DEFAULT, releasability)
        convener = self._convener(actor, convened_by)
        again = idempotency.replayed(self.s, actor.name, "meeting", idempotency_key, payload)
        if again is not None:
            return again
        now = self.uow.clock.now()
        if crisis and not reason.strip():
            raise InvalidInput(
                "reason", _("a crisis consultation needs the reason it is asked for")
            )
        meeting = Meeting(
            title=_title(title, "title"),
            level=level_v.value,
            crisis=crisis,
            convened_by_id=convener.id,
            convened_at=now,
            reason=reason.strip(),
            hold_by=self._hold_by(crisis, now, hold_within_hours),
            state=MeetingState.REQUESTED.value,
            illustrative=illustrative,
            sources=sources.strip(),
            releasability=released.value,
        )
        self.s.add(meeting)
        self.s.flush()
        for entry in agenda or []:
            self._add_item(actor, meeting, entry)
        idempotency.remember(
            self.s, actor.name, "meeting", idempotency_key, payload, meeting.id, now
        )
        self.uow.audit(actor, now, "meeting.convene", "meeting", meeting.id, None, _snap(meeting))
        self._tell_convened(meeting, convener)
        return meeting.id

    def _tell_convened(self, meeting: Meeting, convener: Delegation) -> None:
        def subject() -> str:
            if meeting.crisis:
                what = _("Crisis consultation convened by {code}: {title}")
            else:
                what = _("Meeting convened by {code}: {title}")
            return what.format(code=convener.code, title=meeting.title)

        def body() -> str:
            if meeting.hold_by is None:
                return _("{name} convened the council at {level} level.").format(
                    name=convener.name, level=term(meeting.level)
                )
            return _(
                "{name} convened the council at {level} level. It must be held by {moment}."
            ).format(
                name=convener.name, level=term(meeting.level), moment=format_moment(meeting.hold_by)
            )

        self._tell(
            [d for d in self._everyone() if d != convener.id],
            subject,
            body,
            f"/meetings/{meeting.id}",
        )

    def _convener(self, actor: Actor, code: str | None) -> Delegation:
        """The delegation convening: the actor's own (a member, the partner or the chair's
        secretariat); it convenes for itself only."""
        if code is None:
            if actor.delegation is None:
                raise InvalidInput("convened_by", _("name the delegation that convenes"))
            code = actor.delegation
        delegation = delegation_by_code(self.s, code, "convened_by")
        kind = DelegationKind(delegation.kind)
        require_in_the_council(actor, Action.CONVENE, kind, delegation.code)
        record = _("for {code}").format(code=delegation.code)
        require(actor, Action.CONVENE, owner_id=delegation.id, record=record)
        if not is_seated(delegation.joined_on, delegation.left_on, self.uow.clock.now().date()):
            raise RuleViolation(
                _("{code} is not seated in the council today").format(code=delegation.code),
                rule="only seated delegations convene the council",
            )
        return delegation

    def _hold_by(self, crisis: bool, now: dt.datetime, hours: float | None) -> dt.datetime | None:
        if not crisis:
            if hours is not None:
                raise InvalidInput("hold_within_hours", _("only a crisis consultation has one"))
            return None
        if hours is None:
            hours = self.uow.settings.crisis_consultation_hours
        if not 0 < hours <= model.LONGEST_CRISIS_HOURS:
            # The rule is (0, a year]: "from 1 minute" named a floor the rule does not keep.
            raise InvalidInput(
                "hold_within_hours",
                _("give more than 0 hours, at most {largest} (a year)").format(
                    largest=format_number(model.LONGEST_CRISIS_HOURS)
                ),
            )
        return model.crisis_deadline(now, dt.timedelta(hours=hours))

    def schedule(
        self,
        actor: Actor,
        meeting_id: int,
        *,
        starts_at: dt.datetime,
        place: str,
        time_zone_name: str = "UTC",
        chair: str = "",
    ) -> None:
        meeting, now = self._meeting_for(actor, meeting_id, Action.CHAIR), self.uow.clock.now()
        before = _snap(meeting)
        state = model.meeting_transition(
            MeetingState(meeting.state), MeetingAction.SCHEDULE, meeting_name(meeting_id)
        )
        if starts_at < now:
            raise InvalidInput(
                "starts_at", _("a meeting is scheduled from now on, not in the past")
            )
        meeting.state, meeting.starts_at = state.value, starts_at
        meeting.place = _title(place, "place")
        meeting.time_zone = time_zone(time_zone_name)
        meeting.chair = _title(chair, "chair") if chair.strip() else ""
        self.uow.audit(
            actor, now, "meeting.schedule", "meeting", meeting.id, before, _snap(meeting)
        )
        self._tell(
            self._everyone(),
            lambda: _("Meeting {id} scheduled: {title}").format(id=meeting.id, title=meeting.title),
            lambda: _("{moment} (announced in {zone}), {place}.").format(
                moment=format_moment(starts_at), zone=meeting.time_zone, place=meeting.place
            ),
            f"/meetings/{meeting.id}",
        )

    def add_agenda_item(self, actor: Actor, meeting_id: int, entry: AgendaEntry) -> int:
        meeting = self.load_meeting(actor, meeting_id)
        require(
            actor,
            Action.ADD_AGENDA_ITEM,
            owner_id=meeting.convened_by_id,
            record=meeting_name(meeting_id),
        )
        model.meeting_transition(
            MeetingState(meeting.state), MeetingAction.ADD_AGENDA_ITEM, meeting_name(meeting_id)
        )
        item = self._add_item(actor, meeting, entry)
        return item.id

    def _add_item(self, actor: Actor, meeting: Meeting, entry: AgendaEntry) -> AgendaItem:
        """An agenda item; the request or proposal it names must exist and be visible to the
        one who puts it on the agenda."""
        if entry.request_id is not None:
            found = self.s.scalar(
                select(AssistanceRequest.id).where(
                    AssistanceRequest.id == entry.request_id, readable_requests(actor)
                )
            )
            if found is None:
                raise InvalidInput(
                    "request_id",
                    _("request {id} does not exist").format(id=entry.request_id),
                )
        if entry.proposal_id is not None:
            self.load_proposal(actor, entry.proposal_id, field="proposal_id")
        last = self.s.scalar(
            select(AgendaItem.position)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position.desc())
            .limit(1)
        )
        item = AgendaItem(
            meeting_id=meeting.id,
            position=(last or 0) + 1,
            title=_title(entry.title, "agenda"),
            request_id=entry.request_id,
            proposal_id=entry.proposal_id,
        )
        self.s.add(item)
        self.s.flush()
        after = {"position": item.position, "title": item.title, **_links(item)}
        now = self.uow.clock.now()
        self.uow.audit(actor, now, "meeting.agenda_add", "agenda_item", item.id, None, after)
        return item

    def hold(
        self,
        actor: Actor,
        meeting_id: int,
        *,
        attendance: dict[str, str],
        held_at: dt.datetime | None = None,
    ) -> None:
        """Record that the meeting was held, when, and who represented each delegation
        there (``attendance``: delegation code → who represented it)."""
        meeting, now = self._meeting_for(actor, meeting_id, Action.CHAIR), self.uow.clock.now()
        before = _snap(meeting)
        state = model.meeting_transition(
            MeetingState(meeting.state), MeetingAction.HOLD, meeting_name(meeting_id)
        )
        held_at = held_at or now
        model.require_held_not_in_future(held_at, now)
        if not attendance:
            raise InvalidInput("attendance", _("name at least one delegation that attended"))
        for code, represented_by in sorted(attendance.items()):
            delegation = delegation_by_code(self.s, code, "attendance")
            self.s.add(
                Attendance(
                    meeting_id=meeting.id,
                    delegation_id=delegation.id,
                    represented_by=_title(represented_by, "attendance")
                    if represented_by.strip()
                    else "",
                )
            )
        meeting.state, meeting.held_at = state.value, held_at
        after = {**_snap(meeting), "attendance": sorted(attendance)}
        self.uow.audit(actor, now, "meeting.hold", "meeting", meeting.id, before, after)

    def record_minutes(
        self, actor: Actor, meeting_id: int, minutes: str, *, illustrative: bool = False
    ) -> None:
        meeting, now = self._meeting_for(actor, meeting_id, Action.CHAIR), self.uow.clock.now()
        model.meeting_transition(
            MeetingState(meeting.state), MeetingAction.RECORD, meeting_name(meeting_id)
        )
        if not minutes.strip():
            raise InvalidInput("minutes", _("the minutes cannot be empty"))
        before = {"minutes": meeting.minutes, "illustrative": meeting.minutes_illustrative}
        meeting.minutes, meeting.minutes_illustrative = minutes.strip(), illustrative
        after = {"minutes": meeting.minutes, "illustrative": illustrative}
        self.uow.audit(actor, now, "meeting.minutes", "meeting", meeting.id, before, after)

    def record_item_outcome(
        self, actor: Actor, meeting_id: int, item_id: int, outcome: str
    ) -> None:
        meeting, now = self._meeting_for(actor, meeting_id, Action.CHAIR), self.uow.clock.now()
        model.meeting_transition(
            MeetingState(meeting.state), MeetingAction.RECORD, meeting_name(meeting_id)
        )
        item = self.s.get(AgendaItem, item_id)
        if item is None or item.meeting_id != meeting.id:
            raise NotFound(
                _("meeting {meeting} has no agenda item {item}").format(
                    meeting=meeting_id, item=item_id
                )
            )
        if not outcome.strip():
            raise InvalidInput("outcome", _("say what came of the agenda item"))
        before = {"outcome": item.outcome}
        item.outcome, item.outcome_recorded_at = outcome.strip(), now
        after = {"outcome": item.outcome}
        self.uow.audit(actor, now, "meeting.item_outcome", "agenda_item", item.id, before, after)

    def close(self, actor: Actor, meeting_id: int) -> None:
        meeting, now = self._meeting_for(actor, meeting_id, Action.CHAIR), self.uow.clock.now()
        before = _snap(meeting)
        state = model.meeting_transition(
            MeetingState(meeting.state), MeetingAction.CLOSE, meeting_name(meeting_id)
        )
        pending = self.s.scalars(
            select(AgendaItem.title)
            .where(AgendaItem.meeting_id == meeting.id, AgendaItem.outcome.is_(None))
            .order_by(AgendaItem.position)
        ).all()
        model.require_complete_record(meeting.minutes, pending)
        meeting.state, meeting.closed_at = state.value, now
        self.uow.audit(actor, now, "meeting.close", "meeting", meeting.id, before, _snap(meeting))

    def flag_if_late(self, meeting_id: int) -> bool:
        """The scheduler's step: flag a crisis consultation not held by its time limit, once.
        True if this call flagged it."""
        now = self.uow.clock.now()
        meeting = self.s.scalar(
            select(Meeting).where(Meeting.id == meeting_id).with_for_update(skip_locked=True)
        )
        if meeting is None or meeting.flagged_late_at is not None:
            return False
        if not model.is_late(MeetingState(meeting.state), meeting.hold_by, now):
            return False
        meeting.flagged_late_at = now
        after = {"hold_by": meeting.hold_by, "state": meeting.state, "flagged_late_at": now}
        self.uow.audit(SYSTEM, now, "meeting.flag_late", "meeting", meeting.id, None, after)
        hold_by = meeting.hold_by
        self._tell(
            [meeting.convened_by_id, *secretariat_ids(self.s)],
            lambda: _("Crisis consultation {id} not held in time: {title}").format(
                id=meeting.id, title=meeting.title
            ),
            lambda: _("It was to be held by {moment} and has not been.").format(
                moment=format_moment(hold_by)
            ),
            f"/meetings/{meeting.id}",
        )
        return True

    def load_meeting(self, actor: Actor, meeting_id: int) -> Meeting:
        """The meeting, locked for this transaction; 404 if it does not exist or ``actor``
        may not see it (existence is not disclosed)."""
        missing = _("meeting {id} does not exist").format(id=meeting_id)
        return readable_for_update(self.s, Meeting, meeting_id, readable_meetings(actor), missing)

    def _meeting_for(self, actor: Actor, meeting_id: int, permission: Action) -> Meeting:
        meeting = self.load_meeting(actor, meeting_id)
        require(actor, permission, owner_id=meeting.convened_by_id, record=meeting_name(meeting_id))
        return meeting

    # ---- proposals ---------------------------------------------------------------------------

    def table_proposal(
        self,
        actor: Actor,
        *,
        title: str,
        text: str,
        kind: str = "decision",
        tabled_by: str | None = None,
        meeting_id: int | None = None,
        releasability: str | None = None,
        illustrative: bool = False,
        idempotency_key: str | None = None,
    ) -> int:
        """Table a draft decision or statement, for discussion; with ``meeting_id`` it is put
        on that meeting's agenda in the same transaction."""
        payload = idempotency.payload_of(locals())
        try:
            kind_v = ProposalKind(kind)
        except ValueError:
            raise InvalidInput("kind", _("use decision or statement")) from None
        released = widened("releasability", PROPOSAL_DEFAULT, releasability)
        tabler = self._tabler(actor, tabled_by)
        again = idempotency.replayed(self.s, actor.name, "proposal", idempotency_key, payload)
        if again is not None:
            return again
        if not text.strip():
            raise InvalidInput("text", _("a proposal needs the text to be decided"))
        now = self.uow.clock.now()
        proposal = Proposal(
            title=_title(title, "title"),
            text=text.strip(),
            kind=kind_v.value,
            tabled_by_id=tabler.id,
            tabled_at=now,
            state=ProposalState.IN_DISCUSSION.value,
            illustrative=illustrative,
            releasability=released.value,
        )
        self.s.add(proposal)
        self.s.flush()
        key = idempotency_key
        idempotency.remember(self.s, actor.name, "proposal", key, payload, proposal.id, now)
        self.uow.audit(
            actor, now, "proposal.table", "proposal", proposal.id, None, _psnap(proposal)
        )
        if meeting_id is not None:
            self.add_agenda_item(actor, meeting_id, AgendaEntry(proposal.title, None, proposal.id))
        return proposal.id

    def _tabler(self, actor: Actor, code: str | None) -> Delegation:
        code = code or actor.delegation
        if code is None:
            raise InvalidInput("tabled_by", _("name the delegation that tables the proposal"))
        delegation = delegation_by_code(self.s, code, "tabled_by")
        kind = DelegationKind(delegation.kind)
        require_in_the_council(actor, Action.TABLE_PROPOSAL, kind, delegation.code)
        record = _("for {code}").format(code=code)
        require(actor, Action.TABLE_PROPOSAL, owner_id=delegation.id, record=record)
        return delegation

    def state_position(
        self,
        actor: Actor,
        proposal_id: int,
        *,
        stance: str,
        reason: str = "",
        illustrative: bool = False,
    ) -> int:
        """The actor's delegation states its position. Under silence an objection breaks
        silence and returns the proposal to discussion; after the deadline nothing more may
        be said under silence."""
        proposal, now = self.load_proposal(actor, proposal_id), self.uow.clock.now()
        delegation = self._position_taker(actor, proposal_id, now.date())
        chosen = model.stance("stance", stance)
        model.require_reason_for_objection(chosen, reason)
        state = ProposalState(proposal.state)
        model.require_open(state, proposal_name(proposal_id), N_("state a position on"))
        under_silence = state == ProposalState.UNDER_SILENCE
        before = _psnap(proposal)
        if under_silence:
            assert proposal.silence_deadline is not None
            model.require_silence_open(proposal.silence_deadline, now)
            if model.breaks_silence(state, chosen):
                proposal.state = ProposalState.IN_DISCUSSION.value
                # Stored as the record of why, in the platform's source language.
                proposal.state_reason = f"{delegation.code} broke silence: {reason.strip()}"
                proposal.silence_deadline = None
        position = Position(
            proposal_id=proposal.id,
            delegation_id=delegation.id,
            stance=chosen.value,
            reason=reason.strip(),
            stated_at=now,
            stated_by=actor.name,
            under_silence=under_silence,
            illustrative=illustrative,
        )
        self.s.add(position)
        self.s.flush()
        after = {**_psnap(proposal), "delegation": delegation.code, "stance": chosen.value}
        self.uow.audit(actor, now, "proposal.position", "proposal", proposal.id, before, after)
        if model.breaks_silence(state, chosen):
            self._tell(
                self._everyone(),
                lambda: _("{code} broke silence: {title}").format(
                    code=delegation.code, title=proposal.title
                ),
                lambda: _("Its objection: {reason} The proposal returns to discussion.").format(
                    reason=reason.strip()
                ),
                f"/proposals/{proposal.id}",
            )
        return position.id

    def _position_taker(self, actor: Actor, proposal_id: int, on: dt.date) -> Delegation:
        if actor.delegation is None or not sits_at_the_table(actor.delegation_kind):
            raise Forbidden(
                _(
                    "{who} may not {action}: "
                    "member and partner delegations state positions, each for itself"
                ).format(who=actor.delegation or actor.name, action=_(Action.STATE_POSITION.value))
            )
        delegation = delegation_by_code(self.s, actor.delegation, "delegation")
        require(
            actor,
            Action.STATE_POSITION,
            owner_id=delegation.id,
            record=proposal_name(proposal_id),
        )
        if not is_seated(delegation.joined_on, delegation.left_on, on):
            raise RuleViolation(
                _("{code} is not seated in the council on {day}").format(
                    code=delegation.code, day=on.isoformat()
                ),
                rule="only seated delegations state positions",
            )
        return delegation

    def circulate(
        self, actor: Actor, proposal_id: int, *, deadline: dt.datetime, text: str | None = None
    ) -> None:
        """Put a proposal under the silence procedure until ``deadline``; a revised text may
        be circulated in place of the one discussed."""
        proposal, now = (
            self._proposal_for(actor, proposal_id, Action.CIRCULATE),
            self.uow.clock.now(),
        )
        if proposal.state != ProposalState.IN_DISCUSSION:
            raise IllegalTransition(
                proposal_name(proposal_id), proposal.state, N_("circulate under silence")
            )
        model.require_future_deadline(deadline, now)
        # Silence that holds adopts "by no objection": one still standing is withdrawn first.
        self._require_consensus(proposal)
        before = _psnap(proposal)
        if text is not None and text.strip():
            proposal.text = text.strip()
        proposal.state = ProposalState.UNDER_SILENCE.value
        proposal.silence_deadline = deadline
        proposal.state_reason = None
        after = _psnap(proposal)
        self.uow.audit(actor, now, "proposal.silence", "proposal", proposal.id, before, after)
        self._tell(
            self._everyone(),
            lambda: _("Under silence until {moment}: {title}").format(
                moment=format_moment(deadline), title=proposal.title
            ),
            lambda: _(
                "Adopted at the deadline unless a delegation objects, with a reason, before it."
            ),
            f"/proposals/{proposal.id}",
        )

    def record_consensus(
        self,
        actor: Actor,
        proposal_id: int,
        *,
        adopted_text: str | None = None,
        review_on: dt.date | None = None,
        meeting_id: int | None = None,
    ) -> int:
        """The chair records consensus in a meeting: adopted, if no objection stands."""
        proposal = self._proposal_for(actor, proposal_id, Action.RECORD_CONSENSUS)
        if proposal.state != ProposalState.IN_DISCUSSION:
            raise IllegalTransition(
                proposal_name(proposal_id), proposal.state, N_("record consensus on")
            )
        self._require_consensus(proposal)
        if meeting_id is not None:
            meeting = self.load_meeting(actor, meeting_id)
            model.require_held(MeetingState(meeting.state), meeting_name(meeting_id))
        now = self.uow.clock.now()
        return self._adopt(
            actor, proposal, Procedure.MEETING, now, adopted_text, review_on, meeting_id
        )

    def adopt_if_silence_held(self, proposal_id: int) -> bool:
        """The scheduler's step: adopt a proposal whose silence held to its deadline, as of
        the deadline, once. True if this call adopted it."""
        now = self.uow.clock.now()
        proposal = self.s.scalar(
            select(Proposal).where(Proposal.id == proposal_id).with_for_update(skip_locked=True)
        )
        if proposal is None:
            return False
        deadline = proposal.silence_deadline
        if not model.silence_has_held(ProposalState(proposal.state), deadline, now):
            return False
        assert deadline is not None
        self._adopt(SYSTEM, proposal, Procedure.SILENCE, deadline, None, None, None)
        return True

    def _adopt(
        self,
        actor: Actor,
        proposal: Proposal,
        procedure: Procedure,
        decided_at: dt.datetime,
        adopted_text: str | None,
        review_on: dt.date | None,
        meeting_id: int | None,
    ) -> int:
        before = _psnap(proposal)
        proposal.state = ProposalState.ADOPTED.value
        outcome = Outcome(
            proposal_id=proposal.id,
            adopted_text=(adopted_text or "").strip() or proposal.text,
            procedure=procedure.value,
            meeting_id=meeting_id,
            decided_at=decided_at,
            review_on=review_on,
        )
        self.s.add(outcome)
        self.s.flush()
        after = {**_psnap(proposal), "procedure": procedure.value, "decided_at": decided_at}
        now = self.uow.clock.now()
        self.uow.audit(actor, now, "proposal.adopt", "proposal", proposal.id, before, after)
        if procedure == Procedure.SILENCE:
            how = N_("Adopted by no objection by its deadline on {moment}.")
        else:
            how = N_("Adopted by consensus on {moment}.")
        self._tell(
            self._everyone(),
            lambda: _("Adopted: {title}").format(title=proposal.title),
            lambda: _(how).format(moment=format_moment(decided_at)),
            f"/proposals/{proposal.id}",
        )
        return outcome.id

    def remind_silent(self, proposal_id: int) -> int:
        """The scheduler's step: remind the delegations that have stated no position on a
        proposal under silence, 24 h and 1 h before its deadline, each reminder once (keyed).
        How many notices were written."""
        now = self.uow.clock.now()
        proposal = self.s.get(Proposal, proposal_id)
        if proposal is None or proposal.state != ProposalState.UNDER_SILENCE:
            return 0
        assert proposal.silence_deadline is not None
        mark = model.reminder_due(proposal.silence_deadline, now)
        if mark is None:
            return 0
        stated = set(
            self.s.scalars(
                select(Position.delegation_id).where(Position.proposal_id == proposal.id)
            )
        )
        silent = [d.id for d in seated_at_table(self.s, now.date()) if d.id not in stated]
        ends = proposal.silence_deadline
        deadline = ends.astimezone(dt.UTC).isoformat()
        return NotificationService(self.uow).notify(
            delegation_ids=silent,
            subject=lambda: _(SILENCE_ENDS[mark]).format(title=proposal.title)[:200],
            body=lambda: _(
                "Adopted at {moment} unless a delegation objects before it. "
                "Your delegation has stated no position."
            ).format(moment=format_moment(ends)),
            link=f"/proposals/{proposal.id}",
            key=f"proposal:{proposal.id}:silence:{deadline}:{mark}",
        )

    def withdraw_proposal(self, actor: Actor, proposal_id: int, reason: str) -> None:
        proposal = self.load_proposal(actor, proposal_id)
        require(
            actor,
            Action.WITHDRAW_PROPOSAL,
            owner_id=proposal.tabled_by_id,
            record=proposal_name(proposal_id),
        )
        model.require_open(
            ProposalState(proposal.state), proposal_name(proposal_id), N_("withdraw")
        )
        if not reason.strip():
            raise InvalidInput("reason", _("say why the proposal is withdrawn"))
        now, before = self.uow.clock.now(), _psnap(proposal)
        proposal.state, proposal.state_reason = ProposalState.WITHDRAWN.value, reason.strip()
        proposal.silence_deadline = None
        after = _psnap(proposal)
        self.uow.audit(actor, now, "proposal.withdraw", "proposal", proposal.id, before, after)

    def load_proposal(self, actor: Actor, proposal_id: int, field: str | None = None) -> Proposal:
        """The proposal, locked for this transaction; 404 (or an error naming ``field``) if
        it does not exist or ``actor`` may not see it."""
        missing = _("proposal {id} does not exist").format(id=proposal_id)
        return readable_for_update(
            self.s, Proposal, proposal_id, readable_proposals(actor), missing, field
        )

    def _require_consensus(self, proposal: Proposal) -> None:
        """No objection stands among the delegations' current positions on ``proposal``."""
        model.require_consensus(
            model.current_positions(position_history(self.s, proposal.id)).values()
        )

    def _proposal_for(self, actor: Actor, proposal_id: int, permission: Action) -> Proposal:
        proposal = self.load_proposal(actor, proposal_id)
        record = proposal_name(proposal_id)
        require(actor, permission, owner_id=proposal.tabled_by_id, record=record)
        return proposal


def _title(text: str, field: str, longest: int = 200) -> str:
    """A one-line name (title, place, agenda item): not empty, and within its column, so that
    a caller other than the API (the CLI, an import) gets the same clear refusal."""
    if not text.strip():
        raise InvalidInput(field, _("cannot be empty"))
    if len(text.strip()) > longest:
        raise InvalidInput(field, _("at most {longest} characters").format(longest=longest))
    return text.strip()


def _links(item: AgendaItem) -> dict[str, int | None]:
    return {"request_id": item.request_id, "proposal_id": item.proposal_id}


def _snap(meeting: Meeting) -> dict[str, Any]:
    return {
        "state": meeting.state,
        "level": meeting.level,
        "crisis": meeting.crisis,
        "hold_by": meeting.hold_by,
        "starts_at": meeting.starts_at,
        "place": meeting.place,
        "held_at": meeting.held_at,
        "releasability": meeting.releasability,
    }


def _psnap(proposal: Proposal) -> dict[str, Any]:
    return {
        "state": proposal.state,
        "silence_deadline": proposal.silence_deadline,
        "state_reason": proposal.state_reason,
        "releasability": proposal.releasability,
    }
