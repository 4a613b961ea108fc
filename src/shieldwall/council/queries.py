"""Reads of the council, each filtered by releasability inside its query (DESIGN rule 4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from shieldwall.access.model import Actor
from shieldwall.assistance.tables import AssistanceRequest
from shieldwall.assistance.visibility import readable_requests
from shieldwall.council import model
from shieldwall.council.model import MeetingState, ProposalState, Stance, StatedPosition
from shieldwall.council.policy import sits_at_the_table
from shieldwall.council.tables import AgendaItem, Attendance, Meeting, Outcome, Position, Proposal
from shieldwall.council.visibility import readable_meetings, readable_proposals
from shieldwall.delegations.model import DelegationKind, is_seated
from shieldwall.delegations.tables import Delegation
from shieldwall.kit.errors import InvalidInput, NotFound
from shieldwall.kit.i18n import N_, term
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.inbox import Waiting
from shieldwall.kit.listing import Column, Filter, FilterKind, Listing, Option


def position_history(session: Session, proposal_id: int) -> list[StatedPosition]:
    """Every position stated on a proposal, in the order they were stated."""
    rows = session.execute(
        select(Position, Delegation.code)
        .join(Delegation, Delegation.id == Position.delegation_id)
        .where(Position.proposal_id == proposal_id)
        .order_by(Position.stated_at, Position.id)
    ).all()
    return [StatedPosition(code, Stance(p.stance), p.reason, p.stated_at) for p, code in rows]


def seated_at_table(session: Session, on: dt.date) -> list[Delegation]:
    """The delegations that take positions on ``on``: members and partners seated then."""
    rows = session.scalars(
        select(Delegation)
        .where(Delegation.kind.in_([DelegationKind.MEMBER.value, DelegationKind.PARTNER.value]))
        .order_by(Delegation.code)
    )
    return [d for d in rows if is_seated(d.joined_on, d.left_on, on)]


def _codes(session: Session) -> dict[int, str]:
    return {d_id: code for d_id, code in session.execute(select(Delegation.id, Delegation.code))}


def _choice(field: str, value: str | None, enum: Any) -> str | None:
    if value is None:
        return None
    try:
        return str(enum(value).value)
    except ValueError:
        choices = ", ".join(e.value for e in enum)
        raise InvalidInput(field, _("use one of {choices}").format(choices=choices)) from None


def meeting_dict(m: Meeting, codes: dict[int, str], now: dt.datetime) -> dict[str, Any]:
    state = MeetingState(m.state)
    return {
        "id": m.id,
        "title": m.title,
        "level": m.level,
        "crisis": m.crisis,
        "convened_by": codes[m.convened_by_id],
        "convened_by_id": m.convened_by_id,  # for the policy's questions (pages)
        "convened_at": m.convened_at,
        "reason": m.reason,
        "hold_by": m.hold_by,
        "state": m.state,
        "starts_at": m.starts_at,
        "place": m.place,
        "time_zone": m.time_zone,
        "chair": m.chair,
        "held_at": m.held_at,
        "held_in_time": None if m.held_at is None else model.held_in_time(m.hold_by, m.held_at),
        "late": m.flagged_late_at is not None
        or model.is_late(state, m.hold_by, now)
        or (m.held_at is not None and not model.held_in_time(m.hold_by, m.held_at)),
        "flagged_late_at": m.flagged_late_at,
        "minutes": m.minutes,
        "minutes_illustrative": m.minutes_illustrative,
        "closed_at": m.closed_at,
        "sources": m.sources.split() if m.sources else [],
        "illustrative": m.illustrative,
        "releasability": m.releasability,
    }


def list_meetings(
    session: Session,
    reader: Actor,
    now: dt.datetime,
    *,
    state: str | None = None,
    crisis: bool | None = None,
    level: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[int, list[dict[str, Any]]]:
    stmt = select(Meeting).where(readable_meetings(reader))
    if (state_v := _choice("state", state, MeetingState)) is not None:
        stmt = stmt.where(Meeting.state == state_v)
    if (level_v := _choice("level", level, model.MeetingLevel)) is not None:
        stmt = stmt.where(Meeting.level == level_v)
    if crisis is not None:
        stmt = stmt.where(Meeting.crisis.is_(crisis))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    ordered = stmt.order_by(
        func.coalesce(Meeting.starts_at, Meeting.convened_at).desc(), Meeting.id.desc()
    )
    codes = _codes(session)
    rows = session.scalars(ordered.offset(offset).limit(limit))
    return int(total), [meeting_dict(m, codes, now) for m in rows]


def get_meeting(
    session: Session, reader: Actor, meeting_id: int, now: dt.datetime
) -> dict[str, Any]:
    meeting = session.scalar(
        select(Meeting).where(Meeting.id == meeting_id, readable_meetings(reader))
    )
    if meeting is None:
        raise NotFound(_("meeting {id} does not exist").format(id=meeting_id))
    codes = _codes(session)
    view = meeting_dict(meeting, codes, now)
    view["agenda"] = _agenda(session, reader, meeting.id)
    view["attendance"] = [
        {"delegation": codes[a.delegation_id], "represented_by": a.represented_by}
        for a in session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
    ]
    view["attendance"].sort(key=lambda a: a["delegation"])
    return view


def _agenda(session: Session, reader: Actor, meeting_id: int) -> list[dict[str, Any]]:
    """The agenda in order; a linked request or proposal is shown only to a reader who may
    see it (the item's title is the meeting's, the record is its own)."""
    visible_requests = select(AssistanceRequest.id).where(readable_requests(reader))
    visible_proposals = select(Proposal.id).where(readable_proposals(reader))
    items = session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(AgendaItem.position)
    ).all()
    requests = set(
        session.scalars(
            visible_requests.where(
                AssistanceRequest.id.in_([i.request_id for i in items if i.request_id])
            )
        )
    )
    proposals = set(
        session.scalars(
            visible_proposals.where(
                Proposal.id.in_([i.proposal_id for i in items if i.proposal_id])
            )
        )
    )
    return [
        {
            "id": i.id,
            "position": i.position,
            "title": i.title,
            "request_id": i.request_id if i.request_id in requests else None,
            "proposal_id": i.proposal_id if i.proposal_id in proposals else None,
            "outcome": i.outcome,
        }
        for i in items
    ]


def proposal_dict(p: Proposal, codes: dict[int, str]) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "text": p.text,
        "kind": p.kind,
        "tabled_by": codes[p.tabled_by_id],
        "tabled_by_id": p.tabled_by_id,  # for the policy's questions (pages)
        "tabled_at": p.tabled_at,
        "state": p.state,
        "silence_deadline": p.silence_deadline,
        "state_reason": p.state_reason,
        "illustrative": p.illustrative,
        "releasability": p.releasability,
    }


# ---- the lists people search (kit.listing) ----------------------------------------------------

_CONVENER_CODE = (
    select(Delegation.code).where(Delegation.id == Meeting.convened_by_id).scalar_subquery()
)
# A meeting's day: when it starts, or, until it is scheduled, when it was convened.
_MEETING_DAY = func.coalesce(Meeting.starts_at, Meeting.convened_at)

MEETINGS = Listing(
    path="/meetings",
    name="meetings",
    tiebreak=Meeting.id,
    columns=(
        Column("id", "#", Meeting.id, numeric=True),
        Column("title", N_("Meeting"), Meeting.title),
        Column("level", N_("Level"), Meeting.level),
        Column("convened_by", N_("Convened by"), _CONVENER_CODE),
        Column("when", N_("When"), _MEETING_DAY, exported=False),
        Column("hold_by", N_("Time limit"), Meeting.hold_by, exported=False),
        # The download's own columns: times in UTC, as a spreadsheet holds them.
        Column("state", N_("State"), shown=False),
        Column("crisis", N_("Crisis consultation"), shown=False),
        Column("convened_at", N_("Convened at (UTC)"), shown=False),
        Column("starts_at", N_("Starts at (UTC)"), shown=False),
        Column("time_zone", N_("Time zone"), shown=False),
        Column("place", N_("Place"), shown=False),
        Column("hold_by_utc", N_("Hold by (UTC)"), shown=False),
    ),
    filters=(
        Filter("kind", N_("Kind"), Meeting.crisis),
        Filter("state", N_("State"), Meeting.state),
        Filter("level", N_("Level"), Meeting.level),
        Filter("convened_by", N_("Convened by"), Meeting.convened_by_id),
        Filter("from", N_("From"), _MEETING_DAY, FilterKind.DATE_FROM),
        Filter("to", N_("To"), _MEETING_DAY, FilterKind.DATE_TO),
    ),
    search=(Meeting.title,),
    search_label=N_("Search the titles"),
    default_sort="-when",
    page_size=25,
)


def convener_options(session: Session) -> list[Option]:
    """Who may have convened a meeting: the council's delegations (members, partners and the
    secretariat), by name."""
    kinds = [k.value for k in (DelegationKind.MEMBER, DelegationKind.PARTNER)]
    kinds.append(DelegationKind.SECRETARIAT.value)
    rows = session.scalars(
        select(Delegation).where(Delegation.kind.in_(kinds)).order_by(Delegation.code)
    )
    return [Option(d.code, f"{d.name} ({d.code})", d.id) for d in rows]


def meetings_statement(reader: Actor) -> Select[Any]:
    """The meetings ``reader`` may see, for the list to filter, sort and page."""
    return select(Meeting).where(readable_meetings(reader))


def meeting_rows(session: Session, rows: list[Any], now: dt.datetime) -> list[dict[str, Any]]:
    codes = _codes(session)
    return [meeting_dict(row[0], codes, now) for row in rows]


def meeting_export(m: dict[str, Any]) -> dict[str, Any]:
    """A meeting as the list's download holds it (the council's words in the reader's
    language, times in UTC)."""
    return {
        "id": m["id"],
        "title": m["title"],
        "level": term(m["level"]),
        "convened_by": m["convened_by"],
        "state": term(m["state"]),
        "crisis": m["crisis"],
        "convened_at": m["convened_at"],
        "starts_at": m["starts_at"],
        "time_zone": m["time_zone"],
        "place": m["place"],
        "hold_by_utc": m["hold_by"],
    }


def _by_procedure(procedure: str) -> ColumnElement[bool]:
    """A proposal decided, or being decided, by ``procedure``: under silence now or adopted
    under it; or adopted by consensus recorded in a meeting."""
    decided = select(Outcome.proposal_id).where(Outcome.procedure == procedure)
    if procedure == model.Procedure.SILENCE:
        return or_(Proposal.state == ProposalState.UNDER_SILENCE.value, Proposal.id.in_(decided))
    return Proposal.id.in_(decided)


_TABLER_CODE = (
    select(Delegation.code).where(Delegation.id == Proposal.tabled_by_id).scalar_subquery()
)

PROPOSALS = Listing(
    path="/proposals",
    name="proposals",
    tiebreak=Proposal.id,
    columns=(
        Column("id", "#", Proposal.id, numeric=True),
        Column("title", N_("Proposal"), Proposal.title),
        Column("kind", N_("Kind"), Proposal.kind),
        Column("tabled_by", N_("Tabled by"), _TABLER_CODE),
        Column("tabled_at", N_("Tabled at"), Proposal.tabled_at, exported=False),
        Column("state", N_("State"), Proposal.state),
        Column(
            "silence_deadline", N_("Silence deadline"), Proposal.silence_deadline, exported=False
        ),
        Column("tabled_at_utc", N_("Tabled at (UTC)"), shown=False),
        Column("deadline_utc", N_("Silence deadline (UTC)"), shown=False),
        Column("text", N_("Text"), shown=False),
    ),
    filters=(
        Filter("state", N_("State"), Proposal.state),
        Filter("procedure", N_("Procedure"), where=_by_procedure),
        Filter("from", N_("Tabled from"), Proposal.tabled_at, FilterKind.DATE_FROM),
        Filter("to", N_("Tabled until"), Proposal.tabled_at, FilterKind.DATE_TO),
    ),
    search=(Proposal.title, Proposal.text),
    search_label=N_("Search the titles and texts"),
    default_sort="-tabled_at",
    page_size=25,
)


def proposals_statement(reader: Actor) -> Select[Any]:
    """The proposals ``reader`` may see, for the list to filter, sort and page."""
    return select(Proposal).where(readable_proposals(reader))


def proposal_rows(session: Session, rows: list[Any]) -> list[dict[str, Any]]:
    codes = _codes(session)
    return [proposal_dict(row[0], codes) for row in rows]


def proposal_export(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": p["id"],
        "title": p["title"],
        "kind": term(p["kind"]),
        "tabled_by": p["tabled_by"],
        "state": term(p["state"]),
        "tabled_at_utc": p["tabled_at"],
        "deadline_utc": p["silence_deadline"],
        "text": p["text"],
    }


def list_proposals(
    session: Session,
    reader: Actor,
    *,
    state: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[int, list[dict[str, Any]]]:
    stmt = select(Proposal).where(readable_proposals(reader))
    if (state_v := _choice("state", state, ProposalState)) is not None:
        stmt = stmt.where(Proposal.state == state_v)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    codes = _codes(session)
    rows = session.scalars(
        stmt.order_by(Proposal.tabled_at.desc(), Proposal.id.desc()).offset(offset).limit(limit)
    )
    return int(total), [proposal_dict(p, codes) for p in rows]


def seated_delegations(session: Session, on: dt.date) -> list[dict[str, str]]:
    """The member and partner delegations seated on ``on``: who may attend and take
    positions (the hold form's list)."""
    return [{"code": d.code, "name": d.name} for d in seated_at_table(session, on)]


def get_proposal(
    session: Session, reader: Actor, proposal_id: int, now: dt.datetime
) -> dict[str, Any]:
    proposal = session.scalar(
        select(Proposal).where(Proposal.id == proposal_id, readable_proposals(reader))
    )
    if proposal is None:
        raise NotFound(_("proposal {id} does not exist").format(id=proposal_id))
    view = proposal_dict(proposal, _codes(session))
    history = position_history(session, proposal.id)
    current = model.current_positions(history)
    view["positions"] = [
        _position_dict(p) for p in sorted(current.values(), key=lambda p: p.delegation)
    ]
    view["history"] = [_position_dict(p) for p in history]
    view["objections"] = model.objections(current.values())
    view["awaiting"] = [
        d.code for d in seated_at_table(session, now.date()) if d.code not in current
    ]
    outcome = session.scalar(select(Outcome).where(Outcome.proposal_id == proposal.id))
    view["outcome"] = None if outcome is None else outcome_dict(outcome)
    return view


def _position_dict(p: model.StatedPosition) -> dict[str, Any]:
    return {
        "delegation": p.delegation,
        "stance": p.stance.value,
        "reason": p.reason,
        "stated_at": p.stated_at,
    }


def outcome_dict(o: Outcome) -> dict[str, Any]:
    return {
        "proposal_id": o.proposal_id,
        "adopted_text": o.adopted_text,
        "procedure": o.procedure,
        "meeting_id": o.meeting_id,
        "decided_at": o.decided_at,
        "review_on": o.review_on,
    }


def list_outcomes(session: Session, reader: Actor) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Outcome, Proposal.title)
        .join(Proposal, Proposal.id == Outcome.proposal_id)
        .where(readable_proposals(reader))
        .order_by(Outcome.decided_at.desc(), Outcome.id.desc())
    ).all()
    return [{**outcome_dict(o), "title": title} for o, title in rows]


