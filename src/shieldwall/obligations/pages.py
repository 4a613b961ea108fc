"""HTML pages of obligation clocks: declaring an event, its page, the obligations and one
obligation's page.

Thin, as the council's pages are: a form is parsed, one ``ObligationsService`` use case runs in
a unit of work, and the browser is sent (303) to the record with a one-line confirmation. A
declaration is consequential, so it is tried first and rolled back, and its consequences —
the obligations it opens, for whom and by when, and the consultation it convenes — are shown
on a confirmation page before it is made. Which forms a page shows is asked of
``obligations.policy``; after an error the form comes back with what was typed and the field
named by its label.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from shieldwall.access import forms
from shieldwall.access.forms import FormError, posted_form
from shieldwall.access.model import Actor, Releasability
from shieldwall.access.web import Ctx, PageActor
from shieldwall.council.pages import ZONES, local_instant
from shieldwall.council.service import time_zone
from shieldwall.delegations.model import DelegationKind
from shieldwall.delegations.service import the_partners
from shieldwall.guarantees.deadlines import deadline, is_overdue
from shieldwall.guarantees.model import DECLARED_TRIGGERS, ObligationAction
from shieldwall.kit.errors import DomainError, NotFound
from shieldwall.kit.i18n import (
    N_,
    current_time_zone,
    format_moment,
    format_number,
    ngettext,
    term,
    to_viewer_time,
)
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.listing import ListPage, show_list
from shieldwall.kit.params import RecordId
from shieldwall.kit.templating import TEMPLATES
from shieldwall.kit.text import check_text
from shieldwall.kit.uow import Platform
from shieldwall.obligations import policy, queries
from shieldwall.obligations.model import Standing, in_sentence
from shieldwall.obligations.service import ObligationsService

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
Choice = Annotated[str | None, Query(max_length=40)]

# The labels the forms show (translated where an error names the field).
LABELS = {
    "kind": N_("What happened"),
    "occurred_at": N_("When it occurred"),
    "time_zone": N_("Time zone"),
    "description": N_("Description"),
    "partner": N_("Partner"),
    "releasability": N_("Visible to"),
    "evidence": N_("Evidence"),
}
# How a due item stands, shown with the ``term`` filter (the triggers and actions are the
# guarantees' words, marked in ``guarantees.pages.TERMS``).
TERMS = (
    N_("open"),
    N_("met"),
    N_("met late"),
    N_("overdue"),
    # the kinds of line "Needs you now" shows (``queries.waiting_for``)
    N_("obligation due"),
    N_("obligation overdue"),
)
TEXTS = {"description": 5000, "evidence": 5000}
KINDS = sorted(k.value for k in DECLARED_TRIGGERS)


def label(field: str) -> str:
    return _(LABELS[field]) if field in LABELS else field.replace("_", " ").capitalize()


def form_error(exc: DomainError) -> FormError:
    return forms.form_error(exc, label)


async def _posted(request: Request) -> dict[str, str]:
    """The form's text fields as typed, once its CSRF token is checked."""
    form = await posted_form(request)
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


def _checked(values: dict[str, str]) -> dict[str, str]:
    """Each field held to the platform's text rule (``kit.text``) and its length."""
    for k, v in values.items():
        longest = TEXTS.get(k)
        check_text(k, v, multiline=longest is not None, max_length=longest or 200)
    return values


