"""The transparency page and its API: built only from records released to the public."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from shieldwall.access.model import PUBLIC
from shieldwall.access.web import Ctx, page_session
from shieldwall.assistance import queries
from shieldwall.assistance.schemas import Summary
from shieldwall.kit.problems import problem_responses
from shieldwall.kit.templating import TEMPLATES
from shieldwall.reports import charts

router = APIRouter()


@router.get(
    "/api/v1/public/summary", response_model=Summary, tags=["public"], responses=problem_responses()
)
def public_summary(
    ctx: Ctx,
    group_by: Annotated[str, Query(max_length=200)] = "member",
) -> dict[str, object]:
    """Offered, committed and delivered over public records only; no sign-in needed."""
    keys = queries.parse_group_by(group_by)
    with ctx.reading() as s:
        return {"group_by": keys, "rows": queries.ledger_summary(s, PUBLIC, keys)}


@router.get("/public", response_class=HTMLResponse, include_in_schema=False)
def transparency_page(request: Request, ctx: Ctx) -> HTMLResponse:
    with ctx.reading() as s:
        totals = queries.totals(s, PUBLIC)
        members = queries.member_gaps(s, PUBLIC)
        by_kind = queries.ledger_summary(s, PUBLIC, ["kind"])
    return TEMPLATES.TemplateResponse(
        request,
        "public.html",
        {
            "totals": totals,
            "members": members,
            "by_kind": by_kind,
            "members_chart": charts.committed_and_delivered(members),
            "session": page_session(request),
        },
    )
