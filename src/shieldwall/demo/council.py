"""The council in the demo, put on the timeline: its real meetings from nuc_meetings.csv, and
its illustrative business from council.toml.

Each real meeting is recorded by the system actor, as the dataset gives it: convened (by the
delegation that asked for it, else by the secretariat), at its level, scheduled, held on its day
with its topic as the agenda item and its recorded outcome as that item's outcome, its sources
on the meeting; minutes written for the demo, marked illustrative; then closed. A meeting no
source reports as held stays scheduled, and its title says why. The sources give days, not
hours: the hours below are the demo's.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import partial

from shieldwall.access.model import Actor
from shieldwall.council.service import AgendaEntry
from shieldwall.demo.records import (
    CouncilMeeting,
    CrisisRequest,
    DemoProposal,
    LateConsultation,
    LiveSilence,
    NotHeld,
)
from shieldwall.demo.timeline import Desk, Timeline
from shieldwall.kit.errors import InvalidInput

# A regular meeting is convened and scheduled on its day, in the morning, and met at 10:00; a
# crisis request is dated 15:00 on its day, so that a meeting seven days later (January 2024)
# falls within the council's default limit of 168 hours, as it did.
CONVENE_AT, MEET_AT, REQUEST_AT, RECORD_AT = 9, 10, 15, 16
TABLE_AT, CIRCULATE_AT, POSITION_AT = 11, 12, 13
SECRETARIAT = "SEC"
PLACE = "not recorded in the dataset (see the sources)"
AGENDA_TITLE_MAX = 200  # the agenda item's title, as the API bounds it


def title_of(meeting: CouncilMeeting, unheld: NotHeld | None) -> str:
    level = "level not stated" if meeting.level == "unstated" else meeting.level
    crisis = f", crisis consultation at {meeting.convened_by}'s request" if meeting.crisis else ""
    title = f"NATO–Ukraine Council, {level}{crisis}, {meeting.on:%-d %B %Y}"
    return f"{title} — {unheld.status}" if unheld else title


def agenda_title(topic: str) -> str:
    """The topic without its note on the chair, shortened at a word if it is too long (the
    meeting's reason keeps it whole)."""
    text = re.sub(r"\s*\[[^\]]*\]\s*$", "", topic).strip()
    if len(text) <= AGENDA_TITLE_MAX:
        return text
    return text[: AGENDA_TITLE_MAX - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def chair_of(topic: str) -> str:
    """The chair the topic's note names ("[chair: SG Stoltenberg]"); blank if none."""
    found = re.search(r"\bchair: ([^;\]]+)", topic)
    return found.group(1).strip() if found else ""


def minutes_of(meeting: CouncilMeeting) -> str:
    return (
        "Illustrative minutes, written for the demo: no minutes of the council's meetings "
        f"are public. The council met on {meeting.on:%-d %B %Y}. Discussed, as the dataset "
        f"records it: {meeting.topic} Outcome, as the dataset records it: {meeting.outcome} "
        f"Sources: the {len(meeting.sources)} pages listed on the meeting."
    )


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


class MeetingSteps:
    """One real meeting: convened and scheduled, then held, recorded and closed, each on its
    day; a meeting not reported held stops at scheduled."""

    def __init__(
        self,
        desk: Desk,
        setup: Actor,
        meeting: CouncilMeeting,
        request: CrisisRequest | None,
        unheld: NotHeld | None,
    ) -> None:
        self.desk, self.setup, self.meeting = desk, setup, meeting
        self.request, self.unheld = request, unheld
        self.meeting_id = self.item_id = 0  # known once convened

    def schedule(self, timeline: Timeline) -> None:
        on = self.meeting.on
        if self.request:
            timeline.add(self.request.requested_on, REQUEST_AT, self.convene)
        else:
            timeline.add(on, CONVENE_AT, self.convene)
        if self.unheld is None:
            timeline.add(on, MEET_AT, self.hold)
            timeline.add(on, RECORD_AT, self.record)

    def convene(self) -> None:
        meeting, council = self.meeting, self.desk.council
        reason = meeting.topic
        if self.request:
            reason += f"\nRequested on {self.request.requested_on}: {self.request.basis}"
        if self.unheld:
            reason += f"\nNot recorded as held: {self.unheld.status}."
        self.meeting_id = council.convene(
            self.setup,
            title=title_of(meeting, self.unheld),
            level=meeting.level,
            crisis=meeting.crisis,
            reason=reason,
            convened_by=meeting.convened_by or SECRETARIAT,
            sources=" ".join(meeting.sources),
        )
        entry = AgendaEntry(agenda_title(meeting.topic))
        self.item_id = council.add_agenda_item(self.setup, self.meeting_id, entry)
        council.schedule(
            self.setup,
            self.meeting_id,
            starts_at=_at(meeting.on, MEET_AT),
            place=PLACE,
            chair=chair_of(meeting.topic),
        )

    def hold(self) -> None:
        # Ukraine sits in every meeting of the council; who else attended is not recorded.
        self.desk.council.hold(self.setup, self.meeting_id, attendance={self.desk.partner: ""})

    def record(self) -> None:
        council, meeting_id = self.desk.council, self.meeting_id
        council.record_minutes(self.setup, meeting_id, minutes_of(self.meeting), illustrative=True)
        council.record_item_outcome(self.setup, meeting_id, self.item_id, self.meeting.outcome)
        council.close(self.setup, meeting_id)


class ProposalSteps:
    """An illustrative proposal: tabled, its positions stated in order, and, if it goes under
    silence, circulated and adopted at its deadline unless silence was broken."""

    def __init__(self, desk: Desk, proposal: DemoProposal) -> None:
        self.desk, self.proposal = desk, proposal
        self.proposal_id = 0  # known once tabled

    def schedule(self, timeline: Timeline) -> None:
        proposal = self.proposal
        timeline.add(proposal.tabled_on, TABLE_AT, self.table)
        if proposal.circulated_on and proposal.silence_days:
            circulated = _at(proposal.circulated_on, CIRCULATE_AT)
            deadline = circulated + dt.timedelta(days=proposal.silence_days)
            timeline.add_at(circulated, partial(self.circulate, deadline))
            timeline.add_at(deadline, self.adopt)
        for n, stated in enumerate(proposal.positions):
            timeline.add(stated.on, POSITION_AT, partial(self.state, n))

    def table(self) -> None:
        proposal = self.proposal
        self.proposal_id = self.desk.council.table_proposal(
            self.desk.actor(proposal.tabled_by),
            title=proposal.title,
            text=proposal.text,
            illustrative=True,
        )

    def circulate(self, deadline: dt.datetime) -> None:
        chair = self.desk.actor(SECRETARIAT)
        self.desk.council.circulate(chair, self.proposal_id, deadline=deadline)

    def adopt(self) -> None:
        # As the scheduler would at the deadline; an objection before it leaves it in discussion.
        self.desk.council.adopt_if_silence_held(self.proposal_id)

    def state(self, n: int) -> None:
        stated = self.proposal.positions[n]
        self.desk.council.state_position(
            self.desk.actor(stated.delegation),
            self.proposal_id,
            stance=stated.stance,
            reason=stated.reason,
            illustrative=True,
        )


def live_silence(desk: Desk, timeline: Timeline, silence: LiveSilence, now: dt.datetime) -> None:
    """A proposal under silence at the demo's present, its deadline ahead of it."""
    circulated = now - dt.timedelta(days=silence.days_since_circulated)
    deadline = now + dt.timedelta(days=silence.days_to_deadline)
    proposal = DemoProposal(silence.title, silence.text, silence.tabled_by, circulated.date(), ())
    steps = ProposalSteps(desk, proposal)
    timeline.add_at(circulated, steps.table)
    timeline.add_at(circulated, partial(steps.circulate, deadline))
    for code in silence.supporters:
        timeline.add_at(circulated + dt.timedelta(days=1), partial(_support, steps, code))


def _support(steps: ProposalSteps, code: str) -> None:
    desk = steps.desk
    desk.council.state_position(
        desk.actor(code), steps.proposal_id, stance="support", illustrative=True
    )


def late_consultation(
    desk: Desk, timeline: Timeline, late: LateConsultation, now: dt.datetime
) -> None:
    """A crisis consultation the partner asked for, scheduled by the chair for after the
    council's time limit, and flagged late at the demo's present as the scheduler would."""
    requested = now - dt.timedelta(days=late.days_since_request)
    meeting_id: list[int] = []

    def convene() -> None:
        meeting_id.append(
            desk.council.convene(
                desk.actor(desk.partner),
                title=late.title,
                level=late.level,
                crisis=True,
                reason=late.reason,
                illustrative=True,
            )
        )

    def schedule() -> None:
        starts_at = now + dt.timedelta(days=late.starts_in_days)
        chair = desk.actor(SECRETARIAT)
        desk.council.schedule(chair, meeting_id[0], starts_at=starts_at, place="NATO HQ, Brussels")

    def flag() -> None:
        if not desk.council.flag_if_late(meeting_id[0]):
            raise InvalidInput(
                "council.toml late_consultation",
                "not late at the demo's present: ask for it longer ago than the council's limit",
            )

    timeline.add_at(requested, convene)
    timeline.add_at(requested + dt.timedelta(days=1), schedule)
    timeline.add_at(now, flag)
