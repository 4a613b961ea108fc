"""The dashboard: what needs the reader now, and the totals they may see."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from shieldwall.access.web import Ctx, PageActor
from shieldwall.assistance import queries
from shieldwall.assistance.model import OfferState, awaits_cover, urgency
from shieldwall.assistance.words import quantity_of
from shieldwall.kit.i18n import format_day, ngettext
from shieldwall.kit.listing import SummaryTable, summary_download
from shieldwall.kit.templating import TEMPLATES
from shieldwall.reports import charts, summaries
from shieldwall.reports.inbox import line_dict, needs_you_now

router = APIRouter(include_in_schema=False)


def offer_words(offer: dict[str, Any], units: dict[str, str]) -> str:
    """What an offer brings, in words: "IRIS-T SLM, 40 missiles" (or its area and count)."""
    if offer["item"]:
        return quantity_of(offer["quantity"], offer["item_name"], units.get(offer["item"]))
    return quantity_of(offer["quantity"], offer["description"] or offer["area"], None)


def delivery_line(delivery: dict[str, Any], offer: dict[str, Any], units: dict[str, str]) -> str:
    """A delivery to confirm, naming the member and the item: "Germany: offer #67 of
    IRIS-T SLM, 40 missiles — 3 delivered on 2024-05-02, to confirm"."""
    return ngettext(
        "{member}: offer #{offer} of {what} — {count} delivered on {day}, to confirm",
        "{member}: offer #{offer} of {what} — {count} delivered on {day}, to confirm",
        delivery["quantity"],
    ).format(
        member=offer["member_name"],
        offer=offer["id"],
        what=offer_words(offer, units),
        count=f"{delivery['quantity']:,}",
        day=format_day(delivery["delivered_on"]),
    )


def _download(ctx: Ctx, who: PageActor, table: SummaryTable, fmt: str) -> Response:
    with ctx.reading() as s:
        if table is summaries.TOTALS:
            rows = [queries.totals(s, who)]
        elif table is summaries.COVERAGE:
            rows = queries.area_coverage(s, who)
        else:
            rows = summaries.member_shares(queries.member_gaps(s, who))
    return table.download(rows, fmt)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, ctx: Ctx, who: PageActor) -> Response:
    """What needs the reader now and the totals it may see; ``table=totals|coverage|members``
    with ``format`` downloads one of its tables."""
    asked = summary_download(request.query_params, summaries.DASHBOARD)
    if asked is not None:
        return _download(ctx, who, *asked)
    now = ctx.clock.now()
    with ctx.reading() as s:
        needs = [line_dict(line, now) for line in needs_you_now(s, who, now)]
        totals = queries.totals(s, who)
        coverage = queries.area_coverage(s, who)
        members = summaries.member_shares(queries.member_gaps(s, who))
        open_requests = [
            v.as_dict() for v in queries.list_requests(s, who) if awaits_cover(v.status)
        ]
        _n, awaiting = queries.list_offers(s, who, state=OfferState.OFFERED, limit=10)
        pending = queries.pending_deliveries(s, who)
        names = queries.Names.load(s)  # read once for the whole page (a read-only session)
        units = {names.items[i][0]: unit for i, unit in names.units.items()}
        # Few deliveries wait at once: their offers, each read inside the reader's releasability.
        offers = {i: queries.get_offer(s, who, i) for i in sorted({d["offer_id"] for d in pending})}
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
            "awaiting": [{**o, "what": offer_words(o, units)} for o in awaiting],
            "pending": [
                {**d, "line": delivery_line(d, offers[d["offer_id"]], units)} for d in pending
            ],
            "coverage_chart": charts.coverage_by_area(coverage),
            "members_chart": charts.committed_and_delivered(members),
            "pct": charts.percent_text,
        },
    )
