"""HTML pages of the assistance ledger: dashboard, requests, offers. Thin: views come from
``queries``, charts from ``reports.charts``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from shieldwall.assistance import queries
from shieldwall.assistance.api import context
from shieldwall.assistance.model import RequestStatus
from shieldwall.context import Context
from shieldwall.reports import charts
from shieldwall.web import TEMPLATES

router = APIRouter(include_in_schema=False)
Ctx = Annotated[Context, Depends(context)]


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, ctx: Ctx) -> HTMLResponse:
    with ctx.reading() as s:
        totals = queries.totals(s)
        coverage = queries.area_coverage(s)
        members = queries.member_gaps(s)
        open_requests = [
            v.as_dict()
            for v in queries.list_requests(s)
            if v.status in (RequestStatus.OPEN, RequestStatus.PARTIALLY_COVERED)
        ]
        _n, awaiting = queries.list_offers(s, state="offered", limit=10)
        pending = queries.pending_deliveries(s)
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
    status: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    wanted = status if status in {s.value for s in RequestStatus} else None
    with ctx.reading() as s:
        views = [v.as_dict() for v in queries.list_requests(s, status=wanted)]
    return TEMPLATES.TemplateResponse(
        request,
        "requests.html",
        {"requests": views, "status": wanted, "statuses": [s.value for s in RequestStatus]},
    )


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(
    request: Request, ctx: Ctx, request_id: Annotated[int, Path(ge=1, le=2**62)]
) -> HTMLResponse:
    with ctx.reading() as s:
        view = queries.get_request(s, request_id).as_dict()
        _n, offers = queries.list_offers(s, request_id=request_id, limit=1000)
    return TEMPLATES.TemplateResponse(request, "request_detail.html", {"r": view, "offers": offers})


@router.get("/offers", response_class=HTMLResponse)
def offers_page(
    request: Request,
    ctx: Ctx,
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
) -> HTMLResponse:
    size = 50
    with ctx.reading() as s:
        total, offers = queries.list_offers(s, offset=(page - 1) * size, limit=size)
    return TEMPLATES.TemplateResponse(
        request,
        "offers.html",
        {"offers": offers, "total": total, "page": page, "pages": max(1, -(-total // size))},
    )


@router.get("/offers/{offer_id}", response_class=HTMLResponse)
def offer_page(
    request: Request, ctx: Ctx, offer_id: Annotated[int, Path(ge=1, le=2**62)]
) -> HTMLResponse:
    with ctx.reading() as s:
        offer = queries.get_offer(s, offer_id)
        deliveries = queries.list_deliveries(s, offer_id=offer_id)
        _n, entries = queries.list_entries(
            s, queries.EntryFilter(offer_id=offer_id), offset=0, limit=1000
        )
        timeline = queries.offer_timeline(s, offer_id)
        req = queries.get_request(s, offer["request_id"]).as_dict() if offer["request_id"] else None
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
