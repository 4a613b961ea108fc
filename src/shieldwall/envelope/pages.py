"""HTML pages of the envelope: readiness over time, the capability packages and the delivery
plans.

Thin, as the council's pages are: a form is parsed, one ``EnvelopeService`` use case runs in
a unit of work, and the browser is sent (303) back to the record with a one-line confirmation.
After an error the form is shown again with what was typed, and the message names the field by
the label the user sees. Which forms a page shows is asked of ``envelope.policy``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from shieldwall.access import forms
from shieldwall.access.forms import FormError, posted_form
from shieldwall.access.model import Actor
from shieldwall.access.web import Ctx, PageActor
from shieldwall.assistance import queries as assistance
from shieldwall.envelope import listings, model, policy, queries
from shieldwall.envelope.chart import readiness_over_time
from shieldwall.envelope.model import KIND_ORDER
from shieldwall.envelope.service import ComponentIn, EnvelopeService
from shieldwall.kit.amounts import parse_quantity
from shieldwall.kit.dates import parse_day
from shieldwall.kit.errors import DomainError, InvalidInput, NotFound
from shieldwall.kit.i18n import N_
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.listing import View, export_response, summary_download
from shieldwall.kit.params import RecordId, parse_record_id
from shieldwall.kit.templating import TEMPLATES
from shieldwall.kit.text import check_text

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query(max_length=40)]
BLANK_ROWS = 2  # empty component rows offered on a package's forms

# The labels the forms show, so that an error names the field as the user sees it (the
# templates write the same words; translated where an error is shown).
LABELS = {
    "as_of": N_("As of"),
    "months_ahead": N_("Months ahead"),
    "slip": N_("Planned delivery"),
    "slip_months": N_("Slips by (months)"),
    "code": N_("Code"),
    "name": N_("Name"),
    "area": N_("Capability area"),
    "description": N_("Description"),
    "units_needed": N_("Units needed"),
    "sustain_window_months": N_("Sustain window (months)"),
    "sources": N_("Sources"),
    "components": N_("Components"),
    "offer_id": N_("Offer"),
    "quantity": N_("Quantity"),
    "expected_on": N_("Expected on"),
    "note": N_("Note"),
    "reason": N_("Reason"),
    "tranche_id": N_("Planned delivery"),
    "action": N_("Action"),
}
COMPONENT_LABELS = {
    "item": N_("Component {n} item"),
    "kind": N_("Component {n} kind"),
    "quantity_per_unit": N_("Component {n} quantity per unit"),
}
# The component kinds and the offer states a page shows with ``term`` (the offer's states are
# assistance's words: ``assistance.pages``).
TERMS = model.TERMS
TEXTS = {"description": 20000, "sources": 20000, "note": 2000, "reason": 2000}


def label(field: str) -> str:
    """A field's label as its form shows it, in the language of the exchange."""
    if field.startswith("components."):
        _c, n, part = [*field.split("."), "", ""][:3]
        number = str(int(n) + 1) if n.isdigit() else n
        if part in COMPONENT_LABELS:
            return _(COMPONENT_LABELS[part]).format(n=number)
        return _(LABELS["components"])
    if field in LABELS:
        return _(LABELS[field])
    return field.replace("_", " ").capitalize()


def form_error(exc: DomainError) -> FormError:
    return forms.form_error(exc, label)


def _checked(form: FormData) -> dict[str, str]:
    """A form's text fields, each checked for control characters and length (``kit.text``)."""
    checked: dict[str, str] = {}
    for k, v in form.multi_items():
        if isinstance(v, str):
            longest = TEXTS.get(k)
            checked[k] = check_text(k, v, multiline=longest is not None, max_length=longest or 200)
    return checked


def _typed(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


def _key() -> str:
    """A fresh idempotency key for a create form: sent twice, the form creates once."""
    return secrets.token_urlsafe(18)


def _whole(field: str, text: str) -> int:
    digits = text.strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) > 4:
        raise InvalidInput(field, _("give a whole number of months, like 3"))
    return int(digits)


