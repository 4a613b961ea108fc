"""The dashboard: what needs the reader now, and the totals they may see."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from shieldwall.access.web import Ctx, PageActor
from shieldwall.assistance import queries
from shieldwall.assistance.model import OfferState, awaits_cover, urgency
from shieldwall.kit.templating import TEMPLATES
from shieldwall.reports import charts
from shieldwall.reports.inbox import line_dict, needs_you_now

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, ctx: Ctx, who: PageActor) -> HTMLResponse:
    now = ctx.clock.now()
    with ctx.reading() as s:
        needs = [line_dict(line, now) for line in needs_you_now(s, who, now)]
        totals = queries.totals(s, who)
        coverage = queries.area_coverage(s, who)
        members = queries.member_gaps(s, who)
        open_requests = [
            v.as_dict() for v in queries.list_requests(s, who) if awaits_cover(v.status)
        ]
        _n, awaiting = queries.list_offers(s, who, state=OfferState.OFFERED, limit=10)
        pending = queries.pending_deliveries(s, who)
    open_requests.sort(key=lambda r: urgency(r["priority"], r["need_by"]))
    return TEMPLATES.TemplateResponse(
        request,
        "dashboard.html",
        {
            "needs": needs,
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
