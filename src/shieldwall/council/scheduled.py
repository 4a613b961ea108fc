"""The council's deadlines, run by the scheduler on the platform's clock (``kit.scheduling``).

Each due record is taken in a unit of work of its own and re-checked under its lock
(``kit.scheduling.each_due``), so a deadline takes effect once whichever worker gets there
first, and a worker that wakes after downtime catches up on everything that fell due
meanwhile — once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session

from shieldwall.council import model, queries
from shieldwall.council.service import CouncilService
from shieldwall.kit.scheduling import Job, each_due
from shieldwall.kit.uow import Platform


def _each_due(
    platform: Platform,
    due: Callable[[Session, dt.datetime], list[int]],
    step: Callable[[CouncilService, int], int],
) -> int:
    return each_due(platform, due, lambda uow, record_id: step(CouncilService(uow), record_id))


def adopt_silences(platform: Platform) -> int:
    """Adopt, as of their deadline, the proposals whose silence held."""
    return _each_due(platform, queries.silences_due, CouncilService.adopt_if_silence_held)


def flag_late_consultations(platform: Platform) -> int:
    """Flag the crisis consultations not held within the council's time limit."""
    return _each_due(platform, queries.consultations_late, CouncilService.flag_if_late)


def remind_silent_delegations(platform: Platform) -> int:
    """Remind the delegations without a position, 24 h and 1 h before a silence deadline."""

    def within_a_day(s: Session, now: dt.datetime) -> list[int]:
        return queries.silences_within(s, now, model.REMINDERS[0][1])

    return _each_due(platform, within_a_day, CouncilService.remind_silent)


JOBS: list[Job] = [
    Job("adopt silences", adopt_silences),
    Job("flag late consultations", flag_late_consultations),
    Job("silence reminders", remind_silent_delegations),
]