# ---- the envelope ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvelopeAsked:
    """What the envelope page was asked for, as typed; read by ``read``."""

    as_of: str | None
    months_ahead: str | None
    slip: str | None
    slip_months: str | None

    def read(self, today: dt.date) -> dict[str, Any]:
        months = _whole("months_ahead", self.months_ahead) if self.months_ahead else 12
        if months > queries.LONGEST_AHEAD_MONTHS:
            raise InvalidInput(
                "months_ahead",
                _("at most {count}").format(count=queries.LONGEST_AHEAD_MONTHS),
            )
        slip = parse_record_id("slip", self.slip) if self.slip else None
        slipping = _whole("slip_months", self.slip_months) if self.slip_months else 3
        return {
            "as_of": parse_day("as_of", self.as_of) if self.as_of else today,
            "months_ahead": months,
            "slip": slip,
            "slip_months": model.check_slip("slip_months", slipping),
        }


@router.get("/envelope", response_class=HTMLResponse)
def envelope_page(
    request: Request,
    ctx: Ctx,
    who: PageActor,
    as_of: Text = None,
    months_ahead: Text = None,
    slip: Text = None,
    slip_months: Text = None,
) -> Response:
    """Readiness as of a day; ``table=readiness-areas|readiness-packages`` with ``format``
    downloads one of its tables as shown."""
    download = summary_download(request.query_params, listings.READINESS)
    asked = EnvelopeAsked(as_of, months_ahead, slip, slip_months)
    today = ctx.clock.now().date()
    error, status = None, 200
    try:
        wanted = asked.read(today)
        with ctx.reading() as s:
            view = queries.envelope(s, who, today=today, **wanted)
        if download is not None:
            table, fmt = download
            return table.download(listings.readiness_rows(table, view), fmt)
    except InvalidInput as exc:
        error, status = form_error(exc), exc.status
        wanted = {"as_of": today, "months_ahead": 12, "slip": None, "slip_months": 3}
        with ctx.reading() as s:
            view = queries.envelope(s, who, today=today, as_of=today)
    return _envelope_page(request, ctx, who, view, wanted, asked, error, status)


def _envelope_page(
    request: Request,
    ctx: Ctx,
    who: Actor,
    view: dict[str, Any],
    wanted: dict[str, Any],
    asked: EnvelopeAsked,
    error: FormError | None,
    status: int,
) -> HTMLResponse:
    today = view["today"]
    best = None
    if policy.may_see_best_deliveries(who):
        with ctx.reading() as s:
            best = queries.best_deliveries(s, who, today, limit=5)
    what_if_on = wanted["as_of"] if wanted["as_of"] > today else model.months_after(today, 3)
    return TEMPLATES.TemplateResponse(
        request,
        "envelope.html",
        {
            "e": view,
            "envelope_chart": readiness_over_time(view["areas"]),
            "series": _series_table(view["areas"]),
            "best": best,
            "may_define": policy.may_define_packages(who),
            "what_if_on": what_if_on,
            "v": {**vars(asked), **{k: v for k, v in wanted.items() if v is not None}},
            "error": error,
        },
        status_code=status,
    )


