"""The council's deadlines, run by the scheduler on the platform's clock (``kit.scheduling``).

Each due record is taken in a unit of work of its own and re-checked under its lock, so a
deadline takes effect once whichever worker gets there first, and a worker that wakes after
downtime catches up on everything that fell due meanwhile — once.
"""

from __future__ import annotations

from shieldwall.council import model, queries
from shieldwall.council.service import CouncilService
from shieldwall.kit.scheduling import Job
from shieldwall.kit.uow import Platform


def adopt_silences(platform: Platform) -> int:
    """Adopt, as of their deadline, the proposals whose silence held."""
    with platform.reading() as s:
        due = queries.silences_due(s, platform.clock.now())
    adopted = 0
    for proposal_id in due:
        with platform.unit_of_work() as uow:
            adopted += CouncilService(uow).adopt_if_silence_held(proposal_id)
    return adopted


def flag_late_consultations(platform: Platform) -> int:
    """Flag the crisis consultations not held within the council's time limit."""
    with platform.reading() as s:
        due = queries.consultations_late(s, platform.clock.now())
    flagged = 0
    for meeting_id in due:
        with platform.unit_of_work() as uow:
            flagged += CouncilService(uow).flag_if_late(meeting_id)
    return flagged


def remind_silent_delegations(platform: Platform) -> int:
    """Remind the delegations without a position, 24 h and 1 h before a silence deadline."""
    now = platform.clock.now()
    with platform.reading() as s:
        soon = queries.silences_within(s, now, model.REMINDERS[0][1])
    sent = 0
    for proposal_id in soon:
        with platform.unit_of_work() as uow:
            sent += CouncilService(uow).remind_silent(proposal_id)
    return sent


JOBS: list[Job] = [
    Job("adopt silences", adopt_silences),
    Job("flag late consultations", flag_late_consultations),
    Job("silence reminders", remind_silent_delegations),
]
