"""The council tells delegations what happened and what waits, through the outbox: written in
the transaction of the change, delivered by SMTP to a real server on 127.0.0.1. Reminders go to
the delegations without a position 24 h and 1 h before a silence deadline, once each."""

from __future__ import annotations

import datetime as dt

from shieldwall.council import scheduled
from shieldwall.kit.clock import FixedClock
from shieldwall.notifications.mail import deliver_due
from tests.conftest import NOW, Delegations, actor
from tests.platform import TestPlatform as Context
from tests.smtpserver import SmtpServer
from tests.test_notifications import sender_to, set_address

HOUR = dt.timedelta(hours=1)


def _subjects(api: Delegations, username: str) -> list[str]:
    page = api.as_(username).get("/api/v1/notifications", params={"limit": 100}).json()
    return [n["subject"] for n in page["items"]]


def test_a_crisis_consultation_reaches_the_members_by_mail(
    api: Delegations, seeded: Context, smtp: SmtpServer
) -> None:
    set_address(seeded, "deu", "deu.head@example.org")
    meeting: int = seeded.council.convene(
        actor(seeded, "ukr"),
        title="Strikes on Odesa",
        level="ambassadors",
        crisis=True,
        reason="port strikes",
        hold_within_hours=24,
    )
    assert deliver_due(seeded, sender_to(smtp.port)) == 1
    [got] = smtp.collector.messages()
    assert got.recipients == ["deu.head@example.org"]
    assert got.message["Subject"] == "Crisis consultation convened by UKR: Strikes on Odesa"
    assert f"/meetings/{meeting}" in str(got.message.get_payload(decode=True))
    # In the app too, for everyone at the table and the chair; not for the convener itself.
    subject = "Crisis consultation convened by UKR: Strikes on Odesa"
    for user in ("fra", "usa", "sec"):
        assert _subjects(api, user) == [subject], user
    assert _subjects(api, "ukr") == []


def test_reminders_go_once_each_to_delegations_without_a_position(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    sec = actor(seeded, "sec")
    proposal: int = seeded.council.table_proposal(sec, title="Statement", text="Allies condemn.")
    seeded.council.state_position(actor(seeded, "deu"), proposal, stance="support")
    deadline = NOW + 48 * HOUR
    seeded.council.circulate(sec, proposal, deadline=deadline)
    circulated = "Under silence until 2024-04-04 12:00 UTC: Statement"  # the reader's zone
    clock.set(deadline - 24 * HOUR - dt.timedelta(seconds=1))
    assert scheduled.remind_silent_delegations(seeded) == 0
    clock.set(deadline - 24 * HOUR)
    # One notice per user of each silent delegation: UKR and FRA, USA, POL, NOR, SWE.
    first = scheduled.remind_silent_delegations(seeded)
    assert first == 7  # ukr, ukr-viewer, usa, fra, pol, nor, swe
    assert scheduled.remind_silent_delegations(seeded) == 0  # once
    clock.set(deadline - 2 * HOUR)
    assert scheduled.remind_silent_delegations(seeded) == 0  # still the 24 h one, sent
    clock.set(deadline - HOUR)
    assert scheduled.remind_silent_delegations(seeded) == 7
    assert scheduled.remind_silent_delegations(seeded) == 0
    clock.set(deadline)
    assert scheduled.remind_silent_delegations(seeded) == 0  # too late to remind
    assert _subjects(api, "fra") == [
        "Silence ends in 1 h: Statement",
        "Silence ends in 24 h: Statement",
        circulated,
    ]
    assert _subjects(api, "deu") == [circulated]  # DEU stated its position: no reminder


def test_breaking_silence_and_adoption_are_told(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    sec = actor(seeded, "sec")
    proposal: int = seeded.council.table_proposal(sec, title="Statement", text="Allies condemn.")
    seeded.council.circulate(sec, proposal, deadline=NOW + HOUR)
    seeded.council.state_position(
        actor(seeded, "fra"), proposal, stance="object", reason="Not yet."
    )
    assert _subjects(api, "usa")[0] == "FRA broke silence: Statement"
    seeded.council.state_position(actor(seeded, "fra"), proposal, stance="abstain")
    seeded.council.circulate(sec, proposal, deadline=NOW + 2 * HOUR)
    clock.set(NOW + 2 * HOUR)
    assert scheduled.adopt_silences(seeded) == 1
    assert _subjects(api, "usa")[0] == "Adopted: Statement"