# ---- what is due: for the scheduler ------------------------------------------------------------


def _ids(session: Session, stmt: Select[Any]) -> list[int]:
    return list(session.scalars(stmt))


def silences_due(session: Session, now: dt.datetime) -> list[int]:
    """Proposals whose silence has held to its deadline and that are not yet adopted."""
    return _ids(
        session,
        select(Proposal.id)
        .where(
            Proposal.state == ProposalState.UNDER_SILENCE.value,
            Proposal.silence_deadline <= now,
        )
        .order_by(Proposal.silence_deadline, Proposal.id),
    )


def consultations_late(session: Session, now: dt.datetime) -> list[int]:
    """Crisis consultations past their time limit, not held, and not yet flagged."""
    return _ids(
        session,
        select(Meeting.id)
        .where(
            Meeting.state.in_([MeetingState.REQUESTED.value, MeetingState.SCHEDULED.value]),
            Meeting.hold_by < now,
            Meeting.flagged_late_at.is_(None),
        )
        .order_by(Meeting.hold_by, Meeting.id),
    )


def silences_within(session: Session, now: dt.datetime, horizon: dt.timedelta) -> list[int]:
    """Proposals under silence whose deadline falls within ``horizon`` from now."""
    return _ids(
        session,
        select(Proposal.id)
        .where(
            Proposal.state == ProposalState.UNDER_SILENCE.value,
            Proposal.silence_deadline > now,
            Proposal.silence_deadline <= now + horizon,
        )
        .order_by(Proposal.silence_deadline, Proposal.id),
    )


