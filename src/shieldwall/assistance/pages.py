"""HTML pages of the assistance ledger: dashboard, requests, offers. Thin: views come from
``queries``, charts from ``reports.charts``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from shieldwall.access.web import Ctx, PageActor
from shieldwall.assistance import queries
from shieldwall.assistance.model import RequestStatus
from shieldwall.errors import NotFound
from shieldwall.params import PageNumber, RecordId
from shieldwall.reports import charts
from shieldwall.web import TEMPLATES

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, ctx: Ctx, who: PageActor) -> HTMLResponse:
    with ctx.reading() as s:
        totals = queries.totals(s, who)
        coverage = queries.area_coverage(s, who)
        members = queries.member_gaps(s, who)
        open_requests = [
            v.as_dict()
            for v in queries.list_requests(s, who)
            if v.status in (RequestStatus.OPEN, RequestStatus.PARTIALLY_COVERED)
        ]
        _n, awaiting = queries.list_offers(s, who, state="offered", limit=10)
        pending = queries.pending_deliveries(s, who)
    open_requests.sort(
        key=lambda r: (
            ["critical", "high", "medium", "low"].index(r["priority"]),
            str(r["need_by"] or "9999"),
        )
    )
    return TEMPLATES.TemplateResponse(
        request,
        "dashboard.html",
        {
            "totals": totals,
            "coverage": coverage,
            "members": members,
            "open_requests": open_requests[:10],
            "awaiting": awaiting,
            "pending": pending,
            "coverage_chart": charts.coverage_by_area(coverage),
            "members_chart": charts.pledged_vs_delivered(members),
        },
    )


@router.get("/requests", response_class=HTMLResponse)
def requests_page(
    request: Request,
    ctx: Ctx,
    who: PageActor,
    status: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    wanted = status if status in {s.value for s in RequestStatus} else None
    with ctx.reading() as s:
        views = [v.as_dict() for v in queries.list_requests(s, who, status=wanted)]
    return TEMPLATES.TemplateResponse(
        request,
        "requests.html",
        {"requests": views, "status": wanted, "statuses": [s.value for s in RequestStatus]},
    )


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, ctx: Ctx, who: PageActor, request_id: RecordId) -> HTMLResponse:
    with ctx.reading() as s:
        view = queries.get_request(s, who, request_id).as_dict()
        _n, offers = queries.list_offers(s, who, request_id=request_id, limit=1000)
    return TEMPLATES.TemplateResponse(request, "request_detail.html", {"r": view, "offers": offers})


@router.get("/offers", response_class=HTMLResponse)
def offers_page(
    request: Request,
    ctx: Ctx,
    who: PageActor,
    page: PageNumber = 1,
) -> HTMLResponse:
    size = 50
    with ctx.reading() as s:
        total, offers = queries.list_offers(s, who, offset=(page - 1) * size, limit=size)
    return TEMPLATES.TemplateResponse(
        request,
        "offers.html",
        {"offers": offers, "total": total, "page": page, "pages": max(1, -(-total // size))},
    )


@router.get("/offers/{offer_id}", response_class=HTMLResponse)
def offer_page(request: Request, ctx: Ctx, who: PageActor, offer_id: RecordId) -> HTMLResponse:
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
    return TEMPLATES.TemplateResponse(
        request,
        "offer_detail.html",
        {
            "o": offer,
            "deliveries": deliveries,
            "entries": entries,
            "timeline": timeline,
            "req": req,
        },
    )
