"""Notifications, on SQLite and PostgreSQL, with mail sent to a real SMTP server on 127.0.0.1.

Everyone of a notified delegation sees the notice in the app; those who chose e-mail and have
an address get a mail too. The outbox is written in the transaction of the change; delivery
sends each mail once, retries a refused one later with backoff (on an injected clock), keeps
mail pending while no server is configured, delivers what a crashed process committed, and
two workers on one database send each message once. Expected answers are written by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shieldwall.access.service import AccessService
from shieldwall.access.tables import UserAccount
from shieldwall.delegations.tables import Delegation
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.settings import Settings
from shieldwall.notifications import queries
from shieldwall.notifications.mail import SmtpSender, deliver, deliver_due
from shieldwall.notifications.service import NotificationService
from shieldwall.notifications.tables import Notification, OutboxMail
from tests.conftest import NOW, PASSWORD, SETUP, TLS, USERS, Delegations, actor, problem_of
from tests.platform import TestPlatform as Context
from tests.platform import open_test_platform
from tests.smtpserver import SmtpServer, free_port

FROM = "council@shieldwall.test"


def sender_to(port: int) -> SmtpSender:
    return SmtpSender("127.0.0.1", port, security="none", from_address=FROM, timeout=5)


def delegation_ids(ctx: Context, *codes: str) -> list[int]:
    with ctx.reading() as s:
        return list(s.scalars(select(Delegation.id).where(Delegation.code.in_(codes))))


def notify(
    ctx: Context, *codes: str, subject: str | Callable[[], str] = "Offer 3 accepted", **kw: Any
) -> int:
    with ctx.unit_of_work() as uow:
        written: int = NotificationService(uow).notify(
            delegation_ids=delegation_ids(ctx, *codes),
            subject=subject,
            body=kw.pop("body", "Ukraine accepted your offer of 155mm rounds."),
            link=kw.pop("link", "/offers/3"),
            **kw,
        )
        return written


def set_address(ctx: Context, username: str, address: str | None) -> None:
    with ctx.unit_of_work() as uow:
        NotificationService(uow).set_email(SETUP, username, address)


def outbox(ctx: Context) -> list[OutboxMail]:
    with ctx.reading() as s:
        rows = list(s.scalars(select(OutboxMail).order_by(OutboxMail.id)))
        s.expunge_all()  # kept as read: the session's rollback would expire them
        return rows


def body_of(message: Any) -> str:
    payload = message.get_payload(decode=True)
    return str(payload.decode("utf-8")).replace("\r\n", "\n")  # SMTP sends CRLF


# ---- who is notified, and how -------------------------------------------------------------


def test_mail_reaches_the_smtp_server(seeded: Context, smtp: SmtpServer) -> None:
    set_address(seeded, "deu", "DEU.Head@Example.ORG")
    # DEU has two users (deu, deu-viewer); only deu has an address.
    assert notify(seeded, "DEU") == 2
    [mail] = outbox(seeded)
    assert mail.to_address == "DEU.Head@example.org"  # the domain in lower case
    assert mail.message_id == f"<notification-{mail.notification_id}.20240402120000@localhost>"
    assert deliver_due(seeded, sender_to(smtp.port)) == 1
    [got] = smtp.collector.messages()
    assert got.recipients == ["DEU.Head@example.org"]
    assert got.sender == FROM
    assert got.message["Subject"] == "Offer 3 accepted"
    assert got.message["Message-ID"] == mail.message_id
    assert body_of(got.message) == (
        "Ukraine accepted your offer of 155mm rounds.\n\n"
        "Open it: /offers/3\n\n"
        "-- \n"
        "Shieldwall sends you this because you chose to be notified by e-mail. "
        "To change that: /notifications\n"
    )
    [sent] = outbox(seeded)
    assert (sent.sent_at, sent.attempts, sent.leased_until) == (NOW, 0, None)
    assert deliver_due(seeded, sender_to(smtp.port)) == 0
    assert len(smtp.collector.messages()) == 1


def test_who_chose_in_app_gets_no_mail_but_sees_the_notice(
    api: Delegations, seeded: Context, smtp: SmtpServer, clock: FixedClock
) -> None:
    usa = api.as_("usa")
    chosen = usa.put(
        "/api/v1/notifications/preferences",
        json={"notify_by": "in-app", "email": "usa@example.org"},
    )
    assert chosen.json() == {"notify_by": "in-app", "email": "usa@example.org"}
    assert notify(seeded, "USA", subject="First") == 1
    clock.advance(dt.timedelta(minutes=1))
    assert notify(seeded, "USA", subject="Second", link="/requests/5") == 1
    assert outbox(seeded) == []
    assert deliver_due(seeded, sender_to(smtp.port)) == 0
    assert smtp.collector.messages() == []
    listed = usa.get("/api/v1/notifications").json()
    assert listed["total"] == 2
    assert [n["subject"] for n in listed["items"]] == ["Second", "First"]  # newest first
    assert listed["items"][0]["link"] == "/requests/5" and listed["items"][0]["unread"]
    first = listed["items"][1]["id"]
    # Nobody else sees them, or marks them read.
    assert api.as_("fra").get("/api/v1/notifications").json()["total"] == 0
    problem_of(api.as_("fra").post(f"/api/v1/notifications/{first}/read"), 404)
    read = usa.post(f"/api/v1/notifications/{first}/read")
    assert read.status_code == 200 and read.json()["read_at"] == "2024-04-02T12:01:00Z"
    unread = usa.get("/api/v1/notifications", params={"unread": "true"}).json()
    assert [n["subject"] for n in unread["items"]] == ["Second"]
    done = usa.get("/api/v1/notifications", params={"unread": "false"}).json()
    assert [n["subject"] for n in done["items"]] == ["First"]
    paged = usa.get("/api/v1/notifications", params={"limit": 1, "offset": 1}).json()
    assert (paged["total"], [n["subject"] for n in paged["items"]]) == (2, ["First"])


def test_preferences_are_checked_and_named(api: Delegations, seeded: Context) -> None:
    deu = api.as_("deu")
    assert deu.get("/api/v1/notifications/preferences").json() == {
        "notify_by": "email",
        "email": None,
    }
    cases = [
        ({"notify_by": "email", "email": "not-an-address"}, "email"),
        ({"notify_by": "email", "email": "a@b@example.org"}, "email"),
        ({"notify_by": "email"}, "email"),  # e-mail needs an address
        ({"notify_by": "sms", "email": "deu@example.org"}, "notify_by"),
        ({"notify_by": "email", "email": "deu@example.org\r\nBcc: x@evil.test"}, "email"),
    ]
    for body, field in cases:
        problem = problem_of(deu.put("/api/v1/notifications/preferences", json=body), 422)
        assert problem["errors"][0]["field"] == field, (body, problem)
    assert deu.get("/api/v1/notifications/preferences").json()["email"] is None
    token = deu.post("/api/v1/auth/tokens", json={"name": "r", "scopes": ["read"]}).json()
    read_only = {"Authorization": f"Bearer {token['token']}"}
    refused = api.anonymous.put(
        "/api/v1/notifications/preferences",
        json={"notify_by": "in-app"},
        headers=read_only,
    )
    assert "read-only" in problem_of(refused, 403)["detail"]


def test_a_keyed_notice_is_written_once_per_user(seeded: Context, smtp: SmtpServer) -> None:
    set_address(seeded, "deu", "deu@example.org")
    # DEU's two users and USA's one.
    assert notify(seeded, "DEU", "USA", key="proposal-7-reminder-24h") == 3
    assert notify(seeded, "DEU", "USA", key="proposal-7-reminder-24h") == 0
    assert notify(seeded, "DEU", key="proposal-7-reminder-1h") == 2
    assert len(outbox(seeded)) == 2  # deu's, one per key
    assert deliver_due(seeded, sender_to(smtp.port)) == 2
    assert sorted(smtp.collector.per_message_id().values()) == [1, 1]
    with seeded.reading() as s:
        keys = s.scalars(select(Notification.key).order_by(Notification.id)).all()
    assert Counter(keys) == {"proposal-7-reminder-24h": 3, "proposal-7-reminder-1h": 2}


def test_notify_refuses_what_a_mail_header_cannot_carry(seeded: Context) -> None:
    set_address(seeded, "deu", "deu@example.org")
    for subject, kw in (("", {}), ("Offer\r\nBcc: spy@example.org", {}), ("Ok", {"key": "k\n"})):
        with pytest.raises(InvalidInput) as refused:
            notify(seeded, "DEU", subject=subject, **kw)
        assert refused.value.extra["errors"][0]["field"] == ("key" if kw else "subject")
    with seeded.reading() as s:
        assert s.scalars(select(Notification.id)).all() == []
    assert outbox(seeded) == []


def test_disabled_users_are_not_notified(seeded: Context) -> None:
    seeded.access.disable_user(SETUP, "deu-viewer")
    assert notify(seeded, "DEU") == 1


# ---- delivery: retries, no server, crashes, two workers -----------------------------------


def test_a_refused_mail_is_retried_with_backoff_then_sent_once(
    seeded: Context, smtp: SmtpServer, clock: FixedClock
) -> None:
    set_address(seeded, "deu", "deu@example.org")
    notify(seeded, "DEU")
    sender = sender_to(smtp.port)
    smtp.collector.refuse = True
    assert deliver_due(seeded, sender) == 0
    [mail] = outbox(seeded)
    assert (mail.attempts, mail.next_attempt_at, mail.sent_at) == (
        1,
        NOW + dt.timedelta(minutes=1),
        None,
    )
    assert mail.last_error is not None and "451" in mail.last_error
    clock.advance(dt.timedelta(seconds=59))  # not yet: the first retry waits a minute
    assert deliver_due(seeded, sender) == 0
    assert smtp.collector.refused == 1
    clock.advance(dt.timedelta(seconds=1))
    assert deliver_due(seeded, sender) == 0  # refused again: the next wait is two minutes
    [mail] = outbox(seeded)
    second = NOW + dt.timedelta(minutes=1)
    assert (mail.attempts, mail.next_attempt_at) == (2, second + dt.timedelta(minutes=2))
    smtp.collector.refuse = False
    clock.set(second + dt.timedelta(minutes=1))
    assert deliver_due(seeded, sender) == 0 and smtp.collector.messages() == []
    clock.set(second + dt.timedelta(minutes=2))
    assert deliver_due(seeded, sender) == 1
    assert deliver_due(seeded, sender) == 0
    assert list(smtp.collector.per_message_id().values()) == [1]
    [mail] = outbox(seeded)
    assert (mail.sent_at, mail.attempts, mail.last_error) == (
        second + dt.timedelta(minutes=2),
        2,
        None,
    )


def test_a_server_that_is_down_is_tried_again_later(
    seeded: Context, smtp: SmtpServer, clock: FixedClock
) -> None:
    set_address(seeded, "deu", "deu@example.org")
    notify(seeded, "DEU")
    nobody_listens = free_port()
    assert deliver(seeded, sender_to(nobody_listens)).failed == 1
    [mail] = outbox(seeded)
    assert mail.attempts == 1 and "ConnectionRefusedError" in (mail.last_error or "")
    with seeded.reading() as s:
        assert queries.mail_status(s, NOW) == {"sent": 0, "pending": 1, "due": 0, "failed": 1}
    clock.advance(dt.timedelta(minutes=1))
    assert deliver_due(seeded, sender_to(smtp.port)) == 1
    assert len(smtp.collector.messages()) == 1


def test_without_an_smtp_host_mail_stays_pending(seeded: Context, clock: FixedClock) -> None:
    set_address(seeded, "deu", "deu@example.org")
    notify(seeded, "DEU")
    url = seeded.engine.url.render_as_string(hide_password=False)
    platform = open_test_platform(url, clock, Settings(database_url=url, smtp_host=""))
    try:
        done = deliver(platform)
        assert (done.no_server, done.sent, done.failed) == (True, 0, 0)
        assert deliver_due(platform) == 0
    finally:
        platform.engine.dispose()
    [mail] = outbox(seeded)
    assert (mail.attempts, mail.leased_until, mail.sent_at) == (0, None, None)
    with seeded.reading() as s:
        assert queries.mail_status(s, NOW) == {"sent": 0, "pending": 1, "due": 1, "failed": 0}


CRASH_AFTER_COMMIT = """
import datetime as dt, os, sys
from shieldwall.access.service import AccessService
from shieldwall.assistance.service import AssistanceService
from shieldwall.context import open_platform
from shieldwall.delegations.service import delegation_by_code
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.errors import InvalidInput
from shieldwall.notifications.service import NotificationService
platform = open_platform(sys.argv[1], FixedClock(dt.datetime.fromisoformat(sys.argv[2])))
with platform.unit_of_work() as uow:
    deu = AccessService(uow).actor_for("deu")
    offer = AssistanceService(uow).make_offer(
        deu, member="DEU", kind="arm", item="155mm-round", quantity=5
    )
    NotificationService(uow).notify(
        delegation_ids=[delegation_by_code(uow.session, "UKR", "partner").id],
        subject=f"Germany offers 5 rounds (offer {offer})",
        body="", link=f"/offers/{offer}",
    )
