"""HTML pages of the assistance ledger: dashboard, requests, offers. Thin: views come from
``queries``, charts from ``reports.charts``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from shieldwall.access.model import Actor, Releasability
from shieldwall.access.web import Ctx, PageActor, check_csrf, page_session
from shieldwall.assistance import listings, policy, queries
from shieldwall.assistance.model import (
    AssistanceKind,
    OfferState,
    Priority,
    RequestState,
)
from shieldwall.assistance.policy import OFFER_DEFAULT, REQUEST_DEFAULT, Action
from shieldwall.assistance.service import AssistanceService
from shieldwall.delegations.model import DelegationKind
from shieldwall.kit.amounts import parse_euros, parse_quantity
from shieldwall.kit.dates import parse_day
from shieldwall.kit.errors import DomainError, InvalidInput, NotFound
from shieldwall.kit.listing import View, export_response
from shieldwall.kit.params import RecordId, parse_record_id
from shieldwall.kit.templating import TEMPLATES
from shieldwall.kit.text import MultiLine, SingleLine, check_text
from shieldwall.kit.uow import Platform

router = APIRouter(include_in_schema=False)


@router.get("/requests", response_class=HTMLResponse)
def requests_page(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """Every request the reader may see, searched, filtered, sorted and paged as the URL says;
    ``format=csv|xlsx`` downloads the whole view."""
    listing, stmt = listings.requests_listing(who)
    with ctx.reading() as s:
        view = listing.parse(
            request.query_params,
            options={
                "area": listings.area_options(s),
                "member": listings.member_options(s, contributors=False),
            },
        )
        if view.format is not None:
            return _download(ctx, view, stmt, lambda s, rows: _request_export(s, who, rows))
        shown = view.fetch(s, stmt)
        shown = shown.with_rows(listings.request_rows(s, who, shown.rows))
    return TEMPLATES.TemplateResponse(
        request,
        "requests.html",
        {"view": view, "shown": shown, "may_file": policy.may_file_request(who)},
    )


def _request_export(s: Session, who: Actor, rows: Iterator[Any]) -> Iterator[dict[str, Any]]:
    shaped = listings.in_batches(rows, lambda batch: listings.request_rows(s, who, batch))
    return (listings.request_export(r) for r in shaped)


def _download(
    ctx: Platform,
    view: View,
    stmt: Select[Any],
    shape: Callable[[Session, Iterator[Any]], Iterator[dict[str, Any]]],
) -> Response:
    """The whole view as the download its ``format`` asks for, read in a session of its own
    (a CSV is still being sent after the page's session has closed)."""

    def rows() -> Iterator[dict[str, Any]]:
        with ctx.reading() as s:
            yield from shape(s, view.all(s, stmt))

    assert view.format is not None
    return export_response(view, rows(), view.format)


def _new_request_form(
    request: Request,
    ctx: Ctx,
    who: Actor,
    *,
    values: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with ctx.reading() as s:
        catalogue = queries.catalogue(s)
        members = [d for d in queries.list_delegations(s) if d["kind"] == DelegationKind.MEMBER]
    return TEMPLATES.TemplateResponse(
        request,
        "request_new.html",
        {
            "catalogue": catalogue,
            "members": members,
            "v": values or {},
            "error": error,
            "may_file": policy.may_file_request(who),
            "priorities": [p.value for p in Priority],
            "levels": [r.value for r in Releasability if r.rank >= REQUEST_DEFAULT.rank],
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
    form = await request.form()
    info = page_session(request)
    assert info is not None
    check_csrf(info, str(form.get("csrf_token") or ""))
    addressees = [str(a) for a in form.getlist("addressees")]
    try:
        values = _checked(form)
        what = values.get("what", "")
        item = what.removeprefix("item:") if what.startswith("item:") else None
        area = what.removeprefix("area:") if what.startswith("area:") else None
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
            )
    except DomainError as exc:
        return _new_request_form(
            request,
            ctx,
            who,
            values={**_typed(form), "addressees": addressees},
            error=exc.detail,
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
    "filed": "Request filed. The members it is addressed to see it now.",
    "withdraw": "Request withdrawn.",
    "close": "Request closed.",
    "widen": "Released more widely.",
}


def _request_page(
    request: Request,
    ctx: Ctx,
    who: Actor,
    request_id: int,
    *,
    done: str | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with ctx.reading() as s:
        view = queries.get_request(s, who, request_id).as_dict()
        _n, offers = queries.list_offers(s, who, request_id=request_id, limit=1000)
    active = view["state"] == RequestState.ACTIVE
    partner = view["partner_id"]
    return TEMPLATES.TemplateResponse(
        request,
        "request_detail.html",
        {
            "r": view,
            "offers": offers,
            "done_text": REQUEST_DONE.get(done or ""),
            "error": error,
            "v": values or {},
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


@router.post("/requests/{request_id}/act", response_class=HTMLResponse)
async def act_on_request(
    request: Request, ctx: Ctx, who: PageActor, request_id: RecordId
) -> Response:
    """The request page's forms: answer with an offer, withdraw, close, widen."""
    form = await request.form()
    info = page_session(request)
    assert info is not None
    check_csrf(info, str(form.get("csrf_token") or ""))
    action = str(form.get("action") or "")
    try:
        values = _checked(form)
        with ctx.unit_of_work() as uow:
            offer_id = _request_form_action(AssistanceService(uow), who, request_id, values)
    except DomainError as exc:
        return _request_page(
            request,
            ctx,
            who,
            request_id,
            error=exc.detail,
            values=_typed(form),
            status_code=exc.status,
        )
    if offer_id is not None:
        return RedirectResponse(f"/offers/{offer_id}?done=offered", status_code=303)
    return RedirectResponse(f"/requests/{request_id}?done={action}", status_code=303)


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
        )
    if action == "withdraw":
        service.withdraw_request(who, request_id, values.get("reason", ""))
    elif action == "close":
        service.close_request(who, request_id, values.get("reason", ""))
    elif action == "widen":
        service.widen(who, "request", request_id, values.get("releasability", ""))
    else:
        raise InvalidInput("action", f"unknown action {action!r}")
    return None


E = TypeVar("E", bound=StrEnum)


def _choice(field: str, text: str, kind: type[E]) -> str:
    try:
        return kind(text).value
    except ValueError:
        raise InvalidInput(field, f"use one of {', '.join(k.value for k in kind)}") from None


@router.get("/offers", response_class=HTMLResponse)
def offers_page(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """Every offer the reader may see, as the URL's view asks (``format`` downloads it)."""
    listing, stmt = listings.offers_listing(who)
    with ctx.reading() as s:
        view = listing.parse(
            request.query_params,
            options={
                "member": listings.member_options(s),
                "area": listings.area_options(s),
                "request": listings.request_options(s, who),
            },
        )
        if view.format is not None:
            return _download(ctx, view, stmt, lambda s, rows: _offer_export(s, who, rows))
        shown = view.fetch(s, stmt)
        shown = shown.with_rows(listings.offer_rows(s, who, shown.rows))
    return TEMPLATES.TemplateResponse(request, "offers.html", {"view": view, "shown": shown})


def _offer_export(s: Session, who: Actor, rows: Iterator[Any]) -> Iterator[dict[str, Any]]:
    shaped = listings.in_batches(rows, lambda batch: listings.offer_rows(s, who, batch))
    return (listings.offer_export(o) for o in shaped)


@router.get("/deliveries", response_class=HTMLResponse)
def deliveries_page(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """What was delivered, as the ledger records it, of the offers the reader may see."""
    listing, stmt = listings.deliveries_listing(who)
    with ctx.reading() as s:
        view = listing.parse(
            request.query_params,
            options={"member": listings.member_options(s), "area": listings.area_options(s)},
        )
        if view.format is not None:
            return _download(
                ctx, view, stmt, lambda _s, rows: (listings.delivery_row(r) for r in rows)
            )
        shown = view.fetch(s, stmt)
        shown = shown.with_rows([listings.delivery_row(r) for r in shown.rows])
    return TEMPLATES.TemplateResponse(request, "deliveries.html", {"view": view, "shown": shown})


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
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
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
                req = queries.get_request(s, who, offer["request_id"]).as_dict()
            except NotFound:  # the request was not released to this reader
                req = None
    actions = policy.offer_actions(
        who, OfferState(offer["state"]), offer["member_id"], offer["partner_id"]
    )
    wider = [r.value for r in Releasability if r.rank > Releasability(offer["releasability"]).rank]
    return TEMPLATES.TemplateResponse(
        request,
        "offer_detail.html",
        {
            "o": offer,
            "deliveries": deliveries,
            "entries": entries,
            "timeline": timeline,
            "req": req,
            "actions": actions,
            "wider": wider,
            # The action panel shows when there is something to do besides settling deliveries.
            "show_actions": bool(actions - {"settle", "widen"}) or ("widen" in actions and wider),
            "done": done if done in DONE else None,
            "done_text": DONE.get(done or ""),
            "error": error,
        },
        status_code=status_code,
    )


DONE = {
    "offered": "Offer made. The partner sees it and can accept or decline it.",
    "accept": "Offer accepted.",
    "decline": "Offer declined.",
    "withdraw": "Offer withdrawn.",
    "commit": "Offer committed.",
    "cancel": "Commitment cancelled.",
    "record_delivery": "Delivery recorded; it counts once the partner confirms it.",
    "confirm": "Delivery confirmed.",
    "reject": "Delivery rejected.",
    "widen": "Released more widely.",
}


@router.post("/offers/{offer_id}/act", response_class=HTMLResponse)
def act_on_offer(
    request: Request,
    ctx: Ctx,
    who: PageActor,
    offer_id: RecordId,
    action: Annotated[str, Form(max_length=40), SingleLine],
    csrf_token: Annotated[str, Form(max_length=200), SingleLine] = "",
    reason: Annotated[str, Form(max_length=2000), MultiLine] = "",
    quantity: Annotated[str, Form(max_length=20), SingleLine] = "",
    delivered_on: Annotated[str, Form(max_length=20), SingleLine] = "",
    note: Annotated[str, Form(max_length=2000), MultiLine] = "",
    delivery_id: Annotated[str, Form(max_length=20), SingleLine] = "",
    releasability: Annotated[str, Form(max_length=20), SingleLine] = "",
) -> Response:
    """The offer page's forms: one transition per post, then back to the page."""
    info = page_session(request)
    assert info is not None  # PageActor guarantees a live session
    check_csrf(info, csrf_token)
    form = OfferForm(action, reason, quantity, delivered_on, note, delivery_id, releasability)
    try:
        with ctx.unit_of_work() as uow:
            _offer_form_action(AssistanceService(uow), who, offer_id, form)
    except DomainError as exc:
        # Show the page again, with what went wrong; nothing was changed.
        return _offer_page(request, ctx, who, offer_id, error=exc.detail, status_code=exc.status)
    return RedirectResponse(f"/offers/{offer_id}?done={action}", status_code=303)


@dataclass(frozen=True)
class OfferForm:
    """What one of the offer page's forms sent."""

    action: str
    reason: str
    quantity: str
    delivered_on: str
    note: str
    delivery_id: str
    releasability: str


def _offer_form_action(
    service: AssistanceService, who: Actor, offer_id: int, form: OfferForm
) -> None:
    """Carry out one form of the offer page, as its API route would."""
    action = form.action
    if action == "accept":
        service.accept(who, offer_id)
    elif action == "decline":
        service.decline(who, offer_id, form.reason)
    elif action == "withdraw":
        service.withdraw(who, offer_id, form.reason)
    elif action == "commit":
        quantity = parse_quantity("quantity", form.quantity) if form.quantity else None
        service.commit(who, offer_id, quantity)
    elif action == "cancel":
        service.cancel(who, offer_id, form.reason)
    elif action == "record_delivery":
        service.record_delivery(
            who,
            offer_id,
            quantity=parse_quantity("quantity", form.quantity),
            delivered_on=parse_day("delivered_on", form.delivered_on)
            if form.delivered_on
            else None,
            note=form.note,
        )
    elif action == "confirm":
        service.confirm_delivery(who, parse_record_id("delivery_id", form.delivery_id))
    elif action == "reject":
        service.reject_delivery(who, parse_record_id("delivery_id", form.delivery_id), form.reason)
    elif action == "widen":
        service.widen(who, "offer", offer_id, form.releasability)
    else:
        raise InvalidInput("action", f"unknown action {action!r}")