def _with_deadline(item: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """A due item with its deadline in words ("due in 17 hours", "overdue by 3 days")."""
    settled = item["state"] in (Standing.MET, Standing.MET_LATE)
    return {
        **item,
        "left": "" if settled else deadline(item["due_at"], now),
        "late": not settled and is_overdue(item["due_at"], now),
    }


# ---- declaring an event --------------------------------------------------------------------


def _declare_args(who: Actor, values: dict[str, str]) -> dict[str, Any]:
    """The use case's arguments from the form (the instant read in the time zone typed)."""
    zone = time_zone(values.get("time_zone", "").strip() or "UTC")
    return {
        "kind": values.get("kind", ""),
        "occurred_at": local_instant("occurred_at", values.get("occurred_at", ""), zone),
        "description": values.get("description", ""),
        "partner": values.get("partner") or None,
        "exercise": values.get("exercise") == "yes",
        "releasability": values.get("releasability") or None,
        "idempotency_key": values.get("idempotency_key") or None,
    }


def _partners(s: Session, who: Actor) -> list[dict[str, str]]:
    """The partners ``who`` may declare for: its own delegation, or every one for the chair."""
    partners = [{"code": d.code, "name": d.name} for d in the_partners(s)]
    if who.delegation_kind == DelegationKind.PARTNER:
        return [p for p in partners if p["code"] == who.delegation]
    return partners


def _declare_form(
    request: Request,
    ctx: Ctx,
    who: Actor,
    *,
    values: dict[str, Any] | None = None,
    error: FormError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with ctx.reading() as s:
        partners = _partners(s, who)
    now = to_viewer_time(ctx.clock.now())
    fresh = {
        "idempotency_key": secrets.token_urlsafe(18),
        "occurred_at": f"{now:%Y-%m-%dT%H:%M}",
        "time_zone": current_time_zone(),
    }
    return TEMPLATES.TemplateResponse(
        request,
        "trigger_new.html",
        {
            "may_declare": policy.may_declare(who),
            "kinds": KINDS,
            "partners": partners,
            "zones": ZONES,
            "visibility": [r.value for r in Releasability if r.rank >= policy.TRIGGER_DEFAULT.rank],
            "v": values or fresh,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/triggers/new", response_class=HTMLResponse)
def new_trigger_page(request: Request, ctx: Ctx, who: PageActor) -> HTMLResponse:
    return _declare_form(request, ctx, who)


class _Tried(Exception):
    """Raised to roll back a declaration that was only tried."""


def preview(ctx: Platform, who: Actor, args: dict[str, Any]) -> dict[str, Any]:
    """What the declaration would do — the trigger, its due items and its consultation, as
    ``who`` would then see them — tried and rolled back; a DomainError says why it would not."""
    seen: dict[str, Any] = {}
    try:
        with ctx.unit_of_work() as uow:
            trigger_id = ObligationsService(uow).declare_trigger(who, **args)
            seen.update(queries.get_trigger(uow.session, who, trigger_id, uow.clock.now()))
            raise _Tried
    except _Tried:
        pass
    return seen


def consequences(t: dict[str, Any]) -> list[str]:
    """The confirmation page's sentences: what the declaration opens and convenes, with
    times in the viewer's time zone."""
    items = t["due_items"]
    members = sorted({i["member"] for i in items})
    lines = []
    if items:
        latest = max(i["due_at"] for i in items)
        lines.append(
            ngettext(
                "This opens {num} obligation for {members}, due by {moment} at the latest:",
                "This opens {num} obligations for {members}, due by {moment} at the latest:",
                len(items),
            ).format(
                num=format_number(len(items)),
                members=", ".join(members),
                moment=format_moment(latest),
            )
        )
        lines += [
            _("{member}: {duty} by {moment} ({instrument})").format(
                member=i["member"],
                duty=in_sentence(i["duty"]),
                moment=format_moment(i["due_at"]),
                instrument=i["instrument"],
            )
            for i in items
        ]
    else:
        lines.append(_("This opens no obligation: no instrument in force binds a member to it."))
    meeting = t["meeting"]
    if meeting is not None and meeting["hold_by"] is not None:
        lines.append(
            _("It convenes a crisis consultation of the council, to be held by {moment}.").format(
                moment=format_moment(meeting["hold_by"])
            )
        )
    if t["exercise"]:
        lines.append(_("It is an exercise, and is marked as one wherever it shows."))
    return lines


@router.post("/triggers/new", response_class=HTMLResponse)
async def declare_form(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """Declare in two steps: the form is tried and its consequences shown; only the
    confirmation declares."""
    values = await _posted(request)
    if values.get("change") == "yes":
        return _declare_form(request, ctx, who, values=values)
    try:
        args = _declare_args(who, _checked(values))
        if values.get("confirmed") != "yes":
            seen = preview(ctx, who, args)
            return _confirm(request, values, seen)
        with ctx.unit_of_work() as uow:
            trigger_id = ObligationsService(uow).declare_trigger(who, **args)
    except DomainError as exc:
        return _declare_form(
            request, ctx, who, values=values, error=form_error(exc), status_code=exc.status
        )
    return RedirectResponse(f"/triggers/{trigger_id}?done=declared", status_code=303)


def _confirm(request: Request, values: dict[str, str], seen: dict[str, Any]) -> HTMLResponse:
    keep = ("kind", "occurred_at", "time_zone", "description", "partner", "exercise")
    fields = {k: values[k] for k in (*keep, "releasability", "idempotency_key") if k in values}
    return TEMPLATES.TemplateResponse(
        request,
        "trigger_confirm.html",
        {
            "question": _("Declare the {event} on {partner} of {moment}?").format(
                event=term(seen["kind"]),
                partner=seen["partner"],
                moment=format_moment(seen["occurred_at"]),
            ),
            "consequences": consequences(seen),
            "exercise": seen["exercise"],
            "fields": fields,
        },
    )


# ---- triggers --------------------------------------------------------------------------------


@router.get("/triggers", response_class=HTMLResponse)
def triggers_page(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """The declared events the reader may see, as a list to search (``triggers_listing``)."""
    with ctx.reading() as s:
        listing, stmt = queries.triggers_listing(s, who)
    page = ListPage(
        template="triggers.html",
        listing=listing,
        statement=lambda _chosen: stmt,
        rows=lambda s, found: queries.trigger_rows(s, who, [r[0] for r in found]),
        export=queries.trigger_export,
    )
    return show_list(request, ctx, page, {"may_declare": policy.may_declare(who)})


@router.get("/triggers/{trigger_id}", response_class=HTMLResponse)
def trigger_page(
    request: Request, ctx: Ctx, who: PageActor, trigger_id: RecordId, done: Choice = None
) -> HTMLResponse:
    now = ctx.clock.now()
    with ctx.reading() as s:
        t = queries.get_trigger(s, who, trigger_id, now)
    meeting = t["meeting"]
    return TEMPLATES.TemplateResponse(
        request,
        "trigger_detail.html",
        {
            "t": t,
            "items": [_with_deadline(i, now) for i in t["due_items"]],
            "hold_left": deadline(meeting["hold_by"], now)
            if meeting and meeting["hold_by"]
            else "",
            "done_text": _(
                "Event declared: the obligations' clocks have started, and the crisis "
                "consultation is convened."
            )
            if done == "declared"
            else None,
        },
    )


# ---- obligations -----------------------------------------------------------------------------


@router.get("/obligations", response_class=HTMLResponse)
def obligations_page(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """The due items the reader may see, as a list to search (``queries.due_items_listing``):
    overdue first, each with its deadline in words."""
    now = ctx.clock.now()
    with ctx.reading() as s:
        listing, stmt = queries.due_items_listing(s, who)
    page = ListPage(
        template="obligations.html",
        listing=listing,
        statement=lambda _chosen: stmt,
        rows=lambda s, found: [
            _with_deadline(i, now) for i in queries.due_item_rows(s, who, found, now)
        ],
        export=queries.due_item_export,
    )
    return show_list(request, ctx, page, {})


@router.get("/obligations/{due_item_id}", response_class=HTMLResponse)
def obligation_page(
    request: Request, ctx: Ctx, who: PageActor, due_item_id: RecordId, done: Choice = None
) -> HTMLResponse:
    return _obligation_page(request, ctx, who, due_item_id, done=done == "met")


def _obligation_page(
    request: Request,
    ctx: Ctx,
    who: Actor,
    due_item_id: int,
    *,
    done: bool = False,
    error: FormError | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = ctx.clock.now()
    with ctx.reading() as s:
        item = queries.get_due_item(s, who, due_item_id, now)
    may_meet = policy.may_record_met(
        who, ObligationAction(item["action"]), Standing(item["state"]), item["member_id"]
    )
    return TEMPLATES.TemplateResponse(
        request,
        "obligation_detail.html",
        {
            "i": _with_deadline(item, now),
            "may_meet": may_meet,
            "done_text": _("Obligation recorded as met.") if done else None,
            "error": error,
            "v": values or {},
        },
        status_code=status_code,
    )


@router.post("/obligations/{due_item_id}/met", response_class=HTMLResponse)
async def record_met_form(
    request: Request, ctx: Ctx, who: PageActor, due_item_id: RecordId
) -> Response:
    values = await _posted(request)
    try:
        evidence = _checked(values).get("evidence", "")
        if values.get("confirmed") != "yes":
            tried_met(ctx, who, due_item_id, evidence)
            return _confirm_met(request, ctx, who, due_item_id, evidence)
        with ctx.unit_of_work() as uow:
            ObligationsService(uow).record_met(who, due_item_id, evidence)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return _obligation_page(
            request,
            ctx,
            who,
            due_item_id,
            error=form_error(exc),
            values=values,
            status_code=exc.status,
        )
    return RedirectResponse(f"/obligations/{due_item_id}?done=met", status_code=303)


def tried_met(ctx: Platform, who: Actor, due_item_id: int, evidence: str) -> None:
    """Record as met, and roll it back: a confirmation is asked only for what would be done;
    a DomainError says why it would not."""
    try:
        with ctx.unit_of_work() as uow:
            ObligationsService(uow).record_met(who, due_item_id, evidence)
            raise _Tried
    except _Tried:
        pass


def _confirm_met(
    request: Request, ctx: Platform, who: Actor, due_item_id: int, evidence: str
) -> HTMLResponse:
    """A duty recorded as met stays met: asked once more, naming the duty, its member, whether
    it is late, and the evidence the record will keep."""
    now = ctx.clock.now()
    with ctx.reading() as s:
        item = queries.get_due_item(s, who, due_item_id, now)
    late = is_overdue(item["due_at"], now)
    question = (
        _("Record “{duty}” of {member} as met late?")
        if late
        else _("Record “{duty}” of {member} as met?")
    ).format(duty=item["duty"], member=item["member"])
    return TEMPLATES.TemplateResponse(
        request,
        "council_confirm.html",
        {
            "question": question,
            "consequences": [
                _("Its deadline: {moment} ({left}).").format(
                    moment=format_moment(item["due_at"]), left=deadline(item["due_at"], now)
                ),
                _("The record keeps this evidence: “{evidence}”").format(evidence=evidence.strip()),
                _("A duty recorded as met stays met: it cannot be undone here."),
            ],
            "post_to": f"/obligations/{due_item_id}/met",
            "fields": {"evidence": evidence},
            "yes": _("Yes, record it as met"),
            "back": f"/obligations/{due_item_id}",
        },
    )