def _series_table(areas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chart's figures as rows: one per day, a readiness per area."""
    rows: dict[dt.date, dict[str, Any]] = {}
    for area in areas:
        for point in area["series"]:
            row = rows.setdefault(
                point["on"], {"on": point["on"], "projected": point["projected"], "by_area": {}}
            )
            row["by_area"][area["area"]] = point["readiness"]
    return [rows[day] for day in sorted(rows)]


# ---- capability packages --------------------------------------------------------------------


def _catalogue(s: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The capability areas, and every catalogue item with its area's name."""
    areas = assistance.catalogue(s)
    items = [{**i, "area_name": a["name"]} for a in areas for i in a["items"]]
    return areas, items


def _component_rows(values: dict[str, str], count: int) -> list[dict[str, str]]:
    rows = []
    for n in range(count):
        rows.append(
            {
                "item": values.get(f"item_{n}", ""),
                "kind": values.get(f"kind_{n}", ""),
                "quantity": values.get(f"quantity_{n}", ""),
                "per_month": values.get(f"per_month_{n}", ""),
            }
        )
    return rows


def _components_typed(form: FormData, values: dict[str, str]) -> list[ComponentIn]:
    """The components of a package form: one per row with an item; a row left without an item
    is no component."""
    count = _whole("components", values.get("rows", "0") or "0")
    parts: list[ComponentIn] = []
    for n in range(min(count, 100)):
        item = values.get(f"item_{n}", "").strip()
        if not item:
            continue
        field = f"components.{len(parts)}"
        parts.append(
            ComponentIn(
                item,
                values.get(f"kind_{n}", ""),
                parse_quantity(f"{field}.quantity_per_unit", values.get(f"quantity_{n}", "")),
                form.get(f"per_month_{n}") == "yes",
            )
        )
    return parts


def _package_values(p: dict[str, Any]) -> dict[str, str]:
    """A package's fields as its edit form shows them."""
    values = {
        "name": p["name"],
        "units_needed": str(p["units_needed"]),
        "sustain_window_months": str(p["sustain_window_months"]),
        "description": p["description"],
        "sources": p["sources"],
    }
    for n, c in enumerate(p["components"]):
        values |= {
            f"item_{n}": c["item"],
            f"kind_{n}": c["kind"],
            f"quantity_{n}": str(c["quantity_per_unit"]),
            f"per_month_{n}": "yes" if c["per_month"] else "",
        }
    values["rows"] = str(len(p["components"]) + BLANK_ROWS)
    return values


def _new_package_form(
    request: Request,
    ctx: Ctx,
    who: Actor,
    *,
    values: dict[str, str] | None = None,
    error: FormError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with ctx.reading() as s:
        areas, items = _catalogue(s)
    v = values or {"idempotency_key": _key(), "sustain_window_months": "3", "rows": "4"}
    return TEMPLATES.TemplateResponse(
        request,
        "capability_package_new.html",
        {
            "may_define": policy.may_define_packages(who),
            "areas": areas,
            "items": items,
            "kinds": [k.value for k in KIND_ORDER],
            "rows": _component_rows(v, _whole("rows", v.get("rows", "4") or "4")),
            "v": v,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/capability-packages/new", response_class=HTMLResponse)
def new_package_page(request: Request, ctx: Ctx, who: PageActor) -> HTMLResponse:
    return _new_package_form(request, ctx, who)


@router.post("/capability-packages/new", response_class=HTMLResponse)
async def define_package_form(request: Request, ctx: Ctx, who: PageActor) -> Response:
    form = await posted_form(request)
    try:
        values = _checked(form)
        with ctx.unit_of_work() as uow:
            package_id = EnvelopeService(uow).define_package(
                who,
                code=values.get("code", ""),
                name=values.get("name", ""),
                area=values.get("area", ""),
                description=values.get("description", ""),
                units_needed=parse_quantity("units_needed", values.get("units_needed", "")),
                sustain_window_months=_whole(
                    "sustain_window_months", values.get("sustain_window_months", "")
                ),
                sources=values.get("sources", ""),
                components=_components_typed(form, values),
                idempotency_key=values.get("idempotency_key") or None,
            )
    except DomainError as exc:
        return _new_package_form(
            request, ctx, who, values=_typed(form), error=form_error(exc), status_code=exc.status
        )
    return RedirectResponse(f"/capability-packages/{package_id}?done=defined", status_code=303)


PACKAGE_DONE = {
    "defined": N_("Capability package defined."),
    "change": N_("Capability package changed."),
}


@router.get("/capability-packages/{package_id}", response_class=HTMLResponse)
def package_page(
    request: Request, ctx: Ctx, who: PageActor, package_id: RecordId, done: Text = None
) -> HTMLResponse:
    return _package_page(request, ctx, who, package_id, done=done)


def _package_page(
    request: Request,
    ctx: Ctx,
    who: Actor,
    package_id: int,
    *,
    done: str | None = None,
    error: FormError | None = None,
    values: dict[str, str] | None = None,
    confirm_removal: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = ctx.clock.now().date()
    with ctx.reading() as s:
        p = queries.get_package(s, who, package_id, today)
        _areas, items = _catalogue(s)
    v = values or _package_values(p)
    return TEMPLATES.TemplateResponse(
        request,
        "capability_package.html",
        {
            "p": p,
            "today": today,
            "may_define": policy.may_define_packages(who),
            "items": items,
            "kinds": [k.value for k in KIND_ORDER],
            "rows": _component_rows(v, _whole("rows", v.get("rows", "0") or "0")),
            "v": v,
            "done_text": _(PACKAGE_DONE[done]) if done in PACKAGE_DONE else None,
            "confirm_removal": confirm_removal,
            "error": error,
        },
        status_code=status_code,
    )


@router.post("/capability-packages/{package_id}/act", response_class=HTMLResponse)
async def act_on_package(
    request: Request, ctx: Ctx, who: PageActor, package_id: RecordId
) -> Response:
    """The package page's form: its units, window and wording, and its components."""
    form = await posted_form(request)
    removing: list[str] = []
    try:
        values = _checked(form)
        components = _components_typed(form, values)
        with ctx.unit_of_work() as uow:
            service = EnvelopeService(uow)
            today = uow.clock.now().date()
            removing = _removed_components(uow.session, who, package_id, components, today)
            service.change_package(
                who,
                package_id,
                name=values.get("name", ""),
                description=values.get("description", ""),
                units_needed=parse_quantity("units_needed", values.get("units_needed", "")),
                sustain_window_months=_whole(
                    "sustain_window_months", values.get("sustain_window_months", "")
                ),
                sources=values.get("sources", ""),
                components=components,
            )
            if removing and values.get("confirmed") != "yes":
                raise Unconfirmed  # checked whole, then rolled back: asked first
    except Unconfirmed:
        return _package_page(
            request, ctx, who, package_id, values=_typed(form), confirm_removal=removing
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return _package_page(
            request,
            ctx,
            who,
            package_id,
            error=form_error(exc),
            values=_typed(form),
            status_code=exc.status,
        )
    return RedirectResponse(f"/capability-packages/{package_id}?done=change", status_code=303)


class Unconfirmed(Exception):
    """An irreversible change was checked whole but not yet confirmed: its unit of work is
    rolled back, and the page asks the user to confirm what will happen."""


def _removed_components(
    s: Session, who: Actor, package_id: int, components: list[ComponentIn], today: dt.date
) -> list[str]:
    """The names of the package's components that the form's list leaves out."""
    kept = {c.item.strip() for c in components}
    package = queries.get_package(s, who, package_id, today)
    return [c["item_name"] or c["item"] for c in package["components"] if c["item"] not in kept]


# ---- delivery plans -------------------------------------------------------------------------

PLAN_DONE = {
    "plan": N_("Delivery tranche planned."),
    "replan": N_("Delivery tranche re-planned."),
    "remove": N_("Delivery tranche removed from the plan."),
}


# Changes to a plan asked to be confirmed first: a removed tranche is gone, and a re-planned one
# moves the projection of every package that needs its item.
IRREVERSIBLE = frozenset({"replan", "remove"})


def _plan_change(ctx: Ctx, who: Actor, values: dict[str, str]) -> dict[str, Any]:
    """What a confirmed re-plan or removal will do: the tranche as it stands, and as typed."""
    tranche_id = parse_record_id("tranche_id", values.get("tranche_id", ""))
    with ctx.reading() as s:
        tranche = queries.get_tranche(s, who, tranche_id, ctx.clock.now().date())
    quantity = values.get("quantity", "").strip()
    day = values.get("expected_on", "").strip()
    return {
        "action": values.get("action", ""),
        "tranche": tranche,
        "quantity": int(quantity) if quantity else tranche["quantity"],
        "expected_on": dt.date.fromisoformat(day) if day else tranche["expected_on"],
        "reason": values.get("reason", ""),
        "fields": {
            k: values.get(k, "")
            for k in ("tranche_id", "offer_id", "expected_on", "quantity", "reason", "action")
        },
    }


@router.get("/planned-deliveries", response_class=HTMLResponse)
def plans_page(
    request: Request, ctx: Ctx, who: PageActor, offer: Text = None, done: Text = None
) -> Response:
    """One offer's plan, with its forms; without an offer, every tranche the reader may see as
    a list to filter, search, sort and download (``format``)."""
    if offer:
        return _plans_page(request, ctx, who, parse_record_id("offer", offer), done=done)
    today = ctx.clock.now().date()
    stmt = listings.tranches_statement(who)
    with ctx.reading() as s:
        view = listings.TRANCHES.parse(request.query_params, options=listings.options(s))
        if view.format is not None:
            return _download(ctx, who, view, stmt, today)
        shown = view.fetch(s, stmt)
        shown = shown.with_rows(listings.tranche_rows(s, who, shown.rows, today))
    return TEMPLATES.TemplateResponse(
        request,
        "planned_deliveries.html",
        {
            "offer": None,
            "view": view,
            "shown": shown,
            "today": today,
            "done_text": _(PLAN_DONE[done]) if done in PLAN_DONE else None,
        },
    )


def _download(ctx: Ctx, who: Actor, view: View, stmt: Any, today: dt.date) -> Response:
    """The whole view as its ``format`` asks, read in a session of its own (a CSV is still
    being sent after the page's session has closed)."""

    def rows() -> Iterator[dict[str, Any]]:
        with ctx.reading() as s:
            yield from listings.export_rows(s, who, view.all(s, stmt), today)

    assert view.format is not None
    return export_response(view, rows(), view.format)


def _plans_page(
    request: Request,
    ctx: Ctx,
    who: Actor,
    offer_id: int | None,
    *,
    done: str | None = None,
    error: FormError | None = None,
    values: dict[str, str] | None = None,
    confirm: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    today = ctx.clock.now().date()
    with ctx.reading() as s:
        offer = assistance.get_offer(s, who, offer_id) if offer_id is not None else None
        tranches = queries.list_tranches(s, who, today, offer_id=offer_id)
    plannable = offer is not None and offer["state"] == "committed" and bool(offer["item"])
    return TEMPLATES.TemplateResponse(
        request,
        "planned_deliveries.html",
        {
            "offer": offer,
            "tranches": tranches,
            "today": today,
            "may_plan": plannable and policy.may_plan(who, _member_id(offer, None)),
            "may_replan": {t["id"] for t in tranches if policy.may_plan(who, _member_id(offer, t))},
            "remaining": None if offer is None else _remaining(offer, tranches),
            "v": values or {"idempotency_key": _key()},
            "done_text": _(PLAN_DONE[done]) if done in PLAN_DONE else None,
            "confirm": confirm,
            "error": error,
        },
        status_code=status_code,
    )


def _member_id(offer: dict[str, Any] | None, tranche: dict[str, Any] | None) -> int:
    """The member of the offer shown, whose tranche (if named) is listed (0: no offer is
    shown, so no member is known here and only the secretariat gets the forms)."""
    if offer is None or (tranche is not None and offer["id"] != tranche["offer_id"]):
        return 0
    return int(offer["member_id"])


def _remaining(offer: dict[str, Any], tranches: list[dict[str, Any]]) -> dict[str, int]:
    committed, delivered = offer["committed_quantity"], offer["delivered_quantity"]
    planned = sum(t["outstanding"] for t in tranches)
    left = max(committed - delivered, 0)
    return {"left": left, "planned": planned, "unplanned": max(left - planned, 0)}


@router.post("/planned-deliveries/act", response_class=HTMLResponse)
async def act_on_plans(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """The plan page's forms: plan a tranche, re-plan one (a slip) or remove one."""
    form = await posted_form(request)
    offer_text = str(form.get("offer_id") or "")
    offer_id = parse_record_id("offer_id", offer_text) if offer_text.strip() else None
    action = str(form.get("action") or "")
    try:
        values = _checked(form)
        with ctx.unit_of_work() as uow:
            _plan_form_action(EnvelopeService(uow), who, offer_id, values)
            if action in IRREVERSIBLE and values.get("confirmed") != "yes":
                raise Unconfirmed  # checked whole, then rolled back: asked first
    except Unconfirmed:
        return _plans_page(
            request, ctx, who, offer_id, values=_typed(form), confirm=_plan_change(ctx, who, values)
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return _plans_page(
            request,
            ctx,
            who,
            offer_id,
            error=form_error(exc),
            values=_typed(form),
            status_code=exc.status,
        )
    where = f"offer={offer_id}&" if offer_id is not None else ""
    return RedirectResponse(f"/planned-deliveries?{where}done={action}", status_code=303)


def _plan_form_action(
    service: EnvelopeService, who: Actor, offer_id: int | None, values: dict[str, str]
) -> None:
    """Carry out one form of the plan page, as its API route would."""
    action = values.get("action", "")
    day = values.get("expected_on", "").strip()
    expected_on = parse_day("expected_on", day) if day else None
    if action == "plan":
        if offer_id is None:
            raise InvalidInput("offer_id", _("name the offer whose deliveries are planned"))
        if expected_on is None:
            raise InvalidInput("expected_on", _("give the date the tranche is expected"))
        service.plan_delivery(
            who,
            offer_id,
            quantity=parse_quantity("quantity", values.get("quantity", "")),
            expected_on=expected_on,
            note=values.get("note", ""),
            idempotency_key=values.get("idempotency_key") or None,
        )
        return
    tranche_id = parse_record_id("tranche_id", values.get("tranche_id", ""))
    if action == "replan":
        quantity = values.get("quantity", "").strip()
        service.replan_delivery(
            who,
            tranche_id,
            reason=values.get("reason", ""),
            expected_on=expected_on,
            quantity=parse_quantity("quantity", quantity) if quantity else None,
        )
    elif action == "remove":
        service.remove_delivery(who, tranche_id, reason=values.get("reason", ""))
    else:
        raise InvalidInput("action", _("unknown action {action!r}").format(action=action))
