"""The scheduler: every feature's jobs in turn; a failing job is logged and the rest still run;
``shieldwall worker --once`` through the command line; the thread inside ``shieldwall serve``
starts, delivers, and stops with the server; the mail commands of the CLI."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import make_url, select

from shieldwall.access.tables import UserAccount
from shieldwall.delegations.tables import Delegation
from shieldwall.kit.errors import Busy
from shieldwall.kit.scheduling import Job, each_due
from shieldwall.kit.settings import Settings
from shieldwall.kit.uow import Platform, UnitOfWork
from shieldwall.notifications.service import NotificationService
from shieldwall.scheduler import JOBS, SchedulerThread, run_forever, run_jobs, run_once
from tests.cli import SHIELDWALL, run
from tests.conftest import SETUP, TLS, smtp_env
from tests.platform import TestPlatform as Context
from tests.platform import open_test_platform
from tests.smtpserver import SmtpServer, free_port


def a_pending_mail(ctx: Context) -> None:
    """One mail in the outbox: to deu, about an accepted offer."""
    with ctx.unit_of_work() as uow:
        service = NotificationService(uow)
        service.set_email(SETUP, "deu", "deu@example.org")
        deu = uow.session.scalar(select(Delegation.id).where(Delegation.code == "DEU"))
        assert deu is not None
        service.notify(delegation_ids=[deu], subject="Offer 3 accepted", body="", link="/offers/3")


def mailing(ctx: Context, smtp: SmtpServer) -> Context:
    """The same database and clock, with settings that send mail to ``smtp``."""
    url = ctx.engine.url.render_as_string(hide_password=False)
    settings = Settings(
        database_url=url, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none"
    )
    return open_test_platform(url, ctx.clock, settings)


def url_of(ctx: Context) -> str:
    return ctx.engine.url.render_as_string(hide_password=False)


def wait_for(predicate: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_the_jobs_are_the_features_deadlines_then_the_mail() -> None:
    # The features' first, so that what they tell is mailed in the same round; obligations
    # settle consultations before they mark deadlines missed.
    assert [job.name for job in JOBS] == [
        "adopt silences",
        "flag late consultations",
        "silence reminders",
        "settle consultations",
        "open year-end obligations",
        "mark obligations overdue",
        "mail",
    ]


# Nothing of the council's or the obligations' is due in these tests.
COUNCIL_IDLE = {
    "adopt silences": 0,
    "flag late consultations": 0,
    "silence reminders": 0,
    "settle consultations": 0,
    "open year-end obligations": 0,
    "mark obligations overdue": 0,
}


def test_run_once_runs_every_job(seeded: Context, smtp: SmtpServer) -> None:
    a_pending_mail(seeded)
    platform = mailing(seeded, smtp)
    try:
        assert run_once(platform) == {**COUNCIL_IDLE, "mail": 1}
        assert run_once(platform) == {**COUNCIL_IDLE, "mail": 0}
    finally:
        platform.engine.dispose()
    assert len(smtp.collector.messages()) == 1


def broken(_platform: Platform) -> int:
    raise RuntimeError("the deadline table is gone")


def test_a_failing_job_does_not_stop_the_others(
    seeded: Context, smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    a_pending_mail(seeded)
    platform = mailing(seeded, smtp)
    try:
        with caplog.at_level(logging.ERROR, logger="shieldwall.scheduler"):
            done = run_jobs(platform, [Job("broken", broken), *JOBS])
    finally:
        platform.engine.dispose()
    assert done.done == {**COUNCIL_IDLE, "mail": 1}
    assert done.failed == {"broken": "RuntimeError: the deadline table is gone"}
    assert "scheduled job 'broken' failed" in caplog.text
    assert len(smtp.collector.messages()) == 1


def test_the_loop_survives_failing_rounds_and_stops(sqlite_url: str) -> None:
    platform = open_test_platform(sqlite_url)
    rounds: list[int] = []

    def counted(_platform: Platform) -> int:
        rounds.append(1)
        return len(rounds)

    stop = threading.Event()
    loop = threading.Thread(
        target=run_forever, args=(platform, stop, 0.01, [Job("broken", broken), Job("n", counted)])
    )
    loop.start()
    try:
        assert wait_for(lambda: len(rounds) >= 3, 10)  # the broken job failed each round
    finally:
        stop.set()
        loop.join(10)
        platform.engine.dispose()
    assert not loop.is_alive()


class HeldWriteLock:
    """Another worker holding SQLite's one write lock (``BEGIN IMMEDIATE``) until ``release``."""

    def __init__(self, url: str) -> None:
        database = make_url(url).database
        assert database is not None
        self.connection = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        self.connection.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.connection.execute("COMMIT")
        self.connection.close()


def taking(taken: list[int]) -> Callable[[UnitOfWork, int], int]:
    """A step that notes the record it took (only once its unit of work has the database)."""

    def step(_uow: UnitOfWork, key: int) -> int:
        taken.append(key)
        return 1

    return step


