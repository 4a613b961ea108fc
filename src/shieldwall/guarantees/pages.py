"""HTML pages of security guarantees: the instruments, one instrument, the membership pathway.

Thin, as the council's pages are: a form is parsed, one ``GuaranteesService`` use case runs in
a unit of work, and the browser is sent (303) back to the page with a one-line confirmation.
After an error the form is shown again with what was typed, and the message names the field by
the label the user sees. Which forms a page shows is asked of ``guarantees.policy``; giving
notice to terminate is tried first and rolled back, and only then offered on a confirmation
page: never one click.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from shieldwall.access import forms
from shieldwall.access.forms import FormError, posted_form
from shieldwall.access.model import Actor
from shieldwall.access.web import Ctx, PageActor
from shieldwall.delegations.model import DelegationKind
from shieldwall.delegations.tables import Delegation
from shieldwall.guarantees import model, policy, queries
from shieldwall.guarantees.deadlines import deadline, is_overdue, relative_day
from shieldwall.guarantees.model import Category, ObligationAction, StepKind, StepStatus, Trigger
from shieldwall.guarantees.service import GuaranteesService
from shieldwall.guarantees.summaries import FULFILMENT, fulfilment_row
from shieldwall.kit.dates import parse_day
from shieldwall.kit.errors import DomainError, InvalidInput, NotFound
from shieldwall.kit.i18n import N_, format_day, format_eur, format_number, ngettext, term
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.listing import ListPage, show_list, summary_download
from shieldwall.kit.params import RecordId, parse_record_id
from shieldwall.kit.templating import TEMPLATES
from shieldwall.kit.text import check_text
from shieldwall.kit.uow import Platform

router = APIRouter(include_in_schema=False)
Choice = Annotated[str | None, Query(max_length=40)]

# The labels the forms show, so that an error names the field as the user sees it (translated
# where the error is shown, in the viewer's language).
LABELS = {
    "year": N_("Year"),
    "category": N_("Category"),
    "amount": N_("Amount"),
    "currency": N_("Currency"),
    "rate_on": N_("Date of the exchange rate"),
    "basis": N_("What it covers"),
    "trigger": N_("Trigger"),
    "action": N_("Action"),
    "within_hours": N_("Within (hours)"),
    "description": N_("Description"),
    "given_on": N_("Notice given on"),
    "by": N_("Given by"),
    "offer_id": N_("Offer"),
    "instrument_id": N_("Instrument"),
    "kind": N_("Kind"),
    "title": N_("Title"),
    "status": N_("Status"),
    "evidence": N_("Evidence"),
    "due_on": N_("Due on"),
    "step_id": N_("Pathway step"),
    "text": N_("Text of the proposal"),
}
# The guarantees' words stored as codes, shown with the ``term`` filter: categories, triggers,
# the actions an obligation asks, the pathway's kinds and statuses, and who may see a record.
TERMS = (
    N_("air defence"),
    N_("artillery and long-range fires"),
    N_("armour"),
    N_("combat air"),
    N_("maritime"),
    N_("drones"),
    N_("training"),
    N_("defence industry"),
    N_("cyber"),
    N_("intelligence"),
    N_("financial"),
    N_("energy and reconstruction"),
    N_("not broken down"),
    N_("armed attack"),
    N_("threat of attack"),
    N_("year end"),
    N_("consult"),
    N_("report"),
    N_("milestone"),
    N_("condition"),
    N_("not started"),
    N_("in progress"),
    N_("met"),
    N_("own"),
    N_("partner"),
    N_("addressees"),
    N_("members"),
    N_("council"),
    N_("public"),
)
TEXTS = {"description": 5000, "evidence": 5000, "text": 20000}


def _label(field: str) -> str:
    return _(LABELS[field]) if field in LABELS else field


def form_error(exc: DomainError) -> FormError:
    return forms.form_error(exc, _label)


def _checked(form: FormData) -> dict[str, str]:
    """A form's text fields, each checked for control characters and length (``kit.text``)."""
    checked: dict[str, str] = {}
    for k, v in form.multi_items():
        if isinstance(v, str):
            longest = TEXTS.get(k)
            checked[k] = check_text(k, v, multiline=longest is not None, max_length=longest or 300)
    return checked


