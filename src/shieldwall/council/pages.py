"""HTML pages of the council: meetings and proposals.

Thin, as the assistance pages are: a form is parsed, one ``CouncilService`` use case runs in a
unit of work, and the browser is sent (303) back to the record with a one-line confirmation.
After an error the form is shown again with what was typed, and the message names the field by
the label the user sees. Which forms a page shows is asked of ``council.policy``; a
consequential step (closing a meeting, recording consensus, withdrawing a proposal) is tried
first and rolled back, and only then offered on a confirmation page: never one click.

Every word is in the viewer's language (``kit.i18n``): the council's stored words (states,
levels, kinds, positions) are marked in ``TERMS`` and shown with the ``term`` filter; times are
in the viewer's time zone, a meeting's own zone beside them; deadlines read "due in 3 days" or
"overdue by 6 h" against the platform's clock.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_timedelta
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
from shieldwall.kit.i18n import (
    N_,
    current_locale,
    current_time_zone,
    format_moment,
    format_number,
    ngettext,
    term,
)
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.inbox import time_left_text
from shieldwall.kit.listing import ListPage, Option, show_list
from shieldwall.kit.params import RecordId, parse_record_id
from shieldwall.kit.templating import TEMPLATES
from shieldwall.kit.text import check_text
from shieldwall.kit.uow import Platform

router = APIRouter(include_in_schema=False)
Choice = Annotated[str | None, Query(max_length=40)]

# The council's words stored as codes, for the catalogue (shown with the ``term`` filter).
TERMS = (
    # meeting states
    N_("requested"),
    N_("scheduled"),
    N_("held"),
    N_("closed"),
    # meeting levels
    N_("summit"),
    N_("foreign ministers"),
    N_("defence ministers"),
    N_("ambassadors"),
    N_("chiefs of defence"),
    N_("military representatives"),
    N_("political committee"),
    N_("unstated"),
    # proposals: kinds, states, procedures, positions
    N_("decision"),
    N_("statement"),
    N_("in discussion"),
    N_("under silence"),
    N_("adopted"),
    N_("withdrawn"),
    N_("meeting"),
    N_("silence"),
    N_("support"),
    N_("abstain"),
    N_("object"),
    # who may see a record (releasability)
    N_("own"),
    N_("partner"),
    N_("addressees"),
    N_("members"),
    N_("council"),
    N_("public"),
)

# ---- reading times ------------------------------------------------------------------------


def instant(value: dt.datetime | None, zone: str = "UTC") -> str:
    """An instant as people read it, always with its zone: "2024-04-05 12:00 Europe/Brussels
    (10:00 UTC)", or "2024-04-05 10:00 UTC" when the zone is UTC. (The obligations' pages
    use it; the council's show times in the viewer's zone: ``moment`` and ``in_zone``.)"""
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


TEMPLATES.env.filters["instant"] = instant


def in_zone(value: dt.datetime | None, zone: str | None) -> str:
    """A moment in a meeting's own time zone, named: "2024-04-05 10:00 Europe/Brussels" (the
    zone it was announced in, shown beside the viewer's own)."""
    if value is None:
        return "—"
    try:
        local = value.astimezone(ZoneInfo(zone or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):  # a name only the record knows
        return format_moment(value)
    return f"{local:%Y-%m-%d %H:%M} {zone}"


TEMPLATES.env.filters["in_zone"] = in_zone

_MINUTE = dt.timedelta(minutes=1)
_HOUR = dt.timedelta(hours=1)
_DAY = dt.timedelta(days=1)


def from_now(at: dt.datetime | None, now: dt.datetime) -> str:
    """When a meeting is, from now, in the viewer's language: "in 3 days", "5 hours ago"
    (rounded down to its largest whole unit, so that it never says later than it is)."""
    if at is None:
        return ""
    length = abs(at - now)
    unit = _DAY if length >= _DAY else _HOUR if length >= _HOUR else _MINUTE
    whole = (length // unit) * unit
    return format_timedelta(
        whole if at >= now else -whole,
        add_direction=True,
        threshold=1,
        locale=current_locale(),
    )


def duration(length: dt.timedelta) -> str:
    """A time limit in words: whole days when it is some ("7 days"), else hours ("36 hours")."""
    if length >= _DAY and length % _DAY == dt.timedelta(0):
        days = length // _DAY
        return ngettext("{num} day", "{num} days", days).format(num=format_number(days))
    hours = length / _HOUR
    shown = int(hours) if hours == int(hours) else round(hours, 2)
    return ngettext("{num} hour", "{num} hours", int(hours) if hours >= 1 else 1).format(
        num=format_number(shown)
    )


def hold_status(m: dict[str, Any], now: dt.datetime) -> str | None:
    """How a crisis consultation stands against its time limit, in words: "due in 7 days",
    "late: not held within its time limit, overdue by 6 h", "held in time" (the rules are the
    model's: ``held_in_time`` and ``late`` come from the query)."""
    if m["hold_by"] is None:
        return None
    if m["held_at"] is not None:
        return _("held in time") if m["held_in_time"] else _("held late, after its time limit")
    left = time_left_text(m["hold_by"], now)
    if m["late"]:
        return _("late: not held within its time limit, {overdue}").format(overdue=left)
    return left


# ---- forms --------------------------------------------------------------------------------

# The labels the forms show, so that an error names the field as the user sees it (in the
# viewer's language: translated where an error names them).
LABELS = {
    "title": N_("Title"),
    "level": N_("Level"),
    "reason": N_("Reason"),
    "hold_within_hours": N_("Time limit in hours"),
    "agenda": N_("Agenda item"),
    "agenda_requests": N_("Requests on the agenda"),
    "other_items": N_("Other agenda items"),
    "request_id": N_("Request"),
    "proposal_id": N_("Proposal"),
    "starts_at": N_("Starts at"),
    "time_zone": N_("Time zone"),
    "place": N_("Place"),
    "chair": N_("Chair"),
    "attendance": N_("Attendance"),
    "held_at": N_("Held at"),
    "minutes": N_("Minutes"),
    "outcome": N_("Outcome"),
    "item_id": N_("Agenda item"),
    "text": N_("Text"),
    "kind": N_("Kind"),
    "meeting_id": N_("Meeting"),
    "stance": N_("Position"),
    "deadline": N_("Silence deadline"),
    "adopted_text": N_("Adopted text"),
    "review_on": N_("Review on"),
    "releasability": N_("Visible to"),
    "convened_by": N_("Convened by"),
    "tabled_by": N_("Tabled by"),
    "action": N_("Action"),
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
        return _("Represented by ({code})").format(code=field.removeprefix("represented_by_"))
    return _(LABELS[field]) if field in LABELS else field.replace("_", " ").capitalize()


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
        raise InvalidInput(field, _("give a number of hours, like 24")) from None


def local_instant(field: str, text: str, zone: str) -> dt.datetime:
    """A date and time typed in a ``datetime-local`` field, read in ``zone``, as UTC."""
    try:
        naive = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        naive = None
    if naive is None or naive.tzinfo is not None:
        raise InvalidInput(field, _("give a date and a time, like 2024-04-05 10:00"))
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


def _names(s: Session) -> dict[str, str]:
    return {d["code"]: d["name"] for d in assistance.list_delegations(s)}


def _key() -> str:
    """A fresh idempotency key for a create form: sent twice, the form creates once."""
    return secrets.token_urlsafe(18)


def _visibility(default: Releasability) -> list[str]:
    return [r.value for r in Releasability if r.rank >= default.rank]


# ---- meetings -----------------------------------------------------------------------------


def _meeting_view(m: dict[str, Any], now: dt.datetime, names: dict[str, str]) -> dict[str, Any]:
    return {
        **m,
        "convener_name": names.get(m["convened_by"], m["convened_by"]),
        "hold_status": hold_status(m, now),
        "from_now": from_now(m["starts_at"], now),
    }


def _terms(values: Any) -> list[Option]:
    """A filter's choices among the council's words, labelled in the viewer's language."""
    return [Option(v.value, term(v.value)) for v in values]


def _meeting_options(s: Session) -> dict[str, list[Option]]:
    """The meeting list's filter choices, labelled in the viewer's language."""
    return {
        "kind": [
            Option("crisis", _("crisis consultations"), True),
            Option("regular", _("other meetings"), False),
        ],
        "state": _terms(MeetingState),
        "level": _terms(MeetingLevel),
        "convened_by": queries.convener_options(s),
    }


@router.get("/meetings", response_class=HTMLResponse)
def meetings_page(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """The council's meetings: filtered by kind, state, level, convener and dates, searched
    by title, sorted by any column, paged; the download holds the whole filtered view."""
    now = ctx.clock.now()

    def rows(s: Session, batch: list[Any]) -> list[dict[str, Any]]:
        names = _names(s)
        return [_meeting_view(m, now, names) for m in queries.meeting_rows(s, batch, now)]

    listed = ListPage(
        template="meetings.html",
        listing=queries.MEETINGS,
        statement=lambda _view: queries.meetings_statement(who),
        rows=rows,
        export=queries.meeting_export,
        options=_meeting_options,
    )
    return show_list(request, ctx, listed, {"may_convene": policy.may_convene(who)})


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
            "crisis_hours": format_number(hours),
            "crisis_limit": duration(dt.timedelta(hours=hours)),
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
        title = titles.get(request_id) or _("Request {id}").format(id=request_id)
        agenda.append(AgendaEntry(title, request_id))
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
    "convened": N_("Meeting convened. Nobody can block it; the chair schedules it."),
    "schedule": N_("Meeting scheduled."),
    "agenda": N_("Agenda item added."),
    "hold": N_("Meeting recorded as held, with who attended."),
    "minutes": N_("Minutes recorded."),
    "outcome": N_("Outcome of the agenda item recorded."),
    "close": N_("Meeting closed: its record is complete."),
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
            "done_text": _(MEETING_DONE[done]) if done in MEETING_DONE else None,
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
    """The meeting page's forms: schedule, agenda, hold, minutes, outcomes, close. What cannot
    be undone — recording it as held, closing it — is confirmed first."""
    form = await posted_form(request)
    action = str(form.get("action") or "")
    try:
        values = _checked(form)
        if action == "close" and values.get("confirmed") != "yes":
            tried(ctx, lambda service: service.close(who, meeting_id))
            return _confirm_close(request, ctx, who, meeting_id)
        if action == "hold" and values.get("confirmed") != "yes":
            tried(
                ctx,
                lambda service: _meeting_form_action(service, who, meeting_id, form, values),
            )
            return _confirm_hold(request, ctx, who, meeting_id, form, values)
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
        raise InvalidInput("action", _("unknown action {action!r}").format(action=action))


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
            "question": _("Close meeting {id}, “{title}”?").format(id=m["id"], title=m["title"]),
            "consequences": [
                ngettext(
                    "Its record becomes final: the minutes and the outcome of its "
                    "{num} agenda item can no longer be changed.",
                    "Its record becomes final: the minutes and the outcome of each of its "
                    "{num} agenda items can no longer be changed.",
                    len(m["agenda"]),
                ).format(num=format_number(len(m["agenda"]))),
                _("It leaves the chair's list of meetings to close."),
            ],
            "post_to": f"/meetings/{meeting_id}/act",
            "fields": [("action", "close")],
            "yes": _("Yes, close the meeting"),
            "back": f"/meetings/{meeting_id}",
        },
    )


def _confirm_hold(
    request: Request,
    ctx: Ctx,
    who: Actor,
    meeting_id: int,
    form: FormData,
    values: dict[str, str],
) -> HTMLResponse:
    now = ctx.clock.now()
    with ctx.reading() as s:
        m = queries.get_meeting(s, who, meeting_id, now)
    typed = values.get("held_at", "")
    held_at = local_instant("held_at", typed, m["time_zone"] or "UTC") if typed.strip() else now
    attended = [str(code) for code in form.getlist("attend")]
    who_came = []
    fields = [("action", "hold"), ("held_at", typed)]
    for code in attended:
        fields += [("attend", code)]
        represented_by = values.get(f"represented_by_{code}", "").strip()
        if represented_by:
            fields += [(f"represented_by_{code}", represented_by)]
            who_came.append(f"{code} ({represented_by})")
        else:
            who_came.append(code)
    return TEMPLATES.TemplateResponse(
        request,
        "council_confirm.html",
        {
            "question": _("Record meeting {id}, “{title}”, as held?").format(
                id=m["id"], title=m["title"]
            ),
            "consequences": [
                _("Held at {moment}.").format(moment=format_moment(held_at)),
                _("Attended: {delegations}.").format(delegations=", ".join(who_came)),
                _(
                    "It can no longer be rescheduled; the chair then records its minutes and "
                    "an outcome for each agenda item, and closes it."
                ),
            ],
            "post_to": f"/meetings/{meeting_id}/act",
            "fields": fields,
            "yes": _("Yes, record it as held"),
            "back": f"/meetings/{meeting_id}",
        },
    )


# ---- proposals ----------------------------------------------------------------------------


def _proposal_view(p: dict[str, Any], now: dt.datetime, names: dict[str, str]) -> dict[str, Any]:
    silence = p["state"] == ProposalState.UNDER_SILENCE and p["silence_deadline"] is not None
    return {
        **p,
        "tabler_name": names.get(p["tabled_by"], p["tabled_by"]),
        "silence_left": time_left_text(p["silence_deadline"], now) if silence else "",
    }


def _proposal_options(_s: Session) -> dict[str, list[Option]]:
    """The proposal list's filter choices, labelled in the viewer's language."""
    return {
        "state": _terms(ProposalState),
        "procedure": [
            Option(model.Procedure.SILENCE.value, _("silence procedure")),
            Option(model.Procedure.MEETING.value, _("consensus in a meeting")),
        ],
    }


@router.get("/proposals", response_class=HTMLResponse)
def proposals_page(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """The council's proposals: filtered by state, procedure and the day tabled, searched by
    title and text, sorted by any column, paged; the download holds the whole filtered view."""
    now = ctx.clock.now()

    def rows(s: Session, batch: list[Any]) -> list[dict[str, Any]]:
        names = _names(s)
        return [_proposal_view(p, now, names) for p in queries.proposal_rows(s, batch)]

    listed = ListPage(
        template="proposals.html",
        listing=queries.PROPOSALS,
        statement=lambda _view: queries.proposals_statement(who),
        rows=rows,
        export=queries.proposal_export,
        options=_proposal_options,
    )
    return show_list(request, ctx, listed, {"may_table": policy.may_table(who)})


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
    "tabled": N_("Proposal tabled. Delegations may now state their positions."),
    "position": N_("Position stated."),
    "circulate": N_("Proposal circulated under the silence procedure."),
    "consensus": N_("Consensus recorded: the proposal is adopted."),
    "withdraw": N_("Proposal withdrawn."),
}
# How an outcome was reached (translated in the template).
PROCEDURES = {
    "meeting": N_("by consensus, recorded by the chair"),
    "silence": N_("under the silence procedure: no objection by the deadline"),
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
            "done_text": _(PROPOSAL_DONE[done]) if done in PROPOSAL_DONE else None,
            "error": error,
            "v": values or {},
        },
        status_code=status_code,
    )


@router.post("/proposals/{proposal_id}/act", response_class=HTMLResponse)
async def act_on_proposal(
    request: Request, ctx: Ctx, who: PageActor, proposal_id: RecordId
) -> Response:
    """The proposal page's forms: position, circulate, consensus, withdraw. What cannot be
    undone — circulating under silence, breaking silence, recording consensus, withdrawing —
    is confirmed first."""
    form = await posted_form(request)
    action = str(form.get("action") or "")
    try:
        values = _checked(form)
        asks = _asks_confirmation(ctx, who, proposal_id, values)
        if asks and values.get("confirmed") != "yes":
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


def _asks_confirmation(ctx: Ctx, who: Actor, proposal_id: int, values: dict[str, str]) -> bool:
    action = values.get("action", "")
    if action in ("circulate", "consensus", "withdraw"):
        return True
    if action != "position" or values.get("stance", "").strip().lower() != Stance.OBJECT:
        return False
    with ctx.reading() as s:
        state = ProposalState(queries.get_proposal(s, who, proposal_id, ctx.clock.now())["state"])
    return model.breaks_silence(state, Stance.OBJECT)


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
        deadline = _silence_deadline(values)
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
        raise InvalidInput("action", _("unknown action {action!r}").format(action=action))


def _silence_deadline(values: dict[str, str]) -> dt.datetime:
    """The silence deadline typed, read in the viewer's time zone (the form says which)."""
    return local_instant("deadline", values.get("deadline", ""), current_time_zone())


def _confirmation_wording(p: dict[str, Any], values: dict[str, str]) -> tuple[str, list[str], str]:
    """The question, its consequences and the yes-button of the page confirming an act on
    proposal ``p``: each act says in its own words what it will change, before it is done."""
    action = values["action"]
    named = {"id": p["id"], "title": p["title"]}
    reason = _("Reason: {reason}").format(reason=values.get("reason", "").strip())
    if action == "consensus":
        review = values.get("review_on", "").strip()
        question = _("Record consensus on proposal {id}, “{title}”?").format(**named)
        adopted = values.get("adopted_text", "").strip() or p["text"]
        consequences = [
            _("The proposal is adopted, by consensus: no objection stands."),
            _("Adopted text: {text}").format(text=adopted),
            _("Review on {day}.").format(day=review) if review else _("No review date."),
        ]
        yes = _("Yes, record consensus")
    elif action == "circulate":
        question = _("Circulate proposal {id}, “{title}”, under the silence procedure?").format(
            **named
        )
        circulated = values.get("text", "").strip() or p["text"]
        consequences = [
            _(
                "It is adopted at {moment} unless a delegation objects, with a reason, before then."
            ).format(moment=format_moment(_silence_deadline(values))),
            _(
                "Every delegation at the table is told now; those that have stated no "
                "position are reminded 24 h and 1 h before the deadline."
            ),
            _("Text circulated: {text}").format(text=circulated),
        ]
        yes = _("Yes, circulate under silence")
    elif action == "position":
        question = _("Break silence on proposal {id}, “{title}”?").format(**named)
        consequences = [
            _(
                "Your delegation's objection breaks silence: the proposal is not adopted at "
                "its deadline and returns to discussion."
            ),
            _("Every delegation at the table is told of the objection and its reason."),
            reason,
        ]
        yes = _("Yes, object and break silence")
    else:
        question = _("Withdraw proposal {id}, “{title}”?").format(**named)
        consequences = [
            _("It leaves the council's discussion; positions stated on it are kept."),
            reason,
        ]
        yes = _("Yes, withdraw the proposal")
    return question, consequences, yes


def _confirm_proposal(
    request: Request, ctx: Ctx, who: Actor, proposal_id: int, values: dict[str, str]
) -> HTMLResponse:
    with ctx.reading() as s:
        p = queries.get_proposal(s, who, proposal_id, ctx.clock.now())
    question, consequences, yes = _confirmation_wording(p, values)
    keep = ("action", "adopted_text", "review_on", "reason", "deadline", "text", "stance")
    return TEMPLATES.TemplateResponse(
        request,
        "council_confirm.html",
        {
            "question": question,
            "consequences": consequences,
            "post_to": f"/proposals/{proposal_id}/act",
            "fields": [(k, values[k]) for k in keep if k in values],
            "yes": yes,
            "back": f"/proposals/{proposal_id}",
        },
    )