os._exit(0)  # dies right after the commit: no mail was sent
"""

CRASH_AFTER_CLAIM = """
import datetime as dt, os, sys
from shieldwall.context import open_platform
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.errors import InvalidInput
from shieldwall.notifications.mail import claim_due
platform = open_platform(sys.argv[1], FixedClock(dt.datetime.fromisoformat(sys.argv[2])))
print(len(claim_due(platform, 10)))
sys.stdout.flush()
os._exit(0)  # dies holding the lease, before sending
"""


def run_script(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120
    )


def test_a_crash_between_commit_and_send_delivers_later_exactly_once(
    seeded: Context, smtp: SmtpServer, clock: FixedClock
) -> None:
    set_address(seeded, "ukr", "ukr@example.org")
    url = seeded.engine.url.render_as_string(hide_password=False)
    crashed = run_script(CRASH_AFTER_COMMIT, url, NOW.isoformat())
    assert crashed.returncode == 0, crashed.stderr
    [mail] = outbox(seeded)
    assert mail.sent_at is None and mail.subject.startswith("Germany offers 5 rounds")
    # A second process claims it and dies before sending: the lease keeps others off it
    # until it runs out (300 s), then it is sent, once.
    claimed = run_script(CRASH_AFTER_CLAIM, url, NOW.isoformat())
    assert claimed.stdout.strip() == "1", claimed.stderr
    assert deliver_due(seeded, sender_to(smtp.port)) == 0
    clock.advance(dt.timedelta(seconds=300))
    assert deliver_due(seeded, sender_to(smtp.port)) == 1
    assert deliver_due(seeded, sender_to(smtp.port)) == 0
    [got] = smtp.collector.messages()
    assert got.recipients == ["ukr@example.org"] and got.message_id == mail.message_id


WORKER = """
import json, pathlib, sys, time
from shieldwall.context import open_platform
from shieldwall.notifications.mail import SmtpSender, deliver
platform = open_platform(sys.argv[1])
sender = SmtpSender("127.0.0.1", int(sys.argv[2]), security="none", from_address="w@x.test")
print("ready", flush=True)
go = pathlib.Path(sys.argv[3])
while not go.exists():
    time.sleep(0.005)