def test_a_record_found_busy_is_taken_after_the_rest(sqlite_url: str) -> None:
    # The other worker keeps the lock for 1.5 s; this one waits 1 s at most each time: record
    # 1 is refused, record 2 gets the lock once it is let go, then 3, then 1 again.
    platform = open_test_platform(sqlite_url, settings=Settings(busy_timeout_seconds=1.0))
    held = HeldWriteLock(sqlite_url)
    letting_go = threading.Timer(1.5, held.release)
    letting_go.start()
    taken: list[int] = []
    try:
        done = each_due(platform, lambda _s, _now: [1, 2, 3], taking(taken))
    finally:
        letting_go.join(10)
        platform.engine.dispose()
    assert (done, taken) == (3, [2, 3, 1])


def test_a_record_still_busy_fails_the_job_after_every_other_had_its_turn(
    sqlite_url: str,
) -> None:
    platform = open_test_platform(sqlite_url, settings=Settings(busy_timeout_seconds=0.2))
    held = HeldWriteLock(sqlite_url)
    taken: list[int] = []
    started = time.monotonic()
    try:
        with pytest.raises(Busy):
            each_due(platform, lambda _s, _now: [1, 2], taking(taken))
    finally:
        held.release()
        platform.engine.dispose()
    assert taken == []
    # Each record waited its 0.2 s, then the first once more: three waits, not one.
    assert time.monotonic() - started >= 0.6


def test_the_scheduler_thread_starts_and_stops(sqlite_url: str) -> None:
    platform = open_test_platform(sqlite_url)
    ran = threading.Event()

    def noted(_platform: Platform) -> int:
        ran.set()
        return 0

    thread = SchedulerThread(platform, 30, [Job("noted", noted)])
    thread.start()
    try:
        assert ran.wait(10) and thread.running
    finally:
        assert thread.stop(10)  # does not wait out the 30 s interval
        platform.engine.dispose()
    assert not thread.running


def test_worker_once_through_the_cli(seeded: Context, smtp: SmtpServer) -> None:
    a_pending_mail(seeded)
    done = run("worker", "--once", "--db", url_of(seeded), env=smtp_env(smtp))
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.strip()
        == "Ran the scheduled jobs once: adopt silences 0, flag late consultations 0, "
        "silence reminders 0, settle consultations 0, open year-end obligations 0, "
        "mark obligations overdue 0, mail 1"
    )
    assert len(smtp.collector.messages()) == 1


def test_the_mail_commands(seeded: Context, smtp: SmtpServer) -> None:
    url = url_of(seeded)
    bad = run("user", "set-email", "deu", "deu-at-example.org", "--db", url)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: email: give an e-mail address, like name@example.org"
    a_pending_mail(seeded)
    no_host = {"SHIELDWALL_SMTP_HOST": ""}
    status = run("mail", "status", "--db", url, env=no_host)
    assert status.stdout.splitlines() == [
        "pending 1 (due now 1, failed before 0), sent 0",
        "No SMTP host configured (SHIELDWALL_SMTP_HOST): mail is kept pending",
    ]
    kept = run("mail", "send", "--db", url, env=no_host)
    assert kept.returncode == 1
    assert "no SMTP host is configured (SHIELDWALL_SMTP_HOST): 1 mails are kept pending" in (
        kept.stderr
    )
    sent = run("mail", "send", "--db", url, env=smtp_env(smtp))
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.strip() == "Sent 1, failed 0; pending now 0 (0 waiting for a retry)"
    added = run(
        "user", "add", "pol2", "--delegation", "POL", "--password", "long-enough-pass",
        "--email", "pol2@example.org", "--db", url,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    with seeded.reading() as s:
        assert s.scalar(select(UserAccount.email).where(UserAccount.username == "pol2")) == (
            "pol2@example.org"
        )


def serve(ctx: Context, port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*SHIELDWALL, "serve", "--db", url_of(ctx), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200", **env},
    )


def answers(port: int) -> bool:
    try:
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2, verify=TLS)
        return health.status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_runs_the_scheduler_and_stops_it(seeded: Context, smtp: SmtpServer) -> None:
    a_pending_mail(seeded)
    port = free_port()
    env = {**smtp_env(smtp), "SHIELDWALL_SCHEDULER_INTERVAL_SECONDS": "0.2"}
    server = serve(seeded, port, env)
    try:
        assert wait_for(lambda: len(smtp.collector.messages()) == 1), "no mail from serve"
        # The scheduler starts before the server listens: its first mail can come first.
        assert wait_for(lambda: answers(port)), "serve does not answer"
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "scheduler every 0.2 s" in out and "Scheduler stopped" in out
    assert len(smtp.collector.messages()) == 1


def test_serve_without_the_scheduler(seeded: Context, smtp: SmtpServer) -> None:
    a_pending_mail(seeded)
    port = free_port()
    env = {
        **smtp_env(smtp),
        "SHIELDWALL_SCHEDULER_INTERVAL_SECONDS": "0.1",
        "SHIELDWALL_RUN_SCHEDULER": "false",
    }
    server = serve(seeded, port, env)
    try:
        assert wait_for(lambda: answers(port))
        time.sleep(1)  # ten intervals: a scheduler would have sent the mail by now
    finally:
        server.send_signal(signal.SIGINT)
        out, _err = server.communicate(timeout=30)
    assert "scheduler off (SHIELDWALL_RUN_SCHEDULER=false)" in out
    assert smtp.collector.messages() == []
