""" "Needs you now": what waits for the reader's delegation, from every feature, most urgent
first — on the landing page and as ``GET /api/v1/inbox``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from shieldwall.access.model import Actor
from shieldwall.access.web import Ctx, Reader
from shieldwall.assistance import queries as assistance
from shieldwall.council import queries as council
from shieldwall.kit.inbox import Waiting, is_overdue, most_urgent_first, time_left_text
from shieldwall.kit.problems import problem_responses
from shieldwall.obligations import queries as obligations
from shieldwall.reports.schemas import InboxLineOut

Source = Callable[[Session, Actor, dt.datetime], list[Waiting]]

# Every feature that says what waits for a delegation, each read inside the reader's
# releasability by the feature itself: the one place a feature's lines plug in.
SOURCES: tuple[Source, ...] = (
    assistance.waiting_for,
    council.waiting_for,
    obligations.waiting_for,
)

router = APIRouter()


def needs_you_now(session: Session, reader: Actor, now: dt.datetime) -> list[Waiting]:
    """Every feature's lines for the reader, merged, most urgent first."""
    return most_urgent_first(line for source in SOURCES for line in source(session, reader, now))


def line_dict(line: Waiting, now: dt.datetime) -> dict[str, Any]:
    """A line as the API and the page show it, with the time left at ``now``."""
    left = line.time_left(now)
    return {
        "kind": line.kind,
        "title": line.title,
        "action": line.action,
        "link": line.link,
        "record_type": line.record_type,
        "record_id": line.record_id,
        "due_at": line.due_at,
        "since": line.since,
        "time_left_seconds": None if left is None else left // dt.timedelta(seconds=1),
        "time_left": time_left_text(line.due_at, now),
        "overdue": is_overdue(line.due_at, now),
    }


@router.get(
    "/api/v1/inbox",
    response_model=list[InboxLineOut],
    tags=["inbox"],
    responses=problem_responses(),
)
def inbox(ctx: Ctx, who: Reader) -> list[dict[str, Any]]:
    """What waits for your delegation now, most urgent first: overdue, then the soonest
    deadline, then what has waited longest."""
    now = ctx.clock.now()
    with ctx.reading() as s:
        return [line_dict(line, now) for line in needs_you_now(s, who, now)]
