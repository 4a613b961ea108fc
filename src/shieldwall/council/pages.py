"""HTML pages of the council: meetings and proposals.

Thin, as the assistance pages are: a form is parsed, one ``CouncilService`` use case runs in a
unit of work, and the browser is sent (303) back to the record with a one-line confirmation.
After an error the form is shown again with what was typed, and the message names the field by
the label the user sees. Which forms a page shows is asked of ``council.policy``; a
consequential step (closing a meeting, recording consensus, withdrawing a proposal) is tried
first and rolled back, and only then offered on a confirmation page: never one click.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from shieldwall.access import forms
from shieldwall.access.forms import FormError, posted_form
from shieldwall.access.model import Actor, Releasability
from shieldwall.access.web import Ctx, PageActor
from shieldwall.assistance import queries as assistance
from shieldwall.assistance.model import RequestState
from shieldwall.council import model, policy, queries
from shieldwall.council.model import (
    NEW_MEETING_LEVELS,
    MeetingLevel,
    MeetingState,
    ProposalKind,
    ProposalState,
    Stance,
)
from shieldwall.council.service import AgendaEntry, CouncilService, time_zone
from shieldwall.kit.dates import check_day, parse_day
from shieldwall.kit.errors import DomainError, InvalidInput, NotFound
from shieldwall.kit.params import PageNumber, RecordId, parse_record_id
from shieldwall.kit.templating import TEMPLATES
from shieldwall.kit.text import check_text
from shieldwall.kit.uow import Platform

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
Choice = Annotated[str | None, Query(max_length=40)]

# ---- reading times ------------------------------------------------------------------------


def instant(value: dt.datetime | None, zone: str = "UTC") -> str:
    """An instant as people read it, always with its zone: "2024-04-05 12:00 Europe/Brussels
    (10:00 UTC)", or "2024-04-05 10:00 UTC" when the zone is UTC."""
    if value is None:
        return "—"
    utc = value.astimezone(dt.UTC)
    try:
        local = utc.astimezone(ZoneInfo(zone)) if zone and zone != "UTC" else None
    except (ZoneInfoNotFoundError, ValueError):  # a name only the record knows: show UTC
        local = None
    if local is None:
        return f"{utc:%Y-%m-%d %H:%M} UTC"
    in_utc = f"{utc:%H:%M}" if local.date() == utc.date() else f"{utc:%Y-%m-%d %H:%M}"
    return f"{local:%Y-%m-%d %H:%M} {zone} ({in_utc} UTC)"


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n:,} {unit}s"


