"""HTML pages of the assistance ledger: requests and offers. Thin: views come from
``queries``, words from ``words``, who may do what from ``policy``.

A form is parsed, one ``AssistanceService`` use case runs in a unit of work, and the browser is
sent (303) back to the record with a one-line confirmation. After an error the form comes back
with what was typed, and the message names the field by the label the user sees. Every step
that cannot be taken back (answering, committing, cancelling, withdrawing, recording or settling
a delivery, ending a request, releasing more widely) is first tried and rolled back, and only
then offered on a confirmation page that says what it will do: never one click.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from shieldwall.access import forms
from shieldwall.access.forms import FormError, posted_form
from shieldwall.access.model import Actor, Releasability
from shieldwall.access.web import Ctx, PageActor
from shieldwall.assistance import listings, policy, queries, words
from shieldwall.assistance.model import (
    AssistanceKind,
    OfferState,
    Priority,
    RequestState,
    offer_awaits_delivery,
)
from shieldwall.assistance.policy import OFFER_DEFAULT, REQUEST_DEFAULT, Action
from shieldwall.assistance.service import AssistanceService
from shieldwall.delegations.model import DelegationKind
from shieldwall.kit.amounts import parse_euros, parse_quantity
from shieldwall.kit.dates import parse_day
from shieldwall.kit.errors import DomainError, InvalidInput, NotFound
from shieldwall.kit.i18n import N_, format_eur, term
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.listing import ListPage, show_list
from shieldwall.kit.params import RecordId, parse_record_id
from shieldwall.kit.templating import TEMPLATES
from shieldwall.kit.text import check_text
from shieldwall.kit.uow import Platform

router = APIRouter(include_in_schema=False)

# The feature's words, for its templates (and any page that shows its records).
TEMPLATES.env.filters["counted"] = words.quantity_text
TEMPLATES.env.filters["due_in"] = words.due_text
TEMPLATES.env.filters["arrival"] = words.arrival_text
TEMPLATES.env.filters["audit_step"] = words.audit_step

# The label each field has on the forms, by the name the use cases give it in their errors.
LABELS: dict[str, str] = {
    "title": N_("Title"),
    "what": N_("What"),
    "area": N_("What"),
    "item": N_("What"),
    "quantity": N_("Quantity"),
    "value_eur": N_("Value in EUR"),
    "priority": N_("Priority"),
    "need_by": N_("Need by"),
    "justification": N_("Why"),
    "addressees": N_("Addressed to"),
    "releasability": N_("Visible to"),
    "kind": N_("Kind"),
    "description": N_("Description"),
    "conditions": N_("Conditions"),
    "reason": N_("Reason"),
    "delivered_on": N_("Delivered on"),
    "note": N_("Note"),
    "delivery_id": N_("Delivery"),
    "request_id": N_("Request"),
    "partner": N_("Partner"),
    "member": N_("Member"),
    "action": N_("Action"),
}


def label(field: str) -> str:
    return _(LABELS[field]) if field in LABELS else field


def form_error(exc: DomainError) -> FormError:
    return forms.form_error(exc, label)


def _key() -> str:
    """A fresh idempotency key for a form that creates: sent twice, it creates once."""
    return secrets.token_urlsafe(18)


class _Tried(Exception):
    """Raised to roll back a use case that was only tried, carrying what it would change."""

    def __init__(self, result: tuple[Any, Any]) -> None:
        super().__init__("tried")
        self.result = result


R = TypeVar("R")


def preview(
    ctx: Platform, run: Callable[[AssistanceService], object], read: Callable[[Session], R]
) -> tuple[R, R]:
    """What a use case would change: ``read`` before and after it runs, in a unit of work
    that is then rolled back (nothing changes); a DomainError says why it would not run."""
    try:
        with ctx.unit_of_work() as uow:
            before = read(uow.session)
            run(AssistanceService(uow))
            uow.session.flush()
            raise _Tried((before, read(uow.session)))
    except _Tried as tried:
        return tried.result


def _confirm_page(
    request: Request,
    *,
    question: str,
    consequences: list[str],
    post_to: str,
    fields: dict[str, str],
    yes: str,
    back: str,
) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request,
        "assistance_confirm.html",
        {
            "question": question,
            "consequences": [c for c in consequences if c],
            "post_to": post_to,
            "fields": fields,
            "yes": yes,
            "back": back,
        },
    )


@router.get("/requests", response_class=HTMLResponse)
def requests_page(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """Every request the reader may see, searched, filtered, sorted and paged as the URL says;
    ``format=csv|xlsx`` downloads the whole view."""
    listing, statement = listings.requests_listing(who)
    shown = ListPage(
        template="requests.html",
        listing=listing,
        statement=statement,
        options=lambda s: {
            "area": listings.area_options(s),
            "member": listings.member_options(s, contributors=False),
        },
        rows=lambda s, rows: listings.request_rows(s, who, rows),
        export=listings.request_export,
    )
    return show_list(request, ctx, shown, {"may_file": policy.may_file_request(who)})


def _new_request_form(
    request: Request,
    ctx: Ctx,
    who: Actor,
    *,
    values: dict[str, Any] | None = None,
    error: FormError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with ctx.reading() as s:
        catalogue = queries.catalogue(s)
        members = [d for d in queries.list_delegations(s) if d["kind"] == DelegationKind.MEMBER]
    typed = values or {}
    return TEMPLATES.TemplateResponse(
        request,
        "request_new.html",
        {
            "catalogue": catalogue,
            "members": members,
            "v": typed,
            "error": error,
            "key": typed.get("idempotency_key") or _key(),
            "may_file": policy.may_file_request(who),
            "priorities": [p.value for p in Priority],
            "levels": [r.value for r in Releasability if r.rank >= REQUEST_DEFAULT.rank],
            "today": ctx.clock.now().date(),
        },
        status_code=status_code,
    )


@router.get("/requests/new", response_class=HTMLResponse)
def new_request_page(request: Request, ctx: Ctx, who: PageActor) -> HTMLResponse:
    return _new_request_form(request, ctx, who)


# Fields of the page forms that may hold several lines; every other field is one line. Their
# lengths are those of the API's schemas: 2,000 characters for texts, 200 for the rest.
MULTI_LINE_FIELDS = frozenset({"justification", "description", "conditions", "reason", "note"})
TEXT_LENGTH, LINE_LENGTH = 2000, 200


def _typed(form: FormData) -> dict[str, str]:
    """A form's text fields as typed (shown again with an error)."""
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


