"""Reads of obligation clocks, each filtered by releasability inside its query (DESIGN rule 4):
a trigger by its own level, a due item through its instrument."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from shieldwall.access.model import Actor
from shieldwall.council.tables import Attendance, Meeting
from shieldwall.council.visibility import readable_meetings
from shieldwall.delegations.service import delegation_by_code
from shieldwall.delegations.tables import Delegation
from shieldwall.guarantees.model import DECLARED_TRIGGERS, ObligationAction, Trigger
from shieldwall.guarantees.tables import Instrument, Obligation
from shieldwall.guarantees.visibility import readable_instruments
from shieldwall.kit.errors import InvalidInput, NotFound
from shieldwall.kit.i18n import N_, format_moment, term
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.inbox import Waiting
from shieldwall.kit.listing import Column, Filter, FilterKind, Listing, Option
from shieldwall.obligations import model, policy
from shieldwall.obligations.model import DueState, Standing
from shieldwall.obligations.tables import DueItem, TriggerEvent
from shieldwall.obligations.visibility import readable_due_items, readable_triggers


def _codes(session: Session) -> dict[int, str]:
    return {d_id: code for d_id, code in session.execute(select(Delegation.id, Delegation.code))}


def member_filter_id(session: Session, code: str | None, field: str = "member") -> int | None:
    """The delegation a ``member`` filter names (an error naming the field if none)."""
    return None if code is None else delegation_by_code(session, code, field).id


# ---- triggers --------------------------------------------------------------------------------


def trigger_dict(t: TriggerEvent, codes: dict[int, str]) -> dict[str, Any]:
    return {
        "id": t.id,
        "kind": t.kind,
        "partner": codes[t.partner_id],
        "partner_id": t.partner_id,
        "declared_by": codes[t.declared_by_id],
        "declared_at": t.declared_at,
        "occurred_at": t.occurred_at,
        "description": t.description,
        "meeting_id": t.meeting_id,
        "exercise": t.exercise,
        "illustrative": t.illustrative,
        "releasability": t.releasability,
    }


def list_triggers(
    session: Session,
    reader: Actor,
    *,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[int, list[dict[str, Any]]]:
    """The triggers the reader may see, the latest event first, with how many of their due
    items (those the reader may see) stand open, met and overdue."""
    stmt = select(TriggerEvent).where(readable_triggers(reader))
    if kind is not None:
        try:
            stmt = stmt.where(TriggerEvent.kind == Trigger(kind).value)
        except ValueError:
            raise InvalidInput("kind", _("no kind of event {kind!r}").format(kind=kind)) from None
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(TriggerEvent.occurred_at.desc(), TriggerEvent.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    codes = _codes(session)
    counts = _counts_by_trigger(session, reader, [t.id for t in rows])
    views = [{**trigger_dict(t, codes), "counts": counts.get(t.id, _zero())} for t in rows]
    return int(total), views


def _zero() -> dict[str, int]:
    return {s.name.lower(): 0 for s in Standing}


def _counts_by_trigger(
    session: Session, reader: Actor, ids: list[int]
) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(DueItem.trigger_event_id, DueItem.state, DueItem.met_at).where(
            DueItem.trigger_event_id.in_(ids), readable_due_items(reader)
        )
    )
    for trigger_id, state, met_at in rows:
        assert trigger_id is not None  # filtered on above
        counts = found.setdefault(trigger_id, _zero())
        counts[model.standing(DueState(state), met_at).name.lower()] += 1
    return found


def get_trigger(
    session: Session, reader: Actor, trigger_id: int, now: dt.datetime
) -> dict[str, Any]:
    """A trigger with its due items (those the reader may see) and its crisis consultation
    (if the reader may see the meeting)."""
    event = session.scalar(
        select(TriggerEvent).where(TriggerEvent.id == trigger_id, readable_triggers(reader))
    )
    if event is None:
        raise NotFound(_("trigger {trigger_id} does not exist").format(trigger_id=trigger_id))
    view = trigger_dict(event, _codes(session))
    _n, view["due_items"] = list_due_items(session, reader, now, trigger_id=event.id, limit=1000)
    view["meeting"] = None
    if event.meeting_id is not None:
        meeting = session.scalar(
            select(Meeting).where(Meeting.id == event.meeting_id, readable_meetings(reader))
        )
        view["meeting"] = None if meeting is None else _meeting_summary(meeting)
    return view


def _meeting_summary(m: Meeting) -> dict[str, Any]:
    return {
        "id": m.id,
        "title": m.title,
        "state": m.state,
        "hold_by": m.hold_by,
        "starts_at": m.starts_at,
        "held_at": m.held_at,
    }


# ---- due items -------------------------------------------------------------------------------

_DUE_COLUMNS = (DueItem, Obligation, Instrument, TriggerEvent)


_DueRow = tuple[DueItem, Obligation, Instrument, TriggerEvent | None]


def due_select() -> Select[DueItem, Obligation, Instrument, TriggerEvent]:
    return (
        select(*_DUE_COLUMNS)
        .join(Obligation, Obligation.id == DueItem.obligation_id)
        .join(Instrument, Instrument.id == DueItem.instrument_id)
        .outerjoin(TriggerEvent, TriggerEvent.id == DueItem.trigger_event_id)
    )


@dataclass(frozen=True)
class SeenLinks:
    """The events and consultations a reader may open, among those some due items link to."""

    triggers: frozenset[int] = frozenset()
    meetings: frozenset[int] = frozenset()


def seen_links(session: Session, reader: Actor, rows: Iterable[Any]) -> SeenLinks:
    """Which of ``rows``' events and consultations ``reader`` may see, each by its own
    feature's rule (``readable_triggers``, ``readable_meetings``): a due item is seen through
    its instrument, and must not show the id of an event or meeting its reader may not open."""
    events = [r[3] for r in rows if r[3] is not None]
    triggers = {e.id for e in events}
    meetings = {e.meeting_id for e in events if e.meeting_id is not None}
    seen_triggers = session.scalars(
        select(TriggerEvent.id).where(TriggerEvent.id.in_(triggers), readable_triggers(reader))
    )
    seen_meetings = session.scalars(
        select(Meeting.id).where(Meeting.id.in_(meetings), readable_meetings(reader))
    )
    return SeenLinks(frozenset(seen_triggers), frozenset(seen_meetings))


def due_item_dict(
    item: DueItem,
    obligation: Obligation,
    instrument: Instrument,
    event: TriggerEvent | None,
    codes: dict[int, str],
    now: dt.datetime,
    seen: SeenLinks,
) -> dict[str, Any]:
    action = ObligationAction(obligation.action)
    meeting = None if event is None else event.meeting_id
    return {
        "id": item.id,
        "member": codes[item.member_id],
        "member_id": item.member_id,  # for the policy's questions (pages)
        "instrument_id": instrument.id,
        "instrument": instrument.title,
        "obligation_id": obligation.id,
        "action": action.value,
        "duty": model.duty(action, item.period_year),
        "trigger": obligation.trigger,
        "within_hours": obligation.within_hours,
        "trigger_id": item.trigger_event_id if item.trigger_event_id in seen.triggers else None,
        "meeting_id": meeting if meeting in seen.meetings else None,
        "period_year": item.period_year,
        "year": _year(item, event),
        "opened_at": item.opened_at,
        "due_at": item.due_at,
        "state": model.standing(DueState(item.state), item.met_at).value,
        "time_left_seconds": (item.due_at - now) // dt.timedelta(seconds=1),
        "met_at": item.met_at,
        "evidence": item.evidence,
        "overdue_at": item.overdue_at,
        "exercise": event is not None and event.exercise,
        "illustrative": instrument.illustrative
        or obligation.illustrative
        or (event is not None and event.illustrative),
    }


def _year(item: DueItem, event: TriggerEvent | None) -> int:
    """The year an item counts toward: a year-end item's period; a trigger's item the year
    (UTC) its event occurred in."""
    if item.period_year is not None:
        return int(item.period_year)
    assert event is not None
    return model.occurred_on(event.occurred_at).year


def standing_condition(state: str) -> Any:
    try:
        wanted = Standing(state)
    except ValueError:
        choices = ", ".join(s.value for s in Standing)
        raise InvalidInput("state", _("use one of {choices}").format(choices=choices)) from None
    stored = DueItem.state == model.STORED[wanted].value
    if wanted == Standing.OVERDUE:
        return and_(stored, DueItem.met_at.is_(None))
    if wanted == Standing.MET_LATE:
        return and_(stored, DueItem.met_at.is_not(None))
    return stored


# Overdue and not met first, then open, then what is settled; each by its deadline.
URGENCY = case(
    (and_(DueItem.state == DueState.OVERDUE.value, DueItem.met_at.is_(None)), 0),
    (DueItem.state == DueState.OPEN.value, 1),
    else_=2,
)


def list_due_items(
    session: Session,
    reader: Actor,
    now: dt.datetime,
    *,
    state: str | None = None,
    member: str | None = None,
    instrument_id: int | None = None,
    trigger_id: int | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[int, list[dict[str, Any]]]:
    """The due items the reader may see: overdue first, then open, then met; each group by
    its deadline, the soonest first."""
    stmt = due_select().where(readable_due_items(reader))
    if state is not None:
        stmt = stmt.where(standing_condition(state))
    if (member_v := member_filter_id(session, member)) is not None:
        stmt = stmt.where(DueItem.member_id == member_v)
    if instrument_id is not None:
        stmt = stmt.where(DueItem.instrument_id == instrument_id)
    if trigger_id is not None:
        stmt = stmt.where(DueItem.trigger_event_id == trigger_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    ordered = stmt.order_by(URGENCY, DueItem.due_at, DueItem.id).offset(offset).limit(limit)
    codes = _codes(session)
    rows = session.execute(ordered).all()
    seen = seen_links(session, reader, rows)
    return int(total), [_as_dict(row, codes, now, seen) for row in rows]


def _as_dict(
    row: _DueRow, codes: dict[int, str], now: dt.datetime, seen: SeenLinks
) -> dict[str, Any]:
    item, obligation, instrument, event = row
    return due_item_dict(item, obligation, instrument, event, codes, now, seen)


def members_with_obligations(session: Session, reader: Actor) -> list[str]:
    """The codes of the members with a due item the reader may see (the list's filter)."""
    return sorted(
        session.scalars(
            select(Delegation.code)
            .join(DueItem, DueItem.member_id == Delegation.id)
            .where(readable_due_items(reader))
            .distinct()
        )
    )


def get_due_item(
    session: Session, reader: Actor, due_item_id: int, now: dt.datetime
) -> dict[str, Any]:
    row = session.execute(
        due_select().where(DueItem.id == due_item_id, readable_due_items(reader))
    ).one_or_none()
    if row is None:
        raise NotFound(_("obligation {due_item_id} does not exist").format(due_item_id=due_item_id))
    return _as_dict(row, _codes(session), now, seen_links(session, reader, [row]))


# ---- compliance --------------------------------------------------------------------------------


@dataclass
class DueCount:
    """One instrument's year: how many of its due items stand met, overdue and open.
    ``overdue`` counts every item whose deadline passed unmet, also those met late since
    (``met_late`` says how many of them were)."""

    instrument_id: int
    member: str
    year: int
    met: int = 0
    overdue: int = 0
    met_late: int = 0
    open: int = 0

    def add(self, now: Standing) -> None:
        if now == Standing.MET:
            self.met += 1
        elif now == Standing.OPEN:
            self.open += 1
        else:
            self.overdue += 1
            self.met_late += now == Standing.MET_LATE


def due_counts(
    session: Session,
    reader: Actor,
    *,
    instrument_id: int | None = None,
    member_id: int | None = None,
    year: int | None = None,
) -> list[DueCount]:
    """Per readable instrument and year: due items met, overdue and open. A trigger's items
    count toward the year its event occurred in (UTC); a year-end item toward its year."""
    stmt = (
        select(DueItem, TriggerEvent, Delegation.code)
        .join(Instrument, Instrument.id == DueItem.instrument_id)
        .join(Delegation, Delegation.id == DueItem.member_id)
        .outerjoin(TriggerEvent, TriggerEvent.id == DueItem.trigger_event_id)
        .where(readable_instruments(reader))
    )
    if instrument_id is not None:
        stmt = stmt.where(DueItem.instrument_id == instrument_id)
    if member_id is not None:
        stmt = stmt.where(DueItem.member_id == member_id)
    rows: dict[tuple[int, int], DueCount] = {}
    for item, event, code in session.execute(stmt):
        counted = _year(item, event)
        if year is not None and counted != year:
            continue
        key = (item.instrument_id, counted)
        rows.setdefault(key, DueCount(item.instrument_id, code, counted)).add(
            model.standing(DueState(item.state), item.met_at)
        )
    return sorted(rows.values(), key=lambda c: (c.member, c.instrument_id, c.year))


def instrument_titles(session: Session, reader: Actor, ids: Iterable[int]) -> dict[int, str]:
    """The titles of the readable instruments among ``ids``."""
    return dict(
        session.execute(
            select(Instrument.id, Instrument.title).where(
                Instrument.id.in_(list(ids)), readable_instruments(reader)
            )
        ).all()
    )


# ---- what is due: for the scheduler ------------------------------------------------------------


def _ids(session: Session, stmt: Select[Any]) -> list[int]:
    return list(session.scalars(stmt))


def consultations_to_settle(session: Session, _now: dt.datetime) -> list[int]:
    """Duties to consult, not yet met, whose crisis consultation has been held with the
    member attending."""
    return _ids(
        session,
        select(DueItem.id)
        .join(Obligation, Obligation.id == DueItem.obligation_id)
        .join(TriggerEvent, TriggerEvent.id == DueItem.trigger_event_id)
        .join(Meeting, Meeting.id == TriggerEvent.meeting_id)
        .join(
            Attendance,
            and_(
                Attendance.meeting_id == Meeting.id,
                Attendance.delegation_id == DueItem.member_id,
            ),
        )
        .where(
            Obligation.action == ObligationAction.CONSULT.value,
            DueItem.met_at.is_(None),
            Meeting.held_at.is_not(None),
        )
        .order_by(DueItem.due_at, DueItem.id),
    )


def overdue_to_mark(session: Session, now: dt.datetime) -> list[int]:
    """Open items whose deadline has passed."""
    return _ids(
        session,
        select(DueItem.id)
        .where(DueItem.state == DueState.OPEN.value, DueItem.due_at < now)
        .order_by(DueItem.due_at, DueItem.id),
    )


def year_ends_to_open(session: Session, now: dt.datetime) -> list[tuple[int, int]]:
    """(obligation, year) for each year-end obligation's ended year, in which its instrument
    was in force, that has no item yet."""
    opened = set(
        session.execute(
            select(DueItem.obligation_id, DueItem.period_year).where(
                DueItem.period_year.is_not(None)
            )
        )
    )
    rows = session.execute(
        select(Obligation.id, Instrument)
        .join(Instrument, Instrument.id == Obligation.instrument_id)
        .where(Obligation.trigger == Trigger.YEAR_END.value)
        .order_by(Obligation.id)
    )
    due: list[tuple[int, int]] = []
    for obligation_id, i in rows:
        years = model.years_to_report(
            i.valid_from, i.valid_until, i.notice_given_on, i.termination_notice_months, now
        )
        due += [(obligation_id, y) for y in years if (obligation_id, y) not in opened]
    return due


# ---- what waits for a delegation -------------------------------------------------------------


def waiting_for(session: Session, reader: Actor, now: dt.datetime) -> list[Waiting]:
    """The reader's delegation's obligations that wait for it: open ones until their
    deadline, and overdue ones it may still meet late — a duty to report until it is
    recorded, a duty to consult until its consultation has been held."""
    if reader.delegation_id is None:
        return []
    not_held = or_(TriggerEvent.meeting_id.is_(None), Meeting.held_at.is_(None))
    stmt = (
        due_select()
        .outerjoin(Meeting, Meeting.id == TriggerEvent.meeting_id)
        .where(
            readable_due_items(reader),
            DueItem.member_id == reader.delegation_id,
            or_(
                DueItem.state == DueState.OPEN.value,
                and_(
                    DueItem.state == DueState.OVERDUE.value,
                    DueItem.met_at.is_(None),
                    or_(Obligation.action == ObligationAction.REPORT.value, not_held),
                ),
            ),
        )
    )
    return [_line(reader, *row) for row in session.execute(stmt)]


def _line(
    reader: Actor,
    item: DueItem,
    obligation: Obligation,
    instrument: Instrument,
    event: TriggerEvent | None,
) -> Waiting:
    action = ObligationAction(obligation.action)
    todo = _("{duty} by {moment}").format(
        duty=model.duty(action, item.period_year), moment=format_moment(item.due_at)
    )
    if not policy.allowed(reader, policy.Action.RECORD_MET, item.member_id):
        todo = _("{delegation} to {todo} (you have read-only access)").format(
            delegation=reader.delegation, todo=model.in_sentence(todo)
        )
    if event is not None:
        what = _("{trigger} of {day}").format(
            trigger=term(obligation.trigger), day=model.occurred_on(event.occurred_at)
        )
    else:
        what = _("year {year}").format(year=item.period_year)
    title = model.exercise_marked(f"{instrument.title}: {what}", bool(event and event.exercise))
    overdue = item.state == DueState.OVERDUE.value
    return Waiting(
        "obligation overdue" if overdue else "obligation due",
        title,
        todo,
        f"/obligations/{item.id}",
        "due_item",
        item.id,
        item.due_at,
        item.opened_at,
    )


# ---- the lists people search (kit.listing) ------------------------------------------------------

DECLARED_TRIGGERS_SORTED = sorted(DECLARED_TRIGGERS)

Holder = aliased(Delegation, name="holder")
Declarer = aliased(Delegation, name="declarer")


def due_items_listing(session: Session, reader: Actor) -> tuple[Listing, Select[Any]]:
    """The obligations list — by holder, state, trigger and deadline, an instrument or holder
    searched; overdue first unless another sort is asked — and the statement it runs."""
    holders = [
        Option(code, f"{name} ({code})", delegation_id)
        for delegation_id, code, name in session.execute(
            select(Delegation.id, Delegation.code, Delegation.name)
            .join(DueItem, DueItem.member_id == Delegation.id)
            .where(readable_due_items(reader))
            .distinct()
            .order_by(Delegation.code)
        )
    ]
    listing = Listing(
        path="/obligations",
        name="obligations",
        tiebreak=DueItem.id,
        default_sort="state",
        columns=(
            Column("id", N_("Obligation"), DueItem.id, numeric=True),
            Column("member", N_("Member"), Holder.code),
            Column("instrument", N_("Instrument"), func.lower(Instrument.title)),
            Column("duty", N_("Duty")),
            Column("started_by", N_("Started by"), DueItem.opened_at),
            Column("due", N_("Deadline"), DueItem.due_at),
            Column("left", N_("Time left"), exported=False),
            Column("state", N_("State"), URGENCY),
        ),
        filters=(
            Filter("member", N_("Member"), DueItem.member_id, options=tuple(holders)),
            Filter(
                "state",
                N_("State"),
                options=tuple(Option(s.value, term(s.value)) for s in Standing),
                where=standing_condition,
            ),
            Filter(
                "trigger",
                N_("Trigger"),
                Obligation.trigger,
                options=tuple(Option(t.value, term(t.value)) for t in Trigger),
            ),
            Filter("due_from", N_("Due from"), DueItem.due_at, FilterKind.DATE_FROM),
            Filter("due_to", N_("Due until"), DueItem.due_at, FilterKind.DATE_TO),
        ),
        search=(Instrument.title, Holder.name, Holder.code),
        search_label=N_("Search instruments and members"),
    )
    stmt = cast(
        Select[Any],
        due_select().join(Holder, Holder.id == DueItem.member_id).where(readable_due_items(reader)),
    )
    return listing, stmt


def due_item_rows(
    session: Session, reader: Actor, rows: Iterable[Any], now: dt.datetime
) -> list[dict[str, Any]]:
    codes, found = _codes(session), list(rows)
    seen = seen_links(session, reader, found)
    return [_as_dict((r[0], r[1], r[2], r[3]), codes, now, seen) for r in found]


def due_item_export(item: dict[str, Any]) -> dict[str, Any]:
    """A due item as a download's row, in the viewer's language; moments in UTC."""
    started = (
        term(item["trigger"])
        if item["period_year"] is None
        else _("year end {year}").format(year=item["period_year"])
    )
    return {
        "id": item["id"],
        "member": item["member"],
        "instrument": item["instrument"],
        "duty": item["duty"],
        "started_by": started,
        "due": item["due_at"],
        "state": term(item["state"]),
    }


def triggers_listing(session: Session, reader: Actor) -> tuple[Listing, Select[Any]]:
    """The declared events — by kind and date, their descriptions searched, the latest first —
    and the statement it runs."""
    listing = Listing(
        path="/triggers",
        name="events",
        tiebreak=TriggerEvent.id,
        default_sort="-occurred",
        page_size=25,
        columns=(
            Column("id", "#", TriggerEvent.id, numeric=True),
            Column("event", N_("Event"), TriggerEvent.kind),
            Column("occurred", N_("Occurred"), TriggerEvent.occurred_at),
            Column("declared_by", N_("Declared by"), Declarer.code),
            Column("open", N_("Open"), numeric=True),
            Column("met", N_("Met"), numeric=True),
            Column("overdue", N_("Overdue"), numeric=True),
        ),
        filters=(
            Filter(
                "kind",
                N_("Event"),
                TriggerEvent.kind,
                options=tuple(Option(t.value, term(t.value)) for t in DECLARED_TRIGGERS_SORTED),
            ),
            Filter("from", N_("Occurred from"), TriggerEvent.occurred_at, FilterKind.DATE_FROM),
            Filter("to", N_("Occurred until"), TriggerEvent.occurred_at, FilterKind.DATE_TO),
        ),
        search=(TriggerEvent.description,),
        search_label=N_("Search descriptions"),
    )
    stmt = cast(
        Select[Any],
        select(TriggerEvent)
        .join(Declarer, Declarer.id == TriggerEvent.declared_by_id)
        .where(readable_triggers(reader)),
    )
    return listing, stmt


def trigger_rows(
    session: Session, reader: Actor, events: list[TriggerEvent]
) -> list[dict[str, Any]]:
    """The events of a page, with how many of their due items (those the reader may see)
    stand open, met and overdue."""
    codes = _codes(session)
    counts = _counts_by_trigger(session, reader, [t.id for t in events])
    return [{**trigger_dict(t, codes), "counts": counts.get(t.id, _zero())} for t in events]


def trigger_export(row: dict[str, Any]) -> dict[str, Any]:
    counts = row["counts"]
    return {
        "id": row["id"],
        "event": term(row["kind"]),
        "occurred": row["occurred_at"],
        "declared_by": row["declared_by"],
        "open": counts["open"],
        "met": counts["met"],
        "overdue": counts["overdue"] + counts["met_late"],
    }