done = deliver(platform, sender)
print(json.dumps({"sent": done.sent, "failed": done.failed}), flush=True)
"""


def test_two_workers_send_each_message_once(
    seeded: Context, smtp: SmtpServer, tmp_path: Path
) -> None:
    for username in USERS:
        set_address(seeded, username, f"{username}@example.org")
    everyone = ("SEC", "UKR", "DEU", "USA", "FRA", "POL", "NOR", "SWE")
    for n in range(4):
        assert notify(seeded, *everyone, subject=f"Round {n}") == 11  # the 11 seeded users
    assert len(outbox(seeded)) == 44
    smtp.collector.delay_seconds = 0.02  # each message takes a while: the workers overlap
    url = seeded.engine.url.render_as_string(hide_password=False)
    go = tmp_path / "go"
    env = {**os.environ, "SHIELDWALL_MAIL_BATCH_SIZE": "3"}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(smtp.port), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    for w in workers:
        assert w.stdout is not None and w.stdout.readline().strip() == "ready"
    go.touch()
    results = []
    for w in workers:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
        results.append(json.loads(out))
    assert sum(r["sent"] for r in results) == 44 and all(r["failed"] == 0 for r in results)
    assert all(r["sent"] > 0 for r in results), results  # both took part
    counted = smtp.collector.per_message_id()
    assert len(counted) == 44 and set(counted.values()) == {1}
    assert {m.sent_at is not None for m in outbox(seeded)} == {True}


# ---- the page --------------------------------------------------------------------------------


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


@contextmanager
def browser(api: Delegations, username: str) -> Iterator[httpx.Client]:
    """A client signed in through the sign-in page, with a session cookie."""
    with httpx.Client(verify=TLS, base_url=api.server.url, timeout=30) as client:
        form = client.get("/login")
        signed = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        )
        assert signed.status_code == 303
        yield client


def test_the_notifications_page(api: Delegations, seeded: Context) -> None:
    notify(seeded, "DEU", subject="Offer 3 accepted", link="/offers/3")
    with browser(api, "deu") as client:
        page = client.get("/notifications")
        assert page.status_code == 200
        assert '<a href="/offers/3">Offer 3 accepted</a>' in page.text
        assert 'id="unread-count" aria-label="1 unread">1<' in page.text
        assert 'id="mail-not-configured"' in page.text  # the test app has no SMTP host
        with seeded.reading() as s:
            notice = s.scalars(select(Notification.id).order_by(Notification.id)).first()
        token = csrf_of(page.text)
        refused = client.post("/notifications/read", data={"notification_id": str(notice)})
        assert refused.status_code == 403
        read = client.post(
            "/notifications/read",
            data={"notification_id": str(notice), "csrf_token": token},
            follow_redirects=True,
        )
        assert "Marked read." in read.text and 'id="unread-count"' not in read.text
        bad = client.post(
            "/notifications/preferences",
            data={"notify_by": "email", "email": "nobody-at-example.org", "csrf_token": token},
        )
        assert bad.status_code == 422
        assert "email: give an e-mail address" in bad.text
        assert 'value="nobody-at-example.org"' in bad.text  # kept as typed
        saved = client.post(
            "/notifications/preferences",
            data={"notify_by": "in-app", "email": "deu@example.org", "csrf_token": token},
            follow_redirects=True,
        )
        assert "Your preference is saved." in saved.text
        mine = client.get("/api/v1/notifications/preferences").json()
        assert mine == {"notify_by": "in-app", "email": "deu@example.org"}


def test_the_page_of_another_user_shows_nothing_of_deus(api: Delegations, seeded: Context) -> None:
    notify(seeded, "DEU", subject="Only for Germany")
    with browser(api, "fra") as client:
        page = client.get("/notifications")
        assert "Only for Germany" not in page.text and "No notification yet" in page.text


def test_each_notice_is_written_in_its_recipients_language(seeded: Context) -> None:
    """DEU's head reads the platform in French, its viewer in Ukrainian; a notice whose text is
    written by a function reaches each in its own language (the settings page's title here:
    "Langue et fuseau horaire", "Мова та часовий пояс")."""
    head, viewer = actor(seeded, "deu"), actor(seeded, "deu-viewer")
    with seeded.unit_of_work() as uow:
        AccessService(uow).choose_language(head, "fr", "Europe/Paris")
        AccessService(uow).choose_language(viewer, "uk", "Europe/Kyiv")
    assert notify(seeded, "DEU", subject=lambda: _("Language and time zone")) == 2
    with seeded.reading() as s:
        got = dict(
            s.execute(
                select(UserAccount.username, Notification.subject).join(
                    UserAccount, UserAccount.id == Notification.user_id
                )
            ).all()
        )
    assert got == {"deu": "Langue et fuseau horaire", "deu-viewer": "Мова та часовий пояс"}


def test_a_french_speaking_recipient_gets_the_whole_mail_in_french(
    seeded: Context, smtp: SmtpServer
) -> None:
    """The notice's own text is written for the recipient (a function), and so are the mail's
    fixed parts: the link's line and the footer."""
    head = actor(seeded, "deu")
    with seeded.unit_of_work() as uow:
        AccessService(uow).choose_language(head, "fr", "Europe/Paris")
    set_address(seeded, "deu", "deu@example.org")
    assert notify(seeded, "DEU", body=lambda: _("Language and time zone")) == 2
    assert deliver_due(seeded, sender_to(smtp.port)) == 1
    [got] = smtp.collector.messages()
    assert got.recipients == ["deu@example.org"]
    assert body_of(got.message) == (
        "Langue et fuseau horaire\n\n"
        "Ouvrir : /offers/3\n\n"
        "-- \n"
        "Shieldwall vous envoie ce message parce que vous avez choisi d'être averti par "
        "courriel. Pour changer cela : /notifications\n"
    )
