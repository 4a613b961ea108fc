"""Burden-sharing: each member's (and contributor's) share of what is committed and delivered,
as % of its GDP, against what its instruments promised — a chart, and the same figures as a
table beside it for those who read rather than look."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from shieldwall.access.web import Ctx, PageActor
from shieldwall.guarantees import queries
from shieldwall.guarantees.summaries import BURDEN
from shieldwall.kit.listing import summary_download
from shieldwall.kit.params import Whole
from shieldwall.kit.templating import TEMPLATES
from shieldwall.reports import charts

router = APIRouter(include_in_schema=False)
FIRST_YEAR = 2022  # the Kiel tracker's first year; the filter offers each year since


@router.get("/burden-sharing", response_class=HTMLResponse)
def burden_sharing_page(
    request: Request,
    ctx: Ctx,
    who: PageActor,
    year: Annotated[int | None, Whole, Query(ge=1900, le=2199)] = None,
) -> Response:
    """The figures and their chart; ``format`` downloads the figures (``table=burden-sharing``)."""
    asked = summary_download(request.query_params, (BURDEN,))
    this_year = ctx.clock.now().year
    with ctx.reading() as s:
        shared = queries.burden_sharing(s, who, year=year).as_dict()
    if asked is not None:
        return BURDEN.download(shared["rows"], asked[1])
    return TEMPLATES.TemplateResponse(
        request,
        "burden_sharing.html",
        {
            "b": shared,
            "year": year,
            "years": list(range(this_year, FIRST_YEAR - 1, -1)),
            "burden_chart": charts.burden_shares(shared["rows"]),
            "pct": charts.percent_text,
        },
    )
