"""The audit log for the secretariat: JSON API and page."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from shieldwall.access.schemas import AuditOut
from shieldwall.access.web import Ctx, PageActor, Reader
from shieldwall.audit.anchors import anchor_problem, last_anchor
from shieldwall.audit.queries import AuditFilter, count_audit, list_audit
from shieldwall.audit.story import RECORD_TYPES, action_choices, tell
from shieldwall.kit.dates import parse_instant
from shieldwall.kit.errors import DomainError
from shieldwall.kit.i18n import gettext
from shieldwall.kit.pagination import Page
from shieldwall.kit.params import Limit, Offset, PageNumber
from shieldwall.kit.problems import problem_responses
from shieldwall.kit.templating import TEMPLATES

router = APIRouter()
Text = Annotated[str | None, Query(max_length=120)]
ISO_INSTANT = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$"
Instant = Annotated[
    str | None,
    Query(pattern=ISO_INSTANT, description="ISO 8601 date or date-time; UTC unless an offset"),
]


def _instant(field: str, text: str | None) -> dt.datetime | None:
    """The filter's instant, within the supported range; 422 naming ``field`` otherwise."""
    return None if text is None else parse_instant(field, text)


def audit_filter(
    actor: Text = None,
    delegation: Text = None,
    action: Text = None,
    record_type: Text = None,
    record_id: Text = None,
    since: Instant = None,
    until: Instant = None,
) -> AuditFilter:
    since_at, until_at = _instant("since", since), _instant("until", until)
    return AuditFilter(
        actor=actor,
        delegation=delegation,
        action=action,
        record_type=record_type,
        record_id=record_id,
        since=since_at,
        until=until_at,
    )


Filter = Annotated[AuditFilter, Depends(audit_filter)]


@router.get(
    "/api/v1/audit",
    response_model=Page[AuditOut],
    tags=["audit"],
    responses=problem_responses(401, 403),
)
def audit_log(
    ctx: Ctx,
    who: Reader,
    where: Filter,
    offset: Offset = 0,
    limit: Limit = 100,
) -> dict[str, object]:
    """Every state change, newest first (secretariat only)."""
    with ctx.reading() as s:
        total, items = list_audit(s, who, where, offset=offset, limit=limit)
    return {"total": total, "offset": offset, "limit": limit, "items": items}


PAGE_SIZE = 50
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@router.get("/audit", response_class=HTMLResponse, include_in_schema=False)
def audit_page(
    request: Request,
    ctx: Ctx,
    who: PageActor,
    where: Filter,
    page: PageNumber = 1,
) -> HTMLResponse:
    until = request.query_params.get("until") or ""
    if where.until is not None and _DATE_ONLY.match(until):
        # The page's "To" is a day, and a day includes its own records.
        where = replace(where, until=where.until + dt.timedelta(days=1))
    with ctx.reading() as s:
        total = count_audit(s, who, where)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(page, pages)  # past the end, the last page: never "page 11 of 10"
        _total, items = list_audit(s, who, where, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        stories = tell(s, items)
        anchor = _anchor_status(s, Path(ctx.settings.audit_anchor_file))
    kept = {k: v for k, v in request.query_params.items() if k != "page" and v}
    return TEMPLATES.TemplateResponse(
        request,
        "audit.html",
        {
            "stories": stories,
            "total": total,
            "page": page,
            "pages": pages,
            "where": where,
            "typed": request.query_params,
            "who": who,
            "anchor": anchor,
            "actions": action_choices(),
            "record_types": sorted(
                ((code, gettext(word)) for code, word in RECORD_TYPES.items()),
                key=lambda pair: pair[1],
            ),
            "page_link": lambda n: "?" + urlencode({**kept, "page": n}),
        },
    )


def _anchor_status(session: Session, path: Path) -> dict[str, object]:
    """The newest anchor and whether the chain still reaches it, for the page."""
    try:
        anchor = last_anchor(path)
    except DomainError as exc:
        return {"anchor": None, "problem": exc.detail}
    if anchor is None:
        return {"anchor": None, "problem": None}
    return {"anchor": anchor, "problem": anchor_problem(session, anchor)}
