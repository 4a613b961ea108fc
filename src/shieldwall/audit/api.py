"""The audit log for the secretariat: JSON API and page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from shieldwall.access.schemas import AuditOut
from shieldwall.access.web import Ctx, PageActor, Reader
from shieldwall.audit.anchors import anchor_problem, last_anchor
from shieldwall.audit.queries import (
    AUDIT_LISTING,
    AuditFilter,
    audit_statement,
    list_audit,
    record_dict,
)
from shieldwall.audit.story import RECORD_TYPES, Story, action_choices, change_text, tell
from shieldwall.delegations.tables import Delegation
from shieldwall.kit.dates import check_day, parse_instant
from shieldwall.kit.errors import DomainError
from shieldwall.kit.i18n import gettext
from shieldwall.kit.listing import Option, export_response
from shieldwall.kit.pagination import Page
from shieldwall.kit.params import Limit, Offset
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


@router.get("/audit", response_class=HTMLResponse, include_in_schema=False)
def audit_page(request: Request, ctx: Ctx, who: PageActor, where: Filter) -> Response:
    """The log as a readable history (secretariat only), filtered, searched, sorted and paged
    in the query; ``format=csv|xlsx`` downloads exactly the filtered view. ``since``/``until``
    (the API's instants) still narrow it, for links written before the day range."""
    with ctx.reading() as s:
        stmt = audit_statement(who, where)
        view = AUDIT_LISTING.parse(request.query_params, options=_choices(s))
        for name in ("from", "to"):
            if name in view.matches:
                check_day(name, view.matches[name])
        if view.format:
            records = [record_dict(r) for (r,) in view.all(s, stmt)]
            return export_response(view, _export_rows(tell(s, records)), view.format)
        shown = view.fetch(s, stmt)
        stories = tell(s, [record_dict(r) for (r,) in shown.rows])
        anchor = _anchor_status(s, Path(ctx.settings.audit_anchor_file))
    return TEMPLATES.TemplateResponse(
        request,
        "audit.html",
        {
            "view": view,
            "shown": shown,
            "stories": stories,
            "anchor": anchor,
            "who": who,
            "change_text": change_text,
        },
    )


def _choices(session: Session) -> dict[str, list[Option]]:
    """The filters' menus, in the viewer's language, each sorted as it reads."""
    delegations = session.execute(
        select(Delegation.code, Delegation.name).order_by(Delegation.name)
    ).all()
    return {
        "delegation": [Option(code, f"{name} ({code})") for code, name in delegations],
        "action": [Option(code, words) for code, words in action_choices()],
        "record_type": sorted(
            (Option(code, gettext(word)) for code, word in RECORD_TYPES.items()),
            key=lambda o: o.label,
        ),
    }


def _export_rows(stories: list[Story]) -> Iterator[dict[str, object]]:
    for r in stories:
        yield {
            "id": r.id,
            "at": r.at,
            "what": r.sentence.striptags(),
            "changes": "; ".join(change_text(c) for c in r.changes),
            "actor": r.actor,
            "delegation": r.delegation or "",
            "action": r.action,
            "record_type": r.record_type,
            "record_id": r.record_id,
            "before": r.raw_before or "",
            "after": r.raw_after or "",
        }


def _anchor_status(session: Session, path: Path) -> dict[str, object]:
    """The newest anchor and whether the chain still reaches it, for the page."""
    try:
        anchor = last_anchor(path)
    except DomainError as exc:
        return {"anchor": None, "problem": exc.detail}
    if anchor is None:
        return {"anchor": None, "problem": None}
    return {"anchor": anchor, "problem": anchor_problem(session, anchor)}