def _whole(field: str, text: str) -> int:
    digits = text.strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) > 6:
        raise InvalidInput(field, _("give a whole number, like 24"))
    return int(digits)


def _decimal(field: str, text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        raise InvalidInput(field, _("give a number, like 2500000000")) from None
    return value


def _day(field: str, text: str) -> dt.date | None:
    return parse_day(field, text) if text.strip() else None


class _TriedOk(Exception):
    """Raised to roll back a use case that was only tried."""


def tried(ctx: Platform, run: Callable[[GuaranteesService], object]) -> None:
    """Try a use case and roll it back, so that a confirmation is asked only for what would
    be done; a DomainError says why it would not."""
    try:
        with ctx.unit_of_work() as uow:
            run(GuaranteesService(uow))
            raise _TriedOk
    except _TriedOk:
        pass


# ---- instruments --------------------------------------------------------------------------


@router.get("/instruments", response_class=HTMLResponse)
def instruments_page(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """The instruments the reader may see, as a list to search (``queries.instruments_listing``):
    its filters, sort and page in the URL, and downloads of exactly that view."""
    today = ctx.clock.now().date()
    with ctx.reading() as s:
        listing, stmt = queries.instruments_listing(s, who, today)

    def rows(s: Session, found: list[Any]) -> list[dict[str, Any]]:
        shaped = queries.instrument_rows(s, who, [r[0] for r in found], today)
        for r in shaped:
            r["ends_when"] = relative_day(r["ends_on"], today)
        return shaped

    page = ListPage(
        template="instruments.html",
        listing=listing,
        statement=lambda _view: stmt,
        rows=rows,
        export=queries.instrument_export,
    )
    return show_list(request, ctx, page, {"year": today.year})


INSTRUMENT_DONE = {
    "amount": N_("Amount set for its year and category."),
    "obligation": N_("Obligation added."),
    "notice": N_("Notice recorded: the instrument binds until the notice takes effect."),
    "link": N_("Offer linked: its ledger entries now count toward this instrument."),
    "unlink": N_("Offer unlinked: it counts toward no instrument."),
}


@router.get("/instruments/{instrument_id}", response_class=HTMLResponse)
def instrument_page(
    request: Request, ctx: Ctx, who: PageActor, instrument_id: RecordId, done: Choice = None
) -> Response:
    """The instrument; ``format`` downloads its fulfilment per year (``table=fulfilment``)."""
    asked = summary_download(request.query_params, (FULFILMENT,))
    if asked is not None:
        with ctx.reading() as s:
            i = queries.get_instrument(s, who, instrument_id, ctx.clock.now().date())
        rows = [fulfilment_row(f) for f in i["fulfilment"]]
        return FULFILMENT.download(rows, asked[1])
    return _instrument_page(request, ctx, who, instrument_id, done=done)


def _instrument_page(
    request: Request,
    ctx: Platform,
    who: Actor,
    instrument_id: int,
    *,
    done: str | None = None,
    error: FormError | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = ctx.clock.now().date()
    with ctx.reading() as s:
        i = queries.get_instrument(s, who, instrument_id, today)
        actions = policy.instrument_actions(
            who, i["member_id"], i["partner_id"], notice_given=i["notice_given_on"] is not None
        )
        linkable = queries.linkable_offers(s, who, instrument_id) if "link" in actions else []
    i["ends_when"] = relative_day(i["ends_on"], today)
    i["notice_when"] = relative_day(i["notice_takes_effect"], today)
    return TEMPLATES.TemplateResponse(
        request,
        "instrument_detail.html",
        {
            "i": i,
            "actions": actions,
            "linkable": linkable,
            "categories": [c.value for c in Category],
            "triggers": [t.value for t in Trigger],
            "obligation_actions": [a.value for a in ObligationAction],
            "parties": [i["member"], i["partner"]],
            "today": today,
            "done_text": _(INSTRUMENT_DONE[done]) if done in INSTRUMENT_DONE else None,
            "error": error,
            "v": values or {},
        },
        status_code=status_code,
    )


@router.post("/instruments/{instrument_id}/act", response_class=HTMLResponse)
async def act_on_instrument(
    request: Request, ctx: Ctx, who: PageActor, instrument_id: RecordId
) -> Response:
    """The instrument page's forms: amount, obligation, notice (after confirming), link."""
    form = await posted_form(request)
    action = str(form.get("action") or "")
    values: dict[str, str] = {}
    try:
        values = _checked(form)
        if action in CONFIRMED_FIRST and values.get("confirmed") != "yes":
            before, after = _preview(ctx, who, instrument_id, values)
            return CONFIRMED_FIRST[action](request, who, before, after, values)
        with ctx.unit_of_work() as uow:
            _instrument_action(GuaranteesService(uow), who, instrument_id, values)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return _instrument_page(
            request,
            ctx,
            who,
            instrument_id,
            error=form_error(exc),
            values=values,
            status_code=exc.status,
        )
    return RedirectResponse(f"/instruments/{instrument_id}?done={action}", status_code=303)


def _instrument_action(
    g: GuaranteesService, who: Actor, instrument_id: int, values: dict[str, str]
) -> None:
    """Carry out one form of the instrument page, as its API route would."""
    action = values.get("action", "")
    if action == "amount":
        g.set_amount(
            who,
            instrument_id,
            year=_whole("year", values.get("year", "")),
            category=values.get("category", ""),
            amount=_decimal("amount", values.get("amount", "")),
            currency=values.get("currency", "") or "EUR",
            rate_on=_day("rate_on", values.get("rate_on", "")),
            basis=values.get("basis", ""),
        )
    elif action == "obligation":
        g.add_obligation(
            who,
            instrument_id,
            trigger=values.get("trigger", ""),
            action=values.get("obligation_action", ""),
            within_hours=_whole("within_hours", values.get("within_hours", "")),
            description=values.get("description", ""),
        )
    elif action == "notice":
        given_on = _day("given_on", values.get("given_on", ""))
        if given_on is None:
            raise InvalidInput("given_on", _("give the day notice was given, as YYYY-MM-DD"))
        g.give_notice(who, instrument_id, given_on=given_on, by=values.get("by") or None)
    elif action == "link":
        offer = parse_record_id("offer_id", values.get("offer_id", ""))
        year = values.get("year", "").strip()
        g.link_offer(who, offer, instrument_id, _whole("year", year) if year else None)
    elif action == "unlink":
        g.unlink_offer(who, parse_record_id("offer_id", values.get("offer_id", "")))
    else:
        raise InvalidInput("action", _("unknown action {action!r}").format(action=action))


def _preview(
    ctx: Platform, who: Actor, instrument_id: int, values: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The instrument before and after the form's action — tried and rolled back, so that a
    confirmation names what would be done; a DomainError says why it would not."""
    today = ctx.clock.now().date()
    with ctx.reading() as s:
        before = queries.get_instrument(s, who, instrument_id, today)
    after: dict[str, Any] = {}
    try:
        with ctx.unit_of_work() as uow:
            _instrument_action(GuaranteesService(uow), who, instrument_id, values)
            after.update(queries.get_instrument(uow.session, who, instrument_id, today))
            raise _TriedOk
    except _TriedOk:
        pass
    return before, after


def _confirm(
    request: Request,
    i: dict[str, Any],
    question: str,
    consequences: list[str],
    fields: dict[str, str],
    yes: str,
) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request,
        "council_confirm.html",
        {
            "question": question,
            "consequences": consequences,
            "post_to": f"/instruments/{i['id']}/act",
            "fields": fields,
            "yes": yes,
            "back": f"/instruments/{i['id']}",
        },
    )


def _amount_of(i: dict[str, Any], year: int, category: str) -> dict[str, Any] | None:
    return next((a for a in i["amounts"] if a["year"] == year and a["category"] == category), None)


def _confirm_amount(
    request: Request,
    _who: Actor,
    before: dict[str, Any],
    after: dict[str, Any],
    values: dict[str, str],
) -> HTMLResponse:
    """A year's amount replaces the one stated before: asked first, with both, in euros."""
    year, category = int(values["year"]), model.category("category", values["category"]).value
    new = _amount_of(after, year, category)
    old = _amount_of(before, year, category)
    assert new is not None  # tried: the amount was set

    def stated(a: dict[str, Any]) -> str:
        return f"{a['currency']} {format_number(a['amount'])}"

    return _confirm(
        request,
        before,
        _("Set the {year} amount of “{title}” for {category} to {amount}?").format(
            year=year, title=before["title"], category=term(category), amount=stated(new)
        ),
        [
            _("It replaces the amount stated so far: {amount} ({eur}).").format(
                amount=stated(old), eur=format_eur(old["eur"])
            )
            if old
            else _("No amount is stated for that year and category yet."),
            _("In euros: {eur}; fulfilment and burden-sharing count it from then on.").format(
                eur=format_eur(new["eur"])
            ),
        ],
        {k: values.get(k, "") for k in ("action", "year", "category", "amount", "currency")}
        | {"rate_on": values.get("rate_on", ""), "basis": values.get("basis", "")},
        _("Yes, set the amount"),
    )


def _confirm_obligation(
    request: Request,
    _who: Actor,
    before: dict[str, Any],
    _after: dict[str, Any],
    values: dict[str, str],
) -> HTMLResponse:
    """An obligation stays once added (none is removed here): asked first, naming when it
    opens and for whom."""
    trigger = model.trigger("trigger", values["trigger"])
    action = model.obligation_action("obligation_action", values["obligation_action"])
    hours = int(values["within_hours"])
    within = ngettext("{num} hour", "{num} hours", hours).format(num=format_number(hours))
    member = before["member"]
    if trigger == Trigger.YEAR_END:
        opens = _(
            "Each year's end while the instrument binds opens it for {member}, with its deadline."
        ).format(member=member)
    else:
        opens = _(
            "Each {trigger} declared while the instrument binds opens it for {member}, with its "
            "deadline."
        ).format(trigger=term(trigger.value), member=member)
    return _confirm(
        request,
        before,
        _("Add to “{title}” the obligation to {action} within {within} ({trigger})?").format(
            title=before["title"],
            action=term(action.value),
            within=within,
            trigger=term(trigger.value),
        ),
        [opens, _("An obligation is not removed once added.")],
        {
            k: values.get(k, "")
            for k in ("action", "trigger", "obligation_action", "within_hours", "description")
        },
        _("Yes, add the obligation"),
    )


def _confirm_notice(
    request: Request,
    who: Actor,
    i: dict[str, Any],
    _after: dict[str, Any],
    values: dict[str, str],
) -> HTMLResponse:
    given_on = values.get("given_on", "")
    by = values.get("by") or who.delegation or ""
    months = i["termination_notice_months"]
    day = _day("given_on", given_on)
    assert day is not None  # tried first: a notice without its day was refused
    effect = model.notice_takes_effect(day, months)
    first = (
        ngettext(
            "Notice given on {day} by {party}; the instrument sets {num} month of notice, so it "
            "ends on {effect}.",
            "Notice given on {day} by {party}; the instrument sets {num} months of notice, so it "
            "ends on {effect}.",
            months,
        ).format(day=format_day(day), party=by, num=months, effect=format_day(effect))
        if months
        else _(
            "Notice given on {day} by {party}; the instrument sets no notice period: it ends at "
            "once."
        ).format(day=format_day(day), party=by)
    )
    return _confirm(
        request,
        i,
        _("Give notice to terminate “{title}” ({member})?").format(
            title=i["title"], member=i["member"]
        ),
        [
            first,
            _("It binds until the notice takes effect, and not from that day on."),
            _("Notice is given once: it cannot be withdrawn here."),
        ],
        {"action": "notice", "given_on": given_on, "by": values.get("by", "")},
        _("Yes, give notice"),
    )


# The instrument page's actions that cannot be undone there, each asked first on a page that
# names what it will do.
CONFIRMED_FIRST: dict[
    str,
    Callable[[Request, Actor, dict[str, Any], dict[str, Any], dict[str, str]], HTMLResponse],
] = {
    "amount": _confirm_amount,
    "obligation": _confirm_obligation,
    "notice": _confirm_notice,
}


# ---- the membership pathway ---------------------------------------------------------------

PATHWAY_DONE = {
    "add": N_("Step added to the pathway."),
    "update": N_("Step updated."),
    "question": N_("The invitation question is tabled in the council."),
}


@router.get("/pathway", response_class=HTMLResponse)
def pathway_page(request: Request, ctx: Ctx, who: PageActor, done: Choice = None) -> HTMLResponse:
    return _pathway_page(request, ctx, who, done=done)


def _pathway_page(
    request: Request,
    ctx: Platform,
    who: Actor,
    *,
    done: str | None = None,
    error: FormError | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = ctx.clock.now()
    with ctx.reading() as s:
        steps = queries.list_pathway(s, who)
        partners = s.scalars(
            select(Delegation.id).where(Delegation.kind == DelegationKind.PARTNER.value)
        ).all()
    for step in steps:
        # a met step's due date is history, not a deadline
        pending = step["status"] != StepStatus.MET.value
        step["due_when"] = deadline(step["due_on"], now) if pending else ""
        step["overdue"] = pending and is_overdue(step["due_on"], now)
    partner_id = partners[0] if len(partners) == 1 else None
    actions = policy.pathway_actions(who, partner_id) if partner_id else set()
    return TEMPLATES.TemplateResponse(
        request,
        "pathway.html",
        {
            "steps": steps,
            "actions": actions,
            "kinds": [k.value for k in StepKind],
            "statuses": [st.value for st in StepStatus],
            "done_text": _(PATHWAY_DONE[done]) if done in PATHWAY_DONE else None,
            "error": error,
            "v": values or {},
        },
        status_code=status_code,
    )


@router.post("/pathway/act", response_class=HTMLResponse)
async def act_on_pathway(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """The pathway page's forms: add a step, update one, table the invitation question."""
    form = await posted_form(request)
    action = str(form.get("action") or "")
    values: dict[str, str] = {}
    try:
        values = _checked(form)
        if action == "question" and values.get("confirmed") != "yes":
            tried(ctx, lambda g: _pathway_action(g, who, values))
            return _confirm_question(request, ctx, who, values)
        with ctx.unit_of_work() as uow:
            _pathway_action(GuaranteesService(uow), who, values)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return _pathway_page(
            request, ctx, who, error=form_error(exc), values=values, status_code=exc.status
        )
    return RedirectResponse(f"/pathway?done={action}", status_code=303)


def _pathway_action(g: GuaranteesService, who: Actor, values: dict[str, str]) -> None:
    action = values.get("action", "")
    if action == "add":
        g.add_step(
            who,
            kind=values.get("kind", ""),
            title=values.get("title", ""),
            description=values.get("description", ""),
            status=values.get("status", "") or StepStatus.NOT_STARTED.value,
            due_on=_day("due_on", values.get("due_on", "")),
            idempotency_key=values.get("idempotency_key") or None,
        )
    elif action == "update":
        step = parse_record_id("step_id", values.get("step_id", ""))
        status = values.get("status") or None
        evidence = values.get("evidence", "").strip() or None
        g.update_step(who, step, status=status, evidence=evidence)
    elif action == "question":
        step = parse_record_id("step_id", values.get("step_id", ""))
        g.table_invitation_question(who, step, text=values.get("text", ""))
    else:
        raise InvalidInput("action", _("unknown action {action!r}").format(action=action))


def _confirm_question(
    request: Request, ctx: Platform, who: Actor, values: dict[str, str]
) -> HTMLResponse:
    """Tabling the invitation question puts it before every member of the council: asked
    once more, with the step it answers and the text the members will read."""
    step_id = parse_record_id("step_id", values.get("step_id", ""))
    with ctx.reading() as s:
        step = queries.get_step(s, who, step_id)
    return TEMPLATES.TemplateResponse(
        request,
        "council_confirm.html",
        {
            "question": _("Table the invitation question in the council?"),
            "consequences": [
                _("It answers the pathway step “{step}”.").format(step=step["title"]),
                _("The council's members receive this text as a proposal: “{text}”").format(
                    text=values.get("text", "").strip()
                ),
                _("The step takes the question once; it can be tabled again only if withdrawn."),
            ],
            "post_to": "/pathway/act",
            "fields": {
                "action": "question",
                "step_id": values.get("step_id", ""),
                "text": values.get("text", ""),
            },
            "yes": _("Yes, table the question"),
            "back": "/pathway",
        },
    )
