"""Use cases of obligation clocks, each audited, each run in the unit of work it is given.

Declaring an event is one transaction: the event, a due item for every obligation it opens,
the crisis consultation convened through the council (``CouncilService.convene``) and the
notices to the members concerned are written together, or — if any of it is refused — none
of it is. The scheduler's steps (settling a consultation, marking overdue, opening a year's
reports) each lock the record they act on (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and
re-check it, so each deadline takes effect once. The audit chain's lock always comes last.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shieldwall.access.model import SYSTEM, Actor, widened
from shieldwall.council.model import MeetingLevel
from shieldwall.council.service import AgendaEntry, CouncilService, secretariat_ids
from shieldwall.council.tables import Attendance, Meeting
from shieldwall.delegations.model import DelegationKind
from shieldwall.delegations.service import delegation_by_code, the_partners
from shieldwall.delegations.tables import Delegation
from shieldwall.guarantees.model import ObligationAction, Trigger
from shieldwall.guarantees.tables import Instrument, Obligation
from shieldwall.kit import idempotency
from shieldwall.kit.errors import InvalidInput, RuleViolation
from shieldwall.kit.i18n import format_moment, term
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.scheduling import leased
from shieldwall.kit.uow import UnitOfWork, readable_for_update
from shieldwall.notifications.service import NotificationService
from shieldwall.obligations import model
from shieldwall.obligations.model import DueState, Standing
from shieldwall.obligations.policy import TRIGGER_DEFAULT, Action, require
from shieldwall.obligations.tables import DueItem, TriggerEvent
from shieldwall.obligations.visibility import readable_due_items

Opened = list[tuple[DueItem, Obligation, Instrument]]


class ObligationsService:
    """Use cases of triggers and due items; each runs in the unit of work it is given."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.s: Session = uow.session

    # ---- declaring an event ------------------------------------------------------------------

    def declare_trigger(
        self,
        actor: Actor,
        *,
        kind: str,
        occurred_at: dt.datetime,
        description: str,
        partner: str | None = None,
        exercise: bool = False,
        illustrative: bool = False,
        releasability: str | None = None,
        idempotency_key: str | None = None,
    ) -> int:
        """The partner (or the chair) declares an event. Every obligation of that kind, of
        every instrument with the partner in force on the event's day, opens a due item; a
        crisis consultation is convened to meet the duties to consult; the members concerned
        are told their deadlines. All in this one transaction."""
        payload = idempotency.payload_of(locals())
        kind_v = model.declared_kind("kind", kind)
        released = widened("releasability", TRIGGER_DEFAULT, releasability)
        concerned = self._partner(actor, partner)
        again = idempotency.replayed(self.s, actor.name, "trigger", idempotency_key, payload)
        if again is not None:
            return again
        now = self.uow.clock.now()
        text = model.check_description(description)
        model.check_occurred_at(occurred_at, now, concerned.joined_on)
        event = TriggerEvent(
            kind=kind_v.value,
            partner_id=concerned.id,
            declared_by_id=self._declarer(actor, concerned).id,
            declared_at=now,
            occurred_at=occurred_at,
            description=text,
            exercise=exercise,
            illustrative=illustrative,
            releasability=released.value,
        )
        self.s.add(event)
        self.s.flush()
        opened = self._open_for(event, kind_v)
        event.meeting_id = self._convene(actor, event, concerned, opened)
        idempotency.remember(self.s, actor.name, "trigger", idempotency_key, payload, event.id, now)
        self.uow.audit(
            actor, now, "trigger.declare", "trigger_event", event.id, None, _tsnap(event)
        )
        for item, _obligation, _instrument in opened:
            self.uow.audit(actor, now, "due_item.open", "due_item", item.id, None, _snap(item))
        self._tell_opened(event, concerned, opened)
        return event.id

    def _partner(self, actor: Actor, code: str | None) -> Delegation:
        """The partner the event concerns: the declaring partner itself, or for the chair the
        one named (the only partner, if there is one); the actor must be allowed for it."""
        if code is None:
            if actor.delegation_kind == DelegationKind.PARTNER and actor.delegation:
                code = actor.delegation
            else:
                partners = the_partners(self.s)
                if len(partners) != 1:
                    raise InvalidInput("partner", _("name the partner the event concerns"))
                code = partners[0].code
        delegation = delegation_by_code(self.s, code, "partner")
        if delegation.kind != DelegationKind.PARTNER.value:
            raise InvalidInput(
                "partner",
                _("{delegation} is not a partner of the council").format(
                    delegation=delegation.code
                ),
            )
        require(
            actor, Action.DECLARE_TRIGGER, owner_id=delegation.id, record=f"for {delegation.code}"
        )
        return delegation

    def _declarer(self, actor: Actor, partner: Delegation) -> Delegation:
        """Who declares: the actor's delegation (a system process declares for the partner)."""
        if actor.delegation is None:
            return partner
        return delegation_by_code(self.s, actor.delegation, "declared_by")

    def _open_for(self, event: TriggerEvent, kind: Trigger) -> Opened:
        """A due item for each obligation the event opens, due ``within_hours`` after it."""
        on = model.occurred_on(event.occurred_at)
        rows = self.s.execute(
            select(Obligation, Instrument)
            .join(Instrument, Instrument.id == Obligation.instrument_id)
            .where(Obligation.trigger == kind.value, Instrument.partner_id == event.partner_id)
            .order_by(Instrument.member_id, Instrument.id, Obligation.id)
        ).all()
        opened: Opened = []
        for obligation, instrument in rows:
            if not model.opens(
                kind,
                obligation.trigger,
                with_partner=instrument.partner_id == event.partner_id,
                on=on,
                valid_from=instrument.valid_from,
                valid_until=instrument.valid_until,
                notice_given_on=instrument.notice_given_on,
                notice_months=instrument.termination_notice_months,
            ):
                continue
            item = DueItem(
                obligation_id=obligation.id,
                instrument_id=instrument.id,
                member_id=instrument.member_id,
                trigger_event_id=event.id,
                opened_at=event.occurred_at,
                due_at=model.due_at(event.occurred_at, obligation.within_hours),
                state=DueState.OPEN.value,
            )
            self.s.add(item)
            opened.append((item, obligation, instrument))
        self.s.flush()
        return opened

    def _convene(
        self, actor: Actor, event: TriggerEvent, partner: Delegation, opened: Opened
    ) -> int:
        """The crisis consultation, convened through the council by whoever declared, to be
        held by the earliest duty to consult (``model.hold_within``)."""
        consult = [i for i, o, _ in opened if o.action == ObligationAction.CONSULT.value]
        within = model.hold_within(
            [i.due_at for i in consult],
            event.declared_at,
            self.uow.settings.crisis_consultation_hours,
        )
        what = f"{event.kind} on {partner.code} of {model.occurred_on(event.occurred_at)}"
        declarer = self.s.get(Delegation, event.declared_by_id)
        assert declarer is not None
        members = sorted({i.member_id for i in consult})
        return CouncilService(self.uow).convene(
            actor,
            title=model.exercise_marked(f"Crisis consultation after the {what}", event.exercise),
            level=MeetingLevel.AMBASSADORS.value,
            crisis=True,
            reason=model.exercise_marked(
                f"{declarer.name} declared the {what} (trigger {event.id}): {event.description}",
                event.exercise,
            ),
            convened_by=declarer.code,
            # in whole seconds, so that the hours the council is given hold no float noise
            hold_within_hours=(within // dt.timedelta(seconds=1)) / 3600,
            agenda=[
                AgendaEntry(
                    title=f"Consultations under the security commitments "
                    f"({len(consult)} duties to consult, {len(members)} members)"
                )
            ],
            illustrative=event.illustrative,
        )

    def _tell_opened(self, event: TriggerEvent, partner: Delegation, opened: Opened) -> None:
        """Each member concerned is told, in this transaction, what it must do and by when —
        written for each recipient in its own language and time zone (``notify`` calls the
        functions once per recipient)."""
        duties: dict[int, list[tuple[ObligationAction, dt.datetime, str]]] = defaultdict(list)
        for item, obligation, instrument in opened:
            duties[item.member_id].append(
                (ObligationAction(obligation.action), item.due_at, instrument.title)
            )
        kind, code, exercise = event.kind, partner.code, event.exercise

        def subject() -> str:
            text = _("{event} on {partner} declared: your obligations are due").format(
                event=term(kind).capitalize(), partner=code
            )
            return model.exercise_marked(text, exercise)[:200]

        for member_id, lines in sorted(duties.items()):

            def body(lines: list[tuple[ObligationAction, dt.datetime, str]] = lines) -> str:
                return "\n".join(
                    [_("Your obligations' clocks have started:")]
                    + [
                        _("- {duty} by {moment} ({instrument})").format(
                            duty=model.duty(action, None),
                            moment=format_moment(due),
                            instrument=title,
                        )
                        for action, due, title in lines
                    ]
                )

            NotificationService(self.uow).notify(
                delegation_ids=[member_id],
                subject=subject,
                body=body,
                link=f"/triggers/{event.id}",
            )

    # ---- meeting a duty ------------------------------------------------------------------------

    def record_met(self, actor: Actor, due_item_id: int, evidence: str) -> None:
        """The member (or the secretariat) records a duty to report as met, with evidence: in
        time, or late once its deadline has passed."""
        item = self.load_due_item(actor, due_item_id)
        require(
            actor, Action.RECORD_MET, owner_id=item.member_id, record=f"obligation {due_item_id}"
        )
        obligation = self.s.get(Obligation, item.obligation_id)
        assert obligation is not None
        if obligation.action != ObligationAction.REPORT.value:
            raise RuleViolation(
                f"obligation {due_item_id} is a duty to consult: it is met when the member "
                "attends the crisis consultation, from the council's record of it",
                rule="a duty to consult is met from the consultation's record only",
            )
        self._meet(actor, item, model.check_evidence(evidence), self.uow.clock.now())

    def settle_consultation(self, due_item_id: int) -> bool:
        """The scheduler's step: a duty to consult whose crisis consultation has been held
        with the member attending is met (or met late, if it was held after the deadline),
        once. True if this call settled it."""
        item = self.s.scalar(leased(select(DueItem).where(DueItem.id == due_item_id)))
        if item is None or item.met_at is not None or item.trigger_event_id is None:
            return False
        obligation = self.s.get(Obligation, item.obligation_id)
        event = self.s.get(TriggerEvent, item.trigger_event_id)
        assert obligation is not None and event is not None
        if obligation.action != ObligationAction.CONSULT.value or event.meeting_id is None:
            return False
        meeting = self.s.get(Meeting, event.meeting_id)
        if meeting is None or meeting.held_at is None:
            return False
        attended = self.s.get(Attendance, (meeting.id, item.member_id)) is not None
        if not attended:
            return False
        evidence = f"attended meeting {meeting.id} held at {model.utc_text(meeting.held_at)}"
        if not model.consultation_met(meeting.held_at, item.due_at, attended):
            evidence += f", after the deadline of {model.utc_text(item.due_at)}"
        self._meet(SYSTEM, item, evidence, meeting.held_at)
        return True

    def _meet(self, actor: Actor, item: DueItem, evidence: str, met_at: dt.datetime) -> None:
        """Met at ``met_at``: met if by the deadline, met late after it (``model.met``)."""
        current = model.standing(DueState(item.state), item.met_at)
        after = model.met(current, met_at, item.due_at, f"obligation {item.id}")
        before = _snap(item)
        now = self.uow.clock.now()
        if after == Standing.MET_LATE and item.overdue_at is None:
            item.overdue_at = now  # the scheduler had not yet marked it
        item.state, item.met_at, item.evidence = model.STORED[after].value, met_at, evidence
        self.uow.audit(actor, now, "due_item.met", "due_item", item.id, before, _snap(item))

    # ---- deadlines ---------------------------------------------------------------------------

    def mark_overdue(self, due_item_id: int) -> bool:
        """The scheduler's step: an open item whose deadline has passed becomes overdue, once;
        its member and the secretariat are told. True if this call marked it."""
        item = self.s.scalar(leased(select(DueItem).where(DueItem.id == due_item_id)))
        if item is None:
            return False
        current = model.standing(DueState(item.state), item.met_at)
        if current != Standing.OPEN or not model.deadline_passed(item.due_at, self.uow.clock.now()):
            return False
        self._overdue(item)
        return True

    def _overdue(self, item: DueItem) -> None:
        now = self.uow.clock.now()
        current = model.standing(DueState(item.state), item.met_at)
        after = model.overdue(current, f"obligation {item.id}")
        before = _snap(item)
        item.state, item.overdue_at = model.STORED[after].value, now
        self.uow.audit(SYSTEM, now, "due_item.overdue", "due_item", item.id, before, _snap(item))
        obligation = self.s.get(Obligation, item.obligation_id)
        instrument = self.s.get(Instrument, item.instrument_id)
        member = self.s.get(Delegation, item.member_id)
        assert obligation is not None and instrument is not None and member is not None
        action, year, due = ObligationAction(obligation.action), item.period_year, item.due_at
        exercise = self._is_exercise(item)

        def subject() -> str:
            text = _("Overdue: {member}, {duty}").format(
                member=member.code, duty=model.duty(action, year)
            )
            return model.exercise_marked(text, exercise)[:200]

        NotificationService(self.uow).notify(
            delegation_ids=[item.member_id, *secretariat_ids(self.s)],
            subject=subject,
            body=lambda: _("Due by {moment} under {instrument}; not met.").format(
                moment=format_moment(due), instrument=instrument.title
            ),
            link=f"/obligations/{item.id}",
        )

    def _is_exercise(self, item: DueItem) -> bool:
        if item.trigger_event_id is None:
            return False
        event = self.s.get(TriggerEvent, item.trigger_event_id)
        return event is not None and event.exercise

    def open_year_end(self, obligation_id: int, year: int) -> bool:
        """The scheduler's step: a year-end obligation opens its item for ``year`` on
        1 January after it, if its instrument was in force during the year, once. True if
        this call opened it."""
        obligation = self.s.scalar(leased(select(Obligation).where(Obligation.id == obligation_id)))
        if obligation is None or obligation.trigger != Trigger.YEAR_END.value:
            return False
        instrument = self.s.get(Instrument, obligation.instrument_id)
        assert instrument is not None
        now = self.uow.clock.now()
        years = model.years_to_report(
            instrument.valid_from,
            instrument.valid_until,
            instrument.notice_given_on,
            instrument.termination_notice_months,
            now,
        )
        done = self.s.scalar(
            select(DueItem.id).where(
                DueItem.obligation_id == obligation.id, DueItem.period_year == year
            )
        )
        if year not in years or done is not None:
            return False
        opens = model.year_end_opens(year)
        item = DueItem(
            obligation_id=obligation.id,
            instrument_id=instrument.id,
            member_id=instrument.member_id,
            period_year=year,
            opened_at=opens,
            due_at=model.due_at(opens, obligation.within_hours),
            state=DueState.OPEN.value,
        )
        self.s.add(item)
        self.s.flush()
        self.uow.audit(SYSTEM, now, "due_item.open", "due_item", item.id, None, _snap(item))
        action, due = ObligationAction(obligation.action), item.due_at
        NotificationService(self.uow).notify(
            delegation_ids=[instrument.member_id],
            subject=lambda: _("{duty} due by {moment}").format(
                duty=model.duty(action, year), moment=format_moment(due)
            )[:200],
            body=lambda: _("The year {year} has ended: {duty} under {instrument}.").format(
                year=year,
                duty=model.in_sentence(model.duty(action, year)),
                instrument=instrument.title,
            ),
            link=f"/obligations/{item.id}",
        )
        return True

    # ---- loading -----------------------------------------------------------------------------

    def load_due_item(self, actor: Actor, due_item_id: int) -> DueItem:
        """The due item, locked for this transaction; 404 if it does not exist or ``actor``
        may not see it (existence is not disclosed)."""
        missing = _("obligation {due_item_id} does not exist").format(due_item_id=due_item_id)
        return readable_for_update(self.s, DueItem, due_item_id, readable_due_items(actor), missing)


def _snap(item: DueItem) -> dict[str, Any]:
    return {
        "obligation_id": item.obligation_id,
        "instrument_id": item.instrument_id,
        "member_id": item.member_id,
        "trigger_event_id": item.trigger_event_id,
        "period_year": item.period_year,
        "due_at": item.due_at,
        "state": item.state,
        "met_at": item.met_at,
        "evidence": item.evidence,
        "overdue_at": item.overdue_at,
    }


def _tsnap(event: TriggerEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "partner_id": event.partner_id,
        "declared_by_id": event.declared_by_id,
        "occurred_at": event.occurred_at,
        "description": event.description,
        "meeting_id": event.meeting_id,
        "exercise": event.exercise,
        "illustrative": event.illustrative,
        "releasability": event.releasability,
    }