def delegations_without_position(
    session: Session, proposal_id: int, on: dt.date
) -> list[Delegation]:
    stated = set(
        session.scalars(select(Position.delegation_id).where(Position.proposal_id == proposal_id))
    )
    return [d for d in seated_at_table(session, on) if d.id not in stated]


# ---- what waits for a delegation -------------------------------------------------------------


def waiting_for(session: Session, reader: Actor, now: dt.datetime) -> list[Waiting]:
    """What the council asks of the reader's delegation now: meetings to attend, proposals
    awaiting its position (with the silence deadline), and for the chair meetings to schedule
    or close. The title and the action are written in the reader's language; the kind stays
    the platform's word (marked in ``model``), translated where it is shown."""
    if reader.delegation_id is None:
        return []
    lines = _meetings_waiting(session, reader, now)
    if sits_at_the_table(reader.delegation_kind):
        lines += _proposals_waiting(session, reader)
    return lines


def _meetings_waiting(session: Session, reader: Actor, now: dt.datetime) -> list[Waiting]:
    chair = reader.is_secretariat
    states = [MeetingState.REQUESTED.value, MeetingState.SCHEDULED.value, MeetingState.HELD.value]
    meetings = session.scalars(
        select(Meeting).where(readable_meetings(reader), Meeting.state.in_(states))
    )
    lines: list[Waiting] = []
    for m in meetings:
        step = model.meeting_waits(MeetingState(m.state), m.starts_at, now, chair=chair)
        if step is None:
            continue
        kind, action = step
        due = m.starts_at if m.state == MeetingState.SCHEDULED.value else m.hold_by
        if m.crisis:
            what = _("Crisis consultation {id}: {title}").format(id=m.id, title=m.title)
        else:
            what = _("Meeting {id}: {title}").format(id=m.id, title=m.title)
        since = m.held_at or m.convened_at
        lines.append(
            Waiting(kind, what, _(action), f"/meetings/{m.id}", "meeting", m.id, due, since)
        )
    return lines


def _proposals_waiting(session: Session, reader: Actor) -> list[Waiting]:
    stated = select(Position.proposal_id).where(Position.delegation_id == reader.delegation_id)
    proposals = session.scalars(
        select(Proposal).where(
            readable_proposals(reader),
            Proposal.state.in_([s.value for s in model.OPEN_PROPOSALS]),
            Proposal.id.not_in(stated),
        )
    )
    lines = []
    for p in proposals:
        silence = p.state == ProposalState.UNDER_SILENCE.value
        lines.append(
            Waiting(
                N_("proposal under silence") if silence else N_("proposal awaiting your position"),
                _("Proposal {id}: {title}").format(id=p.id, title=p.title),
                _("object before the deadline, or stay silent to agree")
                if silence
                else _("state your position"),
                f"/proposals/{p.id}",
                "proposal",
                p.id,
                p.silence_deadline if silence else None,
                p.tabled_at,
            )
        )
    return lines