def span(length: dt.timedelta) -> str:
    """A length of time in its two largest units, rounded down: "6 days 23 hours"."""
    minutes = int(length // dt.timedelta(minutes=1))
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    while parts and parts[0][0] == 0:
        parts.pop(0)
    shown = [_plural(n, unit) for n, unit in parts[:2] if n]
    return " ".join(shown) or "less than a minute"


def time_left(due: dt.datetime | None, now: dt.datetime) -> str:
    """How long until ``due``, or how long ago it passed."""
    if due is None:
        return ""
    if now < due:
        return f"{span(due - now)} left"
    return f"passed {span(now - due)} ago"


TEMPLATES.env.filters["instant"] = instant


def hold_status(m: dict[str, Any], now: dt.datetime) -> str | None:
    """How a crisis consultation stands against its time limit, in words (the rules are the
    model's: ``held_in_time`` and ``late`` come from the query)."""
    if m["hold_by"] is None:
        return None
    if m["held_at"] is not None:
        return "held in time" if m["held_in_time"] else "held late, after its time limit"
    if m["late"]:
        return f"late: not held within its time limit, which passed {span(now - m['hold_by'])} ago"
    return f"to be held within {span(m['hold_by'] - now)}"


# ---- forms --------------------------------------------------------------------------------

# The labels the forms show, so that an error names the field as the user sees it.
LABELS = {
    "title": "Title",
    "level": "Level",
    "reason": "Reason",
    "hold_within_hours": "Time limit in hours",
    "agenda": "Agenda item",
    "agenda_requests": "Requests on the agenda",
    "other_items": "Other agenda items",
    "request_id": "Request",
    "proposal_id": "Proposal",
    "starts_at": "Starts at",
    "time_zone": "Time zone",
    "place": "Place",
    "chair": "Chair",
    "attendance": "Attendance",
    "held_at": "Held at",
    "minutes": "Minutes",
    "outcome": "Outcome",
    "item_id": "Agenda item",
    "text": "Text",
    "kind": "Kind",
    "meeting_id": "Meeting",
    "stance": "Position",
    "deadline": "Silence deadline",
    "adopted_text": "Adopted text",
    "review_on": "Review on",
    "releasability": "Visible to",
    "convened_by": "Convened by",
    "tabled_by": "Tabled by",
    "action": "Action",
}
# Fields that may hold several lines, with their longest length; every other field is one
# line of at most 200 characters (the API's limits).
TEXTS = {
    "reason": 2000,
    "text": 20000,
    "minutes": 20000,
    "outcome": 20000,
    "adopted_text": 20000,
    "other_items": 20000,
}
LIST_FIELDS = ("attend", "agenda_requests")


def label(field: str) -> str:
    if field.startswith("represented_by_"):
        return f"Represented by ({field.removeprefix('represented_by_')})"
    return LABELS.get(field, field.replace("_", " ").capitalize())


def form_error(exc: DomainError) -> FormError:
    return forms.form_error(exc, label)


def _typed(form: FormData) -> dict[str, Any]:
    """What was typed, to be shown again with an error (lists for the multiple choices)."""
    typed: dict[str, Any] = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    for name in LIST_FIELDS:
        typed[name] = [str(v) for v in form.getlist(name)]
    return typed


def _checked(form: FormData) -> dict[str, str]:
    """A form's text fields, each checked for control characters and length (``kit.text``)."""
    checked: dict[str, str] = {}
    for k, v in form.multi_items():
        if isinstance(v, str):
            longest = TEXTS.get(k)
            multiline = longest is not None
            checked[k] = check_text(k, v, multiline=multiline, max_length=longest or 200)
    return checked


def _hours(field: str, text: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(field, "give a number of hours, like 24") from None


def local_instant(field: str, text: str, zone: str) -> dt.datetime:
    """A date and time typed in a ``datetime-local`` field, read in ``zone``, as UTC."""
    try:
        naive = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        naive = None
    if naive is None or naive.tzinfo is not None:
        raise InvalidInput(field, "give a date and a time, like 2024-04-05 10:00")
    check_day(field, naive.date())
    return naive.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


class _TriedOk(Exception):
    """Raised to roll back a use case that was only tried."""


def tried(ctx: Platform, run: Callable[[CouncilService], object]) -> None:
    """Try a use case and roll it back, so that a confirmation is asked only for what would
    be done; a DomainError says why it would not."""
    try:
        with ctx.unit_of_work() as uow:
            run(CouncilService(uow))
            raise _TriedOk
    except _TriedOk:
        pass


def _pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def _known(value: str | None, kind: Any) -> str | None:
    return value if value in {k.value for k in kind} else None


def _names(s: Session) -> dict[str, str]:
    return {d["code"]: d["name"] for d in assistance.list_delegations(s)}


def _key() -> str:
    """A fresh idempotency key for a create form: sent twice, the form creates once."""
    return secrets.token_urlsafe(18)


def _visibility(default: Releasability) -> list[str]:
    return [r.value for r in Releasability if r.rank >= default.rank]


# ---- meetings -----------------------------------------------------------------------------

CRISIS_FILTER = {"yes": True, "no": False}


def _meeting_view(m: dict[str, Any], now: dt.datetime, names: dict[str, str]) -> dict[str, Any]:
    return {
        **m,
        "convener_name": names.get(m["convened_by"], m["convened_by"]),
        "hold_status": hold_status(m, now),
        "hold_left": time_left(m["hold_by"], now) if m["hold_by"] else "",
    }


@router.get("/meetings", response_class=HTMLResponse)
def meetings_page(
    request: Request,
    ctx: Ctx,
    who: PageActor,
    page: PageNumber = 1,
    state: Choice = None,
    level: Choice = None,
    crisis: Choice = None,
) -> HTMLResponse:
    shown = {
        "state": _known(state, MeetingState),
        "level": _known(level, MeetingLevel),
        "crisis": crisis if crisis in CRISIS_FILTER else None,
    }
    now = ctx.clock.now()
    with ctx.reading() as s:
        total, meetings = queries.list_meetings(
            s,
            who,
            now,
            state=shown["state"],
            level=shown["level"],
            crisis=CRISIS_FILTER.get(shown["crisis"] or ""),
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        names = _names(s)
    return TEMPLATES.TemplateResponse(
        request,
        "meetings.html",
        {
            "meetings": [_meeting_view(m, now, names) for m in meetings],
            "filters": shown,
            "query": urlencode({k: v for k, v in shown.items() if v}),
            "states": [s.value for s in MeetingState],
            "levels": [lv.value for lv in MeetingLevel],
            "total": total,
            "page": page,
            "pages": _pages(total),
            "may_convene": policy.may_convene(who),
        },
    )


def _active_requests(s: Session, who: Actor) -> list[dict[str, Any]]:
    """The active requests ``who`` may see: what may be brought before the council."""
    return [
        {"id": r.id, "title": r.title, "partner": r.partner}
        for r in assistance.list_requests(s, who)
        if r.state == RequestState.ACTIVE
    ]


def _open_proposals(s: Session, who: Actor) -> list[dict[str, Any]]:
    _n, proposals = queries.list_proposals(s, who, limit=1000)
    return [p for p in proposals if ProposalState(p["state"]) in model.OPEN_PROPOSALS]


def _convene_form(
    request: Request,
    ctx: Ctx,
    who: Actor,
    *,
    values: dict[str, Any] | None = None,
    error: FormError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with ctx.reading() as s:
        requests = _active_requests(s, who)
    hours = ctx.settings.crisis_consultation_hours
    return TEMPLATES.TemplateResponse(
        request,
        "meeting_new.html",
        {
            "may_convene": policy.may_convene(who),
            "levels": [lv.value for lv in NEW_MEETING_LEVELS],
            "requests": requests,
            "crisis_hours": f"{hours:g}",
            "crisis_limit": span(dt.timedelta(hours=hours)),
            "visibility": _visibility(policy.MEETING_DEFAULT),
            "v": values or {"idempotency_key": _key()},
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/meetings/new", response_class=HTMLResponse)
def new_meeting_page(request: Request, ctx: Ctx, who: PageActor) -> HTMLResponse:
    return _convene_form(request, ctx, who)


def _new_agenda(
    s: Session, who: Actor, form: FormData, values: dict[str, str]
) -> list[AgendaEntry]:
    """The agenda of a new meeting: the requests picked (each under its own title), then one
    item per line of the free text."""
    titles = {r["id"]: r["title"] for r in _active_requests(s, who)}
    agenda = []
    for text in form.getlist("agenda_requests"):
        request_id = parse_record_id("agenda_requests", str(text))
        agenda.append(AgendaEntry(titles.get(request_id, f"Request {request_id}"), request_id))
    lines = values.get("other_items", "").splitlines()
    agenda += [AgendaEntry(line.strip()) for line in lines if line.strip()]
    return agenda


@router.post("/meetings/new", response_class=HTMLResponse)
async def convene_form(request: Request, ctx: Ctx, who: PageActor) -> Response:
    form = await posted_form(request)
    try:
        values = _checked(form)
        with ctx.unit_of_work() as uow:
            meeting_id = CouncilService(uow).convene(
                who,
                title=values.get("title", ""),
                level=values.get("level", ""),
                crisis=values.get("crisis") == "yes",
                reason=values.get("reason", ""),
                agenda=_new_agenda(uow.session, who, form, values),
                hold_within_hours=_hours("hold_within_hours", values.get("hold_within_hours", "")),
                releasability=values.get("releasability") or None,
                idempotency_key=values.get("idempotency_key") or None,
            )
    except DomainError as exc:
        return _convene_form(
            request, ctx, who, values=_typed(form), error=form_error(exc), status_code=exc.status
        )
    return RedirectResponse(f"/meetings/{meeting_id}?done=convened", status_code=303)


MEETING_DONE = {
    "convened": "Meeting convened. Nobody can block it; the chair schedules it.",
    "schedule": "Meeting scheduled.",
    "agenda": "Agenda item added.",
    "hold": "Meeting recorded as held, with who attended.",
    "minutes": "Minutes recorded.",
    "outcome": "Outcome of the agenda item recorded.",
    "close": "Meeting closed: its record is complete.",
}
# Time zones offered on the schedule form; any IANA name may be typed.
ZONES = (
    "UTC",
    "Europe/Brussels",
    "Europe/Kyiv",
    "Europe/Vilnius",
    "Europe/Warsaw",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/London",
    "America/New_York",
)


@router.get("/meetings/{meeting_id}", response_class=HTMLResponse)
def meeting_page(
    request: Request, ctx: Ctx, who: PageActor, meeting_id: RecordId, done: Choice = None
) -> HTMLResponse:
    return _meeting_page(request, ctx, who, meeting_id, done=done)


def _meeting_choices(s: Session, who: Actor, actions: set[str], on: dt.date) -> dict[str, Any]:
    """What the meeting's forms offer: requests and proposals for the agenda, the seated
    delegations for the attendance."""
    agenda = "add_agenda_item" in actions
    return {
        "requests": _active_requests(s, who) if agenda else [],
        "proposals": _open_proposals(s, who) if agenda else [],
        "seated": queries.seated_delegations(s, on) if "hold" in actions else [],
    }


def _without_outcome(m: dict[str, Any]) -> list[str]:
    return [i["title"] for i in m["agenda"] if i["outcome"] is None]


def _meeting_page(
    request: Request,
    ctx: Ctx,
    who: Actor,
    meeting_id: int,
    *,
    done: str | None = None,
    error: FormError | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = ctx.clock.now()
    with ctx.reading() as s:
        m = queries.get_meeting(s, who, meeting_id, now)
        actions = policy.meeting_actions(who, MeetingState(m["state"]), m["convened_by_id"])
        names = _names(s)
        choices = _meeting_choices(s, who, actions, now.date())
    return TEMPLATES.TemplateResponse(
        request,
        "meeting_detail.html",
        {
            "m": _meeting_view(m, now, names),
            "names": names,
            "actions": actions,
            "missing": model.missing_for_closing(m["minutes"], _without_outcome(m)),
            "done_text": MEETING_DONE.get(done or ""),
            "error": error,
            "v": values or {},
            "zones": ZONES,
            **choices,
        },
        status_code=status_code,
    )


@router.post("/meetings/{meeting_id}/act", response_class=HTMLResponse)
async def act_on_meeting(
    request: Request, ctx: Ctx, who: PageActor, meeting_id: RecordId
) -> Response:
    """The meeting page's forms: schedule, agenda, hold, minutes, outcomes, close."""
    form = await posted_form(request)
    action = str(form.get("action") or "")
    try:
        values = _checked(form)
        if action == "close" and values.get("confirmed") != "yes":
            tried(ctx, lambda service: service.close(who, meeting_id))
            return _confirm_close(request, ctx, who, meeting_id)
        with ctx.unit_of_work() as uow:
            _meeting_form_action(CouncilService(uow), who, meeting_id, form, values)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return _meeting_page(
            request,
            ctx,
            who,
            meeting_id,
            error=form_error(exc),
            values=_typed(form),
            status_code=exc.status,
        )
    return RedirectResponse(f"/meetings/{meeting_id}?done={action}", status_code=303)


def _meeting_form_action(
    service: CouncilService, who: Actor, meeting_id: int, form: FormData, values: dict[str, str]
) -> None:
    """Carry out one form of the meeting page, as its API route would."""
    action = values.get("action", "")
    if action == "schedule":
        zone = time_zone(values.get("time_zone", "").strip() or "UTC")
        service.schedule(
            who,
            meeting_id,
            starts_at=local_instant("starts_at", values.get("starts_at", ""), zone),
            place=values.get("place", ""),
            time_zone_name=zone,
            chair=values.get("chair", ""),
        )
    elif action == "agenda":
        service.add_agenda_item(who, meeting_id, _agenda_entry(service, who, values))
    elif action == "hold":
        held_at = values.get("held_at", "")
        zone = service.load_meeting(who, meeting_id).time_zone
        attendance = {
            str(code): values.get(f"represented_by_{code}", "") for code in form.getlist("attend")
        }
        when = local_instant("held_at", held_at, zone) if held_at.strip() else None
        service.hold(who, meeting_id, attendance=attendance, held_at=when)
    elif action == "minutes":
        service.record_minutes(who, meeting_id, values.get("minutes", ""))
    elif action == "outcome":
        item_id = parse_record_id("item_id", values.get("item_id", ""))
        service.record_item_outcome(who, meeting_id, item_id, values.get("outcome", ""))
    elif action == "close":
        service.close(who, meeting_id)
    else:
        raise InvalidInput("action", f"unknown action {action!r}")


def _agenda_entry(service: CouncilService, who: Actor, values: dict[str, str]) -> AgendaEntry:
    """An agenda item from the page: its title, else the title of the request or proposal
    it brings (a request or proposal the reader may not see is refused by the service)."""
    request_id = values.get("request_id", "").strip()
    proposal_id = values.get("proposal_id", "").strip()
    entry = AgendaEntry(
        values.get("title", ""),
        parse_record_id("request_id", request_id) if request_id else None,
        parse_record_id("proposal_id", proposal_id) if proposal_id else None,
    )
    if entry.title.strip():
        return entry
    title = ""
    if entry.request_id is not None:
        found = {r["id"]: r["title"] for r in _active_requests(service.s, who)}
        title = found.get(entry.request_id, "")
    elif entry.proposal_id is not None:
        title = service.load_proposal(who, entry.proposal_id, field="proposal_id").title
    return AgendaEntry(title, entry.request_id, entry.proposal_id)


def _confirm_close(request: Request, ctx: Ctx, who: Actor, meeting_id: int) -> HTMLResponse:
    with ctx.reading() as s:
        m = queries.get_meeting(s, who, meeting_id, ctx.clock.now())
    return TEMPLATES.TemplateResponse(
        request,
        "council_confirm.html",
        {
            "question": f"Close meeting {m['id']}, “{m['title']}”?",
            "consequences": [
                "Its record becomes final: the minutes and the outcome of each of its "
                f"{_plural(len(m['agenda']), 'agenda item')} can no longer be changed.",
                "It leaves the chair's list of meetings to close.",
            ],
            "post_to": f"/meetings/{meeting_id}/act",
            "fields": {"action": "close"},
            "yes": "Yes, close the meeting",
            "back": f"/meetings/{meeting_id}",
        },
    )


# ---- proposals ----------------------------------------------------------------------------


def _proposal_view(p: dict[str, Any], now: dt.datetime, names: dict[str, str]) -> dict[str, Any]:
    silence = p["state"] == ProposalState.UNDER_SILENCE and p["silence_deadline"] is not None
    return {
        **p,
        "tabler_name": names.get(p["tabled_by"], p["tabled_by"]),
        "silence_left": time_left(p["silence_deadline"], now) if silence else "",
    }


@router.get("/proposals", response_class=HTMLResponse)
def proposals_page(
    request: Request, ctx: Ctx, who: PageActor, page: PageNumber = 1, state: Choice = None
) -> HTMLResponse:
    shown = _known(state, ProposalState)
    now = ctx.clock.now()
    with ctx.reading() as s:
        total, proposals = queries.list_proposals(
            s, who, state=shown, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        names = _names(s)
    return TEMPLATES.TemplateResponse(
        request,
        "proposals.html",
        {
            "proposals": [_proposal_view(p, now, names) for p in proposals],
            "state": shown,
            "query": urlencode({"state": shown} if shown else {}),
            "states": [s.value for s in ProposalState],
            "total": total,
            "page": page,
            "pages": _pages(total),
            "may_table": policy.may_table(who),
        },
    )


def _agenda_meetings(s: Session, who: Actor, now: dt.datetime) -> list[dict[str, Any]]:
    """The meetings on whose agenda ``who`` may put a proposal (the policy says which)."""
    _n, meetings = queries.list_meetings(s, who, now, limit=1000)
    return [
        m
        for m in meetings
        if "add_agenda_item"
        in policy.meeting_actions(who, MeetingState(m["state"]), m["convened_by_id"])
    ]


def _proposal_form(
    request: Request,
    ctx: Ctx,
    who: Actor,
    *,
    values: dict[str, Any] | None = None,
    error: FormError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with ctx.reading() as s:
        meetings = _agenda_meetings(s, who, ctx.clock.now())
    return TEMPLATES.TemplateResponse(
        request,
        "proposal_new.html",
        {
            "may_table": policy.may_table(who),
            "kinds": [k.value for k in ProposalKind],
            "meetings": meetings,
            "visibility": _visibility(policy.PROPOSAL_DEFAULT),
            "v": values or {"idempotency_key": _key(), "kind": ProposalKind.DECISION.value},
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/proposals/new", response_class=HTMLResponse)
def new_proposal_page(request: Request, ctx: Ctx, who: PageActor) -> HTMLResponse:
    return _proposal_form(request, ctx, who)


@router.post("/proposals/new", response_class=HTMLResponse)
async def table_proposal_form(request: Request, ctx: Ctx, who: PageActor) -> Response:
    form = await posted_form(request)
    try:
        values = _checked(form)
        meeting = values.get("meeting_id", "").strip()
        with ctx.unit_of_work() as uow:
            proposal_id = CouncilService(uow).table_proposal(
                who,
                title=values.get("title", ""),
                text=values.get("text", ""),
                kind=values.get("kind", ""),
                meeting_id=parse_record_id("meeting_id", meeting) if meeting else None,
                releasability=values.get("releasability") or None,
                idempotency_key=values.get("idempotency_key") or None,
            )
    except DomainError as exc:
        return _proposal_form(
            request, ctx, who, values=_typed(form), error=form_error(exc), status_code=exc.status
        )
    return RedirectResponse(f"/proposals/{proposal_id}?done=tabled", status_code=303)


PROPOSAL_DONE = {
    "tabled": "Proposal tabled. Delegations may now state their positions.",
    "position": "Position stated.",
    "circulate": "Proposal circulated under the silence procedure.",
    "consensus": "Consensus recorded: the proposal is adopted.",
    "withdraw": "Proposal withdrawn.",
}
PROCEDURES = {
    "meeting": "by consensus, recorded by the chair",
    "silence": "under the silence procedure: no objection by the deadline",
}


@router.get("/proposals/{proposal_id}", response_class=HTMLResponse)
def proposal_page(
    request: Request, ctx: Ctx, who: PageActor, proposal_id: RecordId, done: Choice = None
) -> HTMLResponse:
    return _proposal_page(request, ctx, who, proposal_id, done=done)


def _proposal_page(
    request: Request,
    ctx: Ctx,
    who: Actor,
    proposal_id: int,
    *,
    done: str | None = None,
    error: FormError | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = ctx.clock.now()
    with ctx.reading() as s:
        p = queries.get_proposal(s, who, proposal_id, now)
        names = _names(s)
    actions = policy.proposal_actions(who, ProposalState(p["state"]), p["tabled_by_id"])
    own = next((x for x in p["positions"] if x["delegation"] == who.delegation), None)
    return TEMPLATES.TemplateResponse(
        request,
        "proposal_detail.html",
        {
            "p": _proposal_view(p, now, names),
            "names": names,
            "actions": actions,
            "own": own,
            "stances": [st.value for st in Stance],
            "procedures": PROCEDURES,
            "done_text": PROPOSAL_DONE.get(done or ""),
            "error": error,
            "v": values or {},
        },
        status_code=status_code,
    )


@router.post("/proposals/{proposal_id}/act", response_class=HTMLResponse)
async def act_on_proposal(
    request: Request, ctx: Ctx, who: PageActor, proposal_id: RecordId
) -> Response:
    """The proposal page's forms: position, circulate, consensus, withdraw."""
    form = await posted_form(request)
    action = str(form.get("action") or "")
    try:
        values = _checked(form)
        if action in ("consensus", "withdraw") and values.get("confirmed") != "yes":
            tried(ctx, lambda service: _proposal_form_action(service, who, proposal_id, values))
            return _confirm_proposal(request, ctx, who, proposal_id, values)
        with ctx.unit_of_work() as uow:
            _proposal_form_action(CouncilService(uow), who, proposal_id, values)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return _proposal_page(
            request,
            ctx,
            who,
            proposal_id,
            error=form_error(exc),
            values=_typed(form),
            status_code=exc.status,
        )
    return RedirectResponse(f"/proposals/{proposal_id}?done={action}", status_code=303)


def _proposal_form_action(
    service: CouncilService, who: Actor, proposal_id: int, values: dict[str, str]
) -> None:
    """Carry out one form of the proposal page, as its API route would."""
    action = values.get("action", "")
    if action == "position":
        service.state_position(
            who, proposal_id, stance=values.get("stance", ""), reason=values.get("reason", "")
        )
    elif action == "circulate":
        deadline = local_instant("deadline", values.get("deadline", ""), "UTC")
        service.circulate(who, proposal_id, deadline=deadline, text=values.get("text") or None)
    elif action == "consensus":
        review = values.get("review_on", "").strip()
        service.record_consensus(
            who,
            proposal_id,
            adopted_text=values.get("adopted_text") or None,
            review_on=parse_day("review_on", review) if review else None,
        )
    elif action == "withdraw":
        service.withdraw_proposal(who, proposal_id, values.get("reason", ""))
    else:
        raise InvalidInput("action", f"unknown action {action!r}")


def _confirm_proposal(
    request: Request, ctx: Ctx, who: Actor, proposal_id: int, values: dict[str, str]
) -> HTMLResponse:
    with ctx.reading() as s:
        p = queries.get_proposal(s, who, proposal_id, ctx.clock.now())
    action = values["action"]
    if action == "consensus":
        review = values.get("review_on", "").strip()
        question = f"Record consensus on proposal {p['id']}, “{p['title']}”?"
        consequences = [
            "The proposal is adopted, by consensus: no objection stands.",
            "Adopted text: " + (values.get("adopted_text", "").strip() or p["text"]),
            f"Review on {review}." if review else "No review date.",
        ]
        yes = "Yes, record consensus"
    else:
        question = f"Withdraw proposal {p['id']}, “{p['title']}”?"
        consequences = [
            "It leaves the council's discussion; positions stated on it are kept.",
            "Reason: " + values.get("reason", "").strip(),
        ]
        yes = "Yes, withdraw the proposal"
    keep = ("action", "adopted_text", "review_on", "reason")
    return TEMPLATES.TemplateResponse(
        request,
        "council_confirm.html",
        {
            "question": question,
            "consequences": consequences,
            "post_to": f"/proposals/{proposal_id}/act",
            "fields": {k: values[k] for k in keep if k in values},
            "yes": yes,
            "back": f"/proposals/{proposal_id}",
        },
    )
