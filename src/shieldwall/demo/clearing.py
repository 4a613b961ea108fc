"""The clearing house in the demo: a few members' illustrative availability (availability.toml)
and one matching run over the partner's open requests, so that /matching is not empty.

Declared and run at the demo's present, in the builder's one unit of work: the run's input is
read, solved and explained there and written by ``finish_run`` as a run started from the page
would be (``run_matching`` opens units of work of its own, which the demo's cannot nest)."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from shieldwall.access.model import Actor
from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.uow import UnitOfWork
from shieldwall.matching import model, queries
from shieldwall.matching.service import MatchingService, compute

HERE = Path(__file__).parent
AVAILABILITY = HERE / "availability.toml"
# The demo's run admits late deliveries at a discount: the demo's requests are all past their
# need-by dates at its present, so that forbidding them would leave every need uncovered.
DEMO_LATE_RULE = model.LateRule.DISCOUNT
DEMO_TIME_LIMIT = 10.0


@dataclass(frozen=True)
class Line:
    member: str
    item: str
    quantity: int
    kind: str
    days_from_present: int
    training_only: bool = False
    per_request: int | None = None


def read_availability(path: Path = AVAILABILITY) -> list[Line]:
    """The lines, checked before the database is touched (a one-line error naming the line)."""
    with path.open("rb") as f:
        raw = tomllib.load(f).get("line", [])
    lines = []
    for n, entry in enumerate(raw, 1):
        try:
            lines.append(Line(**entry))
        except TypeError as exc:
            raise InvalidInput(f"{path.name} line {n}", str(exc)) from None
        if lines[-1].days_from_present < 0:
            raise InvalidInput(f"{path.name} line {n}", "days_from_present: give 0 or more")
    return lines


def declare_and_match(
    uow: UnitOfWork, secretariat: Actor, members: dict[str, Actor], lines: list[Line]
) -> dict[str, int]:
    """Each line declared by its member (illustrative), then one run by the secretariat; what
    was declared and proposed."""
    service = MatchingService(uow)
    today = uow.clock.now().date()
    for line in lines:
        service.declare_availability(
            members[line.member],
            member=line.member,
            item=line.item,
            quantity=line.quantity,
            available_from=today + dt.timedelta(days=line.days_from_present),
            kind=line.kind,
            training_only=line.training_only,
            per_request=line.per_request,
            illustrative=True,
        )
    run_id = service.start_run(
        secretariat, time_limit_seconds=DEMO_TIME_LIMIT, late_rule=DEMO_LATE_RULE.value
    )
    problem, ids = queries.problem(uow.session, today)
    result = compute(problem, ids, DEMO_LATE_RULE, DEMO_TIME_LIMIT, lambda _stage: None)
    service.finish_run(secretariat, run_id, result)
    return {
        "illustrative_availability": len(lines),
        "matching_proposals": len(result.proposals),
        "uncovered_needs": len(result.uncovered),
    }
