"""The scheduler: runs every feature's scheduled jobs, in turn, on the platform's clock.

Each feature offers its jobs in its ``scheduled.py`` (``JOBS: list[Job]``); the list below
puts them together. A job finds what is due in the database and acts on it under row leases
(``kit.scheduling``), so the scheduler itself holds no state: it may stop, restart, run late
or run in two processes at once, and each deadline still takes effect once.

It runs inside ``shieldwall serve`` (a background thread, ``SchedulerThread``) and alone as
``shieldwall worker``. One job's failure is logged and does not stop the others or the loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from shieldwall.council import scheduled as council
from shieldwall.kit.scheduling import Job
from shieldwall.kit.uow import Platform
from shieldwall.notifications import scheduled as notifications
from shieldwall.obligations import scheduled as obligations

log = logging.getLogger("shieldwall.scheduler")

# Every feature's jobs, in the order they run: a feature's deadlines first (they write
# notifications), then the mail that carries them.
JOBS: list[Job] = [
    *council.JOBS,
    *obligations.JOBS,
    *notifications.JOBS,
]


@dataclass
class Round:
    """What one pass over the jobs did: per job, how many things, or why it failed."""

    done: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def run_jobs(platform: Platform, jobs: Sequence[Job] = JOBS) -> Round:
    """Run each job once, in turn. A job that raises is logged, with its error, and the next
    job runs all the same: a broken one must not starve the rest."""
    round_ = Round()
    for job in jobs:
        try:
            round_.done[job.name] = job.run(platform)
        except Exception as exc:
            log.exception("scheduled job %r failed", job.name)
            round_.failed[job.name] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return round_


def run_once(platform: Platform) -> dict[str, int]:
    """Run every job once; per job that ran, how many things it did (a failed job is logged
    and left out)."""
    return run_jobs(platform).done


def run_forever(
    platform: Platform,
    stop: threading.Event,
    interval_seconds: float,
    jobs: Sequence[Job] = JOBS,
    on_round: Callable[[Round], None] | None = None,
) -> None:
    """Run the jobs every ``interval_seconds`` until ``stop`` is set. Nothing a round raises
    ends the loop: the next round tries again."""
    while not stop.is_set():
        try:
            round_ = run_jobs(platform, jobs)
            if on_round is not None:
                on_round(round_)
        except Exception:  # e.g. the report of a round; the loop itself must go on
            log.exception("a scheduler round failed")
        stop.wait(interval_seconds)


class SchedulerThread:
    """The scheduler in a background thread of ``shieldwall serve``; ``stop`` ends it between
    rounds (a round under way finishes first) and waits for it."""

    def __init__(
        self, platform: Platform, interval_seconds: float, jobs: Sequence[Job] = JOBS
    ) -> None:
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=run_forever,
            args=(platform, self.stop_event, interval_seconds, jobs),
            name="shieldwall-scheduler",
            daemon=True,
        )

    def start(self) -> None:
        self.thread.start()
        log.info("scheduler started")

    def stop(self, timeout: float = 60.0) -> bool:
        """Ask the thread to stop and wait for it; whether it did within ``timeout``."""
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout)
        stopped = not self.thread.is_alive()
        log.info("scheduler stopped" if stopped else "scheduler still finishing a round")
        return stopped

    @property
    def running(self) -> bool:
        return self.thread.is_alive()