def _checked(form: FormData) -> dict[str, str]:
    """A form's text fields, each checked for control characters (``kit.text``)."""
    checked: dict[str, str] = {}
    for k, v in form.multi_items():
        if isinstance(v, str):
            multiline = k in MULTI_LINE_FIELDS
            length = TEXT_LENGTH if multiline else LINE_LENGTH
            checked[k] = check_text(k, v, multiline=multiline, max_length=length)
    return checked


@router.post("/requests/new", response_class=HTMLResponse)
async def file_request_form(request: Request, ctx: Ctx, who: PageActor) -> Response:
    form = await posted_form(request)
    addressees = [str(a) for a in form.getlist("addressees")]
    try:
        values = _checked(form)
        what = values.get("what", "")
        item = what.removeprefix("item:") if what.startswith("item:") else None
        area = what.removeprefix("area:") if what.startswith("area:") else None
        if not what:
            raise InvalidInput("what", _("choose a catalogue item or a capability area"))
        with ctx.unit_of_work() as uow:
            request_id = AssistanceService(uow).file_request(
                who,
                partner=who.delegation or "",
                title=values.get("title", ""),
                area=area,
                item=item,
                quantity=parse_quantity("quantity", values["quantity"])
                if values.get("quantity")
                else None,
                value_cents=parse_euros("value_eur", values["value_eur"])
                if values.get("value_eur")
                else None,
                priority=_choice("priority", values.get("priority", "medium"), Priority),
                need_by=parse_day("need_by", values["need_by"]) if values.get("need_by") else None,
                justification=values.get("justification", ""),
                addressees=addressees,
                releasability=values.get("releasability") or None,
                idempotency_key=values.get("idempotency_key") or None,
            )
    except DomainError as exc:
        return _new_request_form(
            request,
            ctx,
            who,
            values={**_typed(form), "addressees": addressees},
            error=form_error(exc),
            status_code=exc.status,
        )
    return RedirectResponse(f"/requests/{request_id}?done=filed", status_code=303)


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(
    request: Request,
    ctx: Ctx,
    who: PageActor,
    request_id: RecordId,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    return _request_page(request, ctx, who, request_id, done=done)


REQUEST_DONE = {
    "filed": N_("Request filed. The members it is addressed to see it now."),
    "withdraw": N_("Request withdrawn."),
    "close": N_("Request closed."),
    "widen": N_("Released more widely."),
}


def _request_page(
    request: Request,
    ctx: Ctx,
    who: Actor,
    request_id: int,
    *,
    done: str | None = None,
    error: FormError | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = ctx.clock.now().date()
    with ctx.reading() as s:
        view = queries.get_request(s, who, request_id).as_dict(today)
        _n, offers = queries.list_offers(s, who, request_id=request_id, limit=1000)
    active = view["state"] == RequestState.ACTIVE
    partner = view["partner_id"]
    typed = values or {}
    return TEMPLATES.TemplateResponse(
        request,
        "request_detail.html",
        {
            "r": view,
            "offers": offers,
            "today": today,
            "done_text": _(REQUEST_DONE[done]) if done in REQUEST_DONE else None,
            "error": error,
            "v": typed,
            "key": typed.get("idempotency_key") or _key(),
            "may_offer": policy.may_answer_request(
                who, active, view["to_all_members"], view["addressees"]
            ),
            "may_withdraw": active and policy.allowed(who, Action.WITHDRAW_REQUEST, partner, None),
            "may_close": active and policy.allowed(who, Action.CLOSE_REQUEST, partner, None),
            "wider": [
                r.value for r in Releasability if r.rank > Releasability(view["releasability"]).rank
            ]
            if policy.allowed(who, Action.WIDEN_RELEASABILITY, partner, None)
            else [],
            "kinds": [k.value for k in AssistanceKind],
            "levels": [r.value for r in Releasability if r.rank >= OFFER_DEFAULT.rank],
        },
        status_code=status_code,
    )


# The request page's steps that cannot be taken back: each asks for confirmation first.
REQUEST_CONFIRMED = frozenset({"withdraw", "close", "widen"})


@router.post("/requests/{request_id}/act", response_class=HTMLResponse)
async def act_on_request(
    request: Request, ctx: Ctx, who: PageActor, request_id: RecordId
) -> Response:
    """The request page's forms: answer with an offer, withdraw, close, widen."""
    form = await posted_form(request)
    action = str(form.get("action") or "")
    try:
        values = _checked(form)
        if action in REQUEST_CONFIRMED and values.get("confirmed") != "yes":
            before, _after = preview(
                ctx,
                lambda service: _request_form_action(service, who, request_id, values),
                lambda s: queries.get_request(s, who, request_id).as_dict(),
            )
            return _confirm_request(request, request_id, before, values)
        with ctx.unit_of_work() as uow:
            offer_id = _request_form_action(AssistanceService(uow), who, request_id, values)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return _request_page(
            request,
            ctx,
            who,
            request_id,
            error=form_error(exc),
            values=_typed(form),
            status_code=exc.status,
        )
    if offer_id is not None:
        return RedirectResponse(f"/offers/{offer_id}?done=offered", status_code=303)
    return RedirectResponse(f"/requests/{request_id}?done={action}", status_code=303)


def _confirm_request(
    request: Request, request_id: int, r: dict[str, Any], values: dict[str, str]
) -> HTMLResponse:
    action = values["action"]
    reason = values.get("reason", "").strip()
    if action == "withdraw":
        question = _("Withdraw request {id}, “{title}”?").format(id=r["id"], title=r["title"])
        consequences = [
            _("Members no longer answer it; the offers already made against it stand."),
            _("Reason: {reason}").format(reason=reason),
        ]
        yes = _("Yes, withdraw the request")
    elif action == "close":
        question = _("Close request {id}, “{title}”?").format(id=r["id"], title=r["title"])
        consequences = [
            _("Members no longer answer it; the offers already made against it stand."),
            _("Reason: {reason}").format(reason=reason),
        ]
        yes = _("Yes, close the request")
    else:
        level = values.get("releasability", "")
        question = _("Release request {id}, “{title}”, to {level}?").format(
            id=r["id"], title=r["title"], level=term(level)
        )
        consequences = [_("Who may see a record can be widened, never narrowed again.")]
        yes = _("Yes, release it more widely")
    keep = ("action", "reason", "releasability")
    return _confirm_page(
        request,
        question=question,
        consequences=consequences,
        post_to=f"/requests/{request_id}/act",
        fields={k: values[k] for k in keep if k in values},
        yes=yes,
        back=f"/requests/{request_id}",
    )


def _request_form_action(
    service: AssistanceService, who: Actor, request_id: int, values: dict[str, str]
) -> int | None:
    """Carry out one form of the request page; the id of the offer made, if one was."""
    action = values.get("action", "")
    if action == "offer":
        return service.make_offer(
            who,
            member=who.delegation or "",
            kind=_choice("kind", values.get("kind", ""), AssistanceKind),
            quantity=parse_quantity("quantity", values.get("quantity", "")),
            request_id=request_id,
            value_cents=parse_euros("value_eur", values["value_eur"])
            if values.get("value_eur")
            else None,
            description=values.get("description", ""),
            conditions=values.get("conditions", ""),
            releasability=values.get("releasability") or None,
            idempotency_key=values.get("idempotency_key") or None,
        )
    if action == "withdraw":
        service.withdraw_request(who, request_id, values.get("reason", ""))
    elif action == "close":
        service.close_request(who, request_id, values.get("reason", ""))
    elif action == "widen":
        service.widen(who, "request", request_id, values.get("releasability", ""))
    else:
        raise InvalidInput("action", _("unknown action {action!r}").format(action=action))
    return None


E = TypeVar("E", bound=StrEnum)


def _choice(field: str, text: str, kind: type[E]) -> str:
    try:
        return kind(text).value
    except ValueError:
        raise InvalidInput(
            field, _("use one of {choices}").format(choices=", ".join(term(k.value) for k in kind))
        ) from None


@router.get("/offers", response_class=HTMLResponse)
def offers_page(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """Every offer the reader may see, as the URL's view asks (``format`` downloads it)."""
    listing, stmt = listings.offers_listing(who)
    shown = ListPage(
        template="offers.html",
        listing=listing,
        statement=lambda _view: stmt,
        options=lambda s: {
            "member": listings.member_options(s),
            "area": listings.area_options(s),
            "request": listings.request_options(s, who),
        },
        rows=lambda s, rows: listings.offer_rows(s, who, rows),
        export=listings.offer_export,
    )
    return show_list(request, ctx, shown, {})


@router.get("/deliveries", response_class=HTMLResponse)
def deliveries_page(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """What was delivered, as the ledger records it, of the offers the reader may see."""
    listing, stmt = listings.deliveries_listing(who)
    shown = ListPage(
        template="deliveries.html",
        listing=listing,
        statement=lambda _view: stmt,
        options=lambda s: {
            "member": listings.member_options(s),
            "area": listings.area_options(s),
        },
        rows=lambda _s, rows: [listings.delivery_row(r) for r in rows],
        export=lambda row: row,
    )
    return show_list(request, ctx, shown, {})


@router.get("/offers/{offer_id}", response_class=HTMLResponse)
def offer_page(
    request: Request,
    ctx: Ctx,
    who: PageActor,
    offer_id: RecordId,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    return _offer_page(request, ctx, who, offer_id, done=done)


def _offer_page(
    request: Request,
    ctx: Ctx,
    who: Actor,
    offer_id: int,
    *,
    done: str | None = None,
    error: FormError | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = ctx.clock.now().date()
    with ctx.reading() as s:
        offer = queries.get_offer(s, who, offer_id)
        deliveries = queries.list_deliveries(s, who, offer_id=offer_id)
        _n, entries = queries.list_entries(
            s, who, queries.EntryFilter(offer_id=offer_id), offset=0, limit=1000
        )
        timeline = queries.offer_timeline(s, offer_id)
        req = None
        if offer["request_id"]:
            try:
                req = queries.get_request(s, who, offer["request_id"]).as_dict(today)
            except NotFound:  # the request was not released to this reader
                req = None
    actions = policy.offer_actions(
        who, OfferState(offer["state"]), offer["member_id"], offer["partner_id"]
    )
    wider = [r.value for r in Releasability if r.rank > Releasability(offer["releasability"]).rank]
    typed = values or {}
    return TEMPLATES.TemplateResponse(
        request,
        "offer_detail.html",
        {
            "o": offer,
            "deliveries": deliveries,
            "entries": entries,
            "timeline": timeline,
            "req": req,
            "today": today,
            "owes_delivery": offer_awaits_delivery(offer["state"]),
            "actions": actions,
            "wider": wider,
            # The action panel shows when there is something to do besides settling deliveries.
            "show_actions": bool(actions - {"settle", "widen"}) or ("widen" in actions and wider),
            "done": done if done in DONE else None,
            "done_text": _(DONE[done]) if done in DONE else None,
            "error": error,
            "v": typed,
            "key": typed.get("idempotency_key") or _key(),
        },
        status_code=status_code,
    )


DONE = {
    "offered": N_("Offer made. The partner sees it and can accept or decline it."),
    "accept": N_("Offer accepted."),
    "decline": N_("Offer declined."),
    "withdraw": N_("Offer withdrawn."),
    "commit": N_("Offer committed."),
    "cancel": N_("Commitment cancelled."),
    "record_delivery": N_("Delivery recorded; it counts once the partner confirms it."),
    "confirm": N_("Delivery confirmed."),
    "reject": N_("Delivery rejected."),
    "widen": N_("Released more widely."),
}

# Every step of the offer page cannot be taken back: each asks for confirmation first.
OFFER_CONFIRMED = frozenset(DONE) - {"offered"}


@router.post("/offers/{offer_id}/act", response_class=HTMLResponse)
async def act_on_offer(request: Request, ctx: Ctx, who: PageActor, offer_id: RecordId) -> Response:
    """The offer page's forms: one step per post, confirmed first, then back to the page."""
    form = await posted_form(request)
    action = str(form.get("action") or "")
    try:
        values = _checked(form)
        if action in OFFER_CONFIRMED and values.get("confirmed") != "yes":
            before, after = preview(
                ctx,
                lambda service: _offer_form_action(service, who, offer_id, values),
                lambda s: _offer_and_deliveries(s, who, offer_id),
            )
            return _confirm_offer(request, offer_id, before, after, values)
        with ctx.unit_of_work() as uow:
            _offer_form_action(AssistanceService(uow), who, offer_id, values)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        # Show the page again, with what went wrong and what was typed; nothing was changed.
        return _offer_page(
            request,
            ctx,
            who,
            offer_id,
            error=form_error(exc),
            values=_typed(form),
            status_code=exc.status,
        )
    return RedirectResponse(f"/offers/{offer_id}?done={action}", status_code=303)


def _offer_and_deliveries(s: Session, who: Actor, offer_id: int) -> dict[str, Any]:
    """An offer with its deliveries by id: what a confirmation compares before and after."""
    offer = queries.get_offer(s, who, offer_id)
    deliveries = {d["id"]: d for d in queries.list_deliveries(s, who, offer_id=offer_id)}
    return {**offer, "deliveries": deliveries}


def _offer_form_action(
    service: AssistanceService, who: Actor, offer_id: int, values: dict[str, str]
) -> None:
    """Carry out one form of the offer page, as its API route would."""
    action = values.get("action", "")
    reason = values.get("reason", "")
    quantity = values.get("quantity", "").strip()
    if action == "accept":
        service.accept(who, offer_id)
    elif action == "decline":
        service.decline(who, offer_id, reason)
    elif action == "withdraw":
        service.withdraw(who, offer_id, reason)
    elif action == "commit":
        service.commit(who, offer_id, parse_quantity("quantity", quantity) if quantity else None)
    elif action == "cancel":
        service.cancel(who, offer_id, reason)
    elif action == "record_delivery":
        delivered_on = values.get("delivered_on", "").strip()
        service.record_delivery(
            who,
            offer_id,
            quantity=parse_quantity("quantity", quantity),
            delivered_on=parse_day("delivered_on", delivered_on) if delivered_on else None,
            note=values.get("note", ""),
            idempotency_key=values.get("idempotency_key") or None,
        )
    elif action == "confirm":
        service.confirm_delivery(who, _delivery_of(service, who, offer_id, values))
    elif action == "reject":
        service.reject_delivery(who, _delivery_of(service, who, offer_id, values), reason)
    elif action == "widen":
        service.widen(who, "offer", offer_id, values.get("releasability", ""))
    else:
        raise InvalidInput("action", _("unknown action {action!r}").format(action=action))


def _delivery_of(
    service: AssistanceService, who: Actor, offer_id: int, values: dict[str, str]
) -> int:
    """The delivery a settling form names, once it is a delivery of the page's offer."""
    delivery_id = parse_record_id("delivery_id", values.get("delivery_id", ""))
    if queries.get_delivery(service.s, who, delivery_id)["offer_id"] != offer_id:
        raise InvalidInput(
            "delivery_id",
            _("delivery {id} is not a delivery of this offer").format(id=delivery_id),
        )
    return delivery_id


def _confirm_offer(
    request: Request,
    offer_id: int,
    before: dict[str, Any],
    after: dict[str, Any],
    values: dict[str, str],
) -> HTMLResponse:
    """The confirmation of one step on an offer, naming in full what it will do: the quantity
    and value it moves (as the tried use case moved them), the member, the partner."""
    action = values["action"]
    question, consequences, yes = _OFFER_QUESTIONS[action](before, after, values)
    keep = ("action", "reason", "quantity", "delivered_on", "note", "delivery_id")
    fields = {k: values[k] for k in (*keep, "releasability", "idempotency_key") if k in values}
    return _confirm_page(
        request,
        question=question,
        consequences=[*consequences, _reason_line(values) if action in _WITH_REASON else ""],
        post_to=f"/offers/{offer_id}/act",
        fields=fields,
        yes=yes,
        back=f"/offers/{offer_id}",
    )


_WITH_REASON = frozenset({"decline", "withdraw", "cancel", "reject"})


def _reason_line(values: dict[str, str]) -> str:
    return _("Reason: {reason}").format(reason=values.get("reason", "").strip())


def _moved(before: dict[str, Any], after: dict[str, Any], measure: str) -> tuple[int, float]:
    """How much the step moves a balance (quantity, EUR), as the tried use case moved it."""
    return (
        abs(after[f"{measure}_quantity"] - before[f"{measure}_quantity"]),
        abs(after[f"{measure}_eur"] - before[f"{measure}_eur"]),
    )


def _what(o: dict[str, Any], quantity: int) -> str:
    return words.what_text(quantity, o["unit"], o["item_name"] or o["description"], o["area_name"])


Question = tuple[str, list[str], str]


def _ask_accept(o: dict[str, Any], _a: dict[str, Any], _v: dict[str, str]) -> Question:
    return (
        _("Accept the offer of {member}: {what}, {value}?").format(
            member=o["member_name"],
            what=_what(o, o["offered_quantity"]),
            value=format_eur(o["offered_eur"]),
        ),
        [
            _("It can then no longer be declined; {member} may commit it.").format(
                member=o["member_name"]
            )
        ],
        _("Yes, accept the offer"),
    )


def _ask_decline(o: dict[str, Any], _a: dict[str, Any], _v: dict[str, str]) -> Question:
    return (
        _("Decline the offer of {member}: {what}, {value}?").format(
            member=o["member_name"],
            what=_what(o, o["offered_quantity"]),
            value=format_eur(o["offered_eur"]),
        ),
        [_("The ledger takes back what was offered; the offer cannot be answered again.")],
        _("Yes, decline the offer"),
    )


def _ask_withdraw(o: dict[str, Any], _a: dict[str, Any], _v: dict[str, str]) -> Question:
    return (
        _("Withdraw your offer of {what}, {value}, to {partner}?").format(
            what=_what(o, o["offered_quantity"]),
            value=format_eur(o["offered_eur"]),
            partner=o["partner_name"],
        ),
        [_("The ledger takes back what was offered; the offer cannot be made again.")],
        _("Yes, withdraw the offer"),
    )


def _ask_commit(o: dict[str, Any], a: dict[str, Any], _v: dict[str, str]) -> Question:
    quantity, value = _moved(o, a, "committed")
    return (
        _("Commit {what}, {value}, to {partner}?").format(
            what=_what(o, quantity), value=format_eur(value), partner=o["partner_name"]
        ),
        [
            _("The commitment enters the ledger and counts towards the request it answers."),
            _("It cannot be withdrawn afterwards, only cancelled with a reason."),
        ],
        _("Yes, commit"),
    )


def _ask_cancel(o: dict[str, Any], a: dict[str, Any], _v: dict[str, str]) -> Question:
    quantity, value = _moved(o, a, "committed")
    return (
        _("Cancel what is not yet delivered to {partner}: {what}, {value}?").format(
            partner=o["partner_name"], what=_what(o, quantity), value=format_eur(value)
        ),
        [_("The ledger takes back the undelivered commitment; what was delivered stays.")],
        _("Yes, cancel the rest"),
    )


def _ask_record(o: dict[str, Any], a: dict[str, Any], v: dict[str, str]) -> Question:
    # The delivery the tried use case recorded: its quantity as parsed, its day as defaulted.
    recorded = [d for i, d in a["deliveries"].items() if i not in o["deliveries"]]
    quantity = recorded[0]["quantity"] if recorded else 0
    day = str(recorded[0]["delivered_on"]) if recorded else ""
    return (
        _("Record a delivery to {partner}: {what}{on}?").format(
            partner=o["partner_name"],
            what=_what(o, quantity),
            on=_(", delivered on {day}").format(day=day) if day else "",
        ),
        [
            _("It counts in the ledger once {partner} confirms it.").format(
                partner=o["partner_name"]
            )
        ],
        _("Yes, record the delivery"),
    )


def _settled(o: dict[str, Any], v: dict[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = o["deliveries"][int(v["delivery_id"])]
    return found


def _ask_confirm(o: dict[str, Any], a: dict[str, Any], v: dict[str, str]) -> Question:
    d = _settled(o, v)
    _quantity, value = _moved(o, a, "delivered")
    return (
        _("Confirm receipt from {member}: {what}, delivered on {day}?").format(
            member=o["member_name"], what=_what(o, d["quantity"]), day=d["delivered_on"]
        ),
        [_("The delivery enters the ledger: {value} delivered.").format(value=format_eur(value))],
        _("Yes, confirm receipt"),
    )


def _ask_reject(o: dict[str, Any], _a: dict[str, Any], v: dict[str, str]) -> Question:
    d = _settled(o, v)
    return (
        _("Reject the delivery from {member}: {what}, delivered on {day}?").format(
            member=o["member_name"], what=_what(o, d["quantity"]), day=d["delivered_on"]
        ),
        [
            _("Nothing enters the ledger; {member} is asked to record it again.").format(
                member=o["member_name"]
            )
        ],
        _("Yes, reject the delivery"),
    )


def _ask_widen(o: dict[str, Any], _a: dict[str, Any], v: dict[str, str]) -> Question:
    return (
        _("Release offer {id} to {level}?").format(
            id=o["id"], level=term(v.get("releasability", ""))
        ),
        [_("Who may see a record can be widened, never narrowed again.")],
        _("Yes, release it more widely"),
    )


_OFFER_QUESTIONS: dict[
    str, Callable[[dict[str, Any], dict[str, Any], dict[str, str]], Question]
] = {
    "accept": _ask_accept,
    "decline": _ask_decline,
    "withdraw": _ask_withdraw,
    "commit": _ask_commit,
    "cancel": _ask_cancel,
    "record_delivery": _ask_record,
    "confirm": _ask_confirm,
    "reject": _ask_reject,
    "widen": _ask_widen,
}
