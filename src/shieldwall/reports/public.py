"""The transparency page and its API: built only from records released to the public."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from shieldwall.access.model import PUBLIC
from shieldwall.access.web import Ctx, page_session
from shieldwall.assistance import listings, queries
from shieldwall.assistance.schemas import Summary
from shieldwall.kit.listing import DOWNLOAD_RESPONSES, DownloadFormat, summary_download
from shieldwall.kit.problems import problem_responses
from shieldwall.kit.templating import TEMPLATES
from shieldwall.reports import charts, summaries

router = APIRouter()


@router.get(
    "/api/v1/public/summary",
    response_model=Summary,
    tags=["public"],
    responses={**problem_responses(), **DOWNLOAD_RESPONSES},
)
def public_summary(
    ctx: Ctx,
    group_by: Annotated[str, Query(max_length=200)] = "member",
    format: DownloadFormat = None,
) -> object:
    """Offered, committed and delivered over public records only; no sign-in needed;
    ``format=csv|xlsx|json`` gives the same rows as a file."""
    keys = queries.parse_group_by(group_by)
    with ctx.reading() as s:
        rows = queries.ledger_summary(s, PUBLIC, keys)
    if format is not None:
        return listings.ledger_summary_table(keys, name="public-summary").download(rows, format)
    return {"group_by": keys, "rows": rows}


@router.get("/public", response_class=HTMLResponse, include_in_schema=False)
def transparency_page(request: Request, ctx: Ctx) -> Response:
    """The public figures; ``table=totals|members`` with ``format`` downloads one."""
    asked = summary_download(request.query_params, summaries.PUBLIC)
    with ctx.reading() as s:
        totals = queries.totals(s, PUBLIC)
        members = summaries.member_shares(queries.member_gaps(s, PUBLIC))
        by_kind = queries.ledger_summary(s, PUBLIC, ["kind"])
    if asked is not None:
        table, fmt = asked
        return table.download([totals] if table is summaries.TOTALS else members, fmt)
    return TEMPLATES.TemplateResponse(
        request,
        "public.html",
        {
            "totals": totals,
            "members": members,
            "by_kind": by_kind,
            "members_chart": charts.committed_and_delivered(members),
            "pct": charts.percent_text,
            "session": page_session(request),
        },
    )
