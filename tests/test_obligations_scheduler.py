"""The obligations' deadlines take effect once: two schedulers on one database at the same time
(two platforms, each with its own connections, as two worker processes would have), and one
scheduler run twice in a row, on SQLite and PostgreSQL; and the whole round through
``scheduler.run_once``.

By hand: twelve instruments (two for each of six members), each with a duty to consult within
2 h of an armed attack and a yearly report within 30 days (720 h). The attack is at 11:00 UTC,
so the duties are due at 13:00; the consultation is held at 12:45 with four of the members: 8
duties met, the other 4 overdue at 13:00:01. On 2 March 2026 the reports on 2024 and 2025 have
opened (24), and both are past their deadlines (31 January 2025 and 2026)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence

from sqlalchemy import func, select

from shieldwall.audit.service import verify_chain
from shieldwall.audit.tables import AuditRecord
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.uow import Platform
from shieldwall.obligations import scheduled
from shieldwall.obligations.tables import DueItem, TriggerEvent
from shieldwall.scheduler import run_once
from tests.conftest import actor
from tests.guarantees_fixtures import instrument_with_obligation
from tests.platform import TestPlatform as Context
from tests.platform import open_test_platform

MEMBERS = ("DEU", "USA", "FRA", "POL", "NOR", "SWE")
CLAUSES = [("armed attack", "consult", 2), ("year end", "report", 720)]


def _audited(ctx: Context, action: str) -> int:
    with ctx.reading() as s:
        return int(s.scalar(select(func.count()).where(AuditRecord.action == action)) or 0)


def _at_once(platforms: Sequence[Platform], job: Callable[[Platform], int]) -> int:
    """Run ``job`` on each platform in its own thread, all released at the same instant."""
    start = threading.Barrier(len(platforms))
    done: list[int] = [0] * len(platforms)
    failed: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            done[n] = job(platforms[n])
        except BaseException as exc:  # reported below, in the test's thread
            failed.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(platforms))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert failed == []
    return sum(done)


def test_two_schedulers_at_once_apply_each_deadline_once(
    seeded: Context, clock: FixedClock
) -> None:
    # Two instruments per member (Sweden's from March 2024): twelve duties to consult.
    for member in MEMBERS:
        for n in range(2):
            instrument_with_obligation(seeded, member, title=f"{member} {n}", clauses=CLAUSES)
    ukr, sec = actor(seeded, "ukr"), actor(seeded, "sec")
    attack = dt.datetime(2024, 4, 2, 11, 0, tzinfo=dt.UTC)
    trigger = seeded.obligations.declare_trigger(
        ukr, kind="armed attack", occurred_at=attack, description="Strikes."
    )
    with seeded.reading() as s:
        meeting = s.scalar(select(TriggerEvent.meeting_id).where(TriggerEvent.id == trigger))
    assert meeting is not None
    # Held at 12:45, in time, with four of the six members.
    seeded.council.schedule(
        sec, meeting, starts_at=dt.datetime(2024, 4, 2, 12, 30, tzinfo=dt.UTC), place="HQ"
    )
    clock.set(dt.datetime(2024, 4, 2, 12, 45, tzinfo=dt.UTC))
    attended = ("UKR", "DEU", "USA", "FRA", "POL")
    seeded.council.hold(sec, meeting, attendance={c: "" for c in attended})
    url = seeded.engine.url.render_as_string(hide_password=False)
    workers = [open_test_platform(url, clock) for _ in range(2)]
    try:
        assert (_at_once(workers, scheduled.settle_consultations)) == 8
        assert (_at_once(workers, scheduled.mark_overdue)) == 0  # not yet due
        clock.set(dt.datetime(2024, 4, 2, 13, 0, 1, tzinfo=dt.UTC))
        assert (_at_once(workers, scheduled.mark_overdue)) == 4  # NOR's and SWE's
        clock.set(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC))
        # 2024 and 2025 for each of the twelve instruments.
        assert (_at_once(workers, scheduled.open_year_ends)) == 24
        assert (_at_once(workers, scheduled.mark_overdue)) == 24  # due 31 Jan 2025 and 2026
        # Twice in a row: nothing more.
        for job in (scheduled.settle_consultations, scheduled.open_year_ends):
            assert job(workers[0]) == 0
        assert scheduled.mark_overdue(workers[1]) == 0
    finally:
        for w in workers:
            w.engine.dispose()
    with seeded.reading() as s:
        assert s.scalar(select(func.count()).select_from(DueItem)) == 36
        assert verify_chain(s)[1] is None
    assert _audited(seeded, "due_item.met") == 8
    assert _audited(seeded, "due_item.overdue") == 28
    assert _audited(seeded, "due_item.open") == 36


def test_the_scheduler_round_runs_the_obligations(seeded: Context, clock: FixedClock) -> None:
    instrument_with_obligation(seeded, "DEU", clauses=CLAUSES)
    seeded.obligations.declare_trigger(
        actor(seeded, "ukr"),
        kind="armed attack",
        occurred_at=dt.datetime(2024, 4, 2, 11, 0, tzinfo=dt.UTC),
        description="Strikes.",
    )
    clock.set(dt.datetime(2025, 2, 1, 0, 0, tzinfo=dt.UTC))
    done = run_once(seeded)
    # The consultation was never held: its duty is overdue; 2024's report opened on
    # 1 January 2025 and was due on the 31st, so it is marked overdue in the same round.
    assert (
        done["settle consultations"],
        done["open year-end obligations"],
        done["mark obligations overdue"],
    ) == (0, 1, 2)
    assert {k: v for k, v in run_once(seeded).items() if k != "mail"} == {
        "adopt silences": 0,
        "flag late consultations": 0,
        "silence reminders": 0,
        "settle consultations": 0,
        "open year-end obligations": 0,
        "mark obligations overdue": 0,
    }
