"""Obligation clocks, run by the scheduler on the platform's clock (``kit.scheduling``).

Each due record is taken in a unit of work of its own and re-checked under its lease
(``kit.scheduling.each_due``), so a deadline takes effect once whichever worker gets there
first, and a worker that wakes after downtime catches up on everything that fell due
meanwhile — once. Consultations are settled before deadlines are marked: a duty met at a
meeting held in time is never marked overdue because the scheduler woke late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from shieldwall.kit.scheduling import Job, each_due
from shieldwall.kit.uow import Platform
from shieldwall.obligations import queries
from shieldwall.obligations.service import ObligationsService

K = TypeVar("K")


def _each_due(
    platform: Platform,
    due: Callable[[Session, dt.datetime], list[K]],
    step: Callable[[ObligationsService, K], bool],
) -> int:
    return each_due(platform, due, lambda uow, key: step(ObligationsService(uow), key))


def settle_consultations(platform: Platform) -> int:
    """Meet the duties to consult whose crisis consultation was held with the member there."""
    return _each_due(
        platform, queries.consultations_to_settle, ObligationsService.settle_consultation
    )


def open_year_ends(platform: Platform) -> int:
    """Open each ended year's report obligations (1 January, 00:00 UTC, after the year)."""

    def step(service: ObligationsService, key: tuple[int, int]) -> bool:
        return service.open_year_end(*key)

    return _each_due(platform, queries.year_ends_to_open, step)


def mark_overdue(platform: Platform) -> int:
    """Mark overdue the open obligations whose deadline has passed."""
    return _each_due(platform, queries.overdue_to_mark, ObligationsService.mark_overdue)


# Settled first, then opened, then marked: what a held consultation met is never marked
# overdue, and a year's item whose deadline passed while no worker ran is marked at once.
JOBS: list[Job] = [
    Job("settle consultations", settle_consultations),
    Job("open year-end obligations", open_year_ends),
    Job("mark obligations overdue", mark_overdue),
]
