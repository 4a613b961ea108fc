"""Obligation clocks through the HTTP API, the services and the scheduler, on SQLite and
PostgreSQL, with an injected clock (it is 2 April 2024, 12:00 UTC).

Expected answers are written out by hand from the rules: an armed attack opens a due item for
every "armed attack" obligation of every instrument with the partner in force on the day it
occurred, due ``within_hours`` after it; a crisis consultation is convened in the same
transaction, to be held by the earliest duty to consult; a duty to consult is met when the
member attended the consultation, held by the deadline; otherwise it is overdue once the
deadline passes (at the deadline itself it is not), and met late if the member attends later.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update

from shieldwall.audit.service import verify_chain
from shieldwall.audit.tables import AuditRecord
from shieldwall.delegations.tables import Delegation
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.errors import RuleViolation
from shieldwall.notifications.tables import Notification
from shieldwall.obligations import scheduled
from shieldwall.obligations.tables import DueItem, TriggerEvent
from tests.conftest import NOW, Delegations, actor, problem_of
from tests.guarantees_fixtures import CONSULT_24H, instrument_with_obligation
from tests.liveserver import LiveServer
from tests.platform import TestPlatform as Context
from tests.test_council_pages import Browser

HOUR = dt.timedelta(hours=1)
SECOND = dt.timedelta(seconds=1)
# The attack: 08:00 in Kyiv (UTC+3) on 2 April 2024, 05:00 UTC, seven hours before "now".
ATTACK = "2024-04-02T08:00:00+03:00"
ATTACKED = dt.datetime(2024, 4, 2, 5, 0, tzinfo=dt.UTC)
DEU_TITLE = "Agreement on security cooperation between UKR and DEU"


def _audited(ctx: Context, action: str) -> int:
    with ctx.reading() as s:
        return int(s.scalar(select(func.count()).where(AuditRecord.action == action)) or 0)


def _count(ctx: Context, table: type[TriggerEvent] | type[DueItem]) -> int:
    with ctx.reading() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def _instruments(ctx: Context) -> None:
    """Germany consults within 24 h and reports yearly; the United States consults within
    48 h; Poland has given notice (still running); France's agreement has expired, Norway's
    was ended by a notice that took effect, Sweden's begins in June; Germany's second text
    speaks only of a threat of attack."""
    instrument_with_obligation(ctx, "DEU", clauses=[CONSULT_24H, ("year end", "report", 720)])
    instrument_with_obligation(ctx, "USA", clauses=[("armed attack", "consult", 48)])
    instrument_with_obligation(ctx, "POL", notice_given_on=dt.date(2024, 3, 1), notice_months=6)
    instrument_with_obligation(
        ctx, "FRA", valid_from=dt.date(2023, 3, 1), valid_until=dt.date(2024, 3, 1)
    )
    instrument_with_obligation(ctx, "NOR", notice_given_on=dt.date(2024, 1, 20), notice_months=1)
    instrument_with_obligation(ctx, "SWE", valid_from=dt.date(2024, 6, 1))
    instrument_with_obligation(
        ctx, "DEU", title="Joint declaration", clauses=[("threat of attack", "consult", 24)]
    )


def _declare(api: Delegations, user: str = "ukr", **extra: Any) -> dict[str, Any]:
    body = {
        "kind": "armed attack",
        "occurred_at": ATTACK,
        "description": "Massive missile and drone strikes on Kyiv and Lviv.",
        **extra,
    }
    response = api.as_(user).post("/api/v1/triggers", json=body)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def _items(api: Delegations, user: str = "sec", **query: str) -> list[tuple[str, str, str]]:
    response = api.as_(user).get("/api/v1/obligations", params=query)
    assert response.status_code == 200, response.text
    return [(i["member"], i["due_at"], i["state"]) for i in response.json()["items"]]


def _hold(ctx: Context, meeting: int, at: dt.datetime, attended: list[str], **kw: Any) -> None:
    sec = actor(ctx, "sec")
    ctx.council.schedule(sec, meeting, starts_at=at, place="NATO HQ")
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.set(at + 30 * dt.timedelta(minutes=1))
    ctx.council.hold(sec, meeting, attendance={c: "ambassador" for c in attended}, **kw)


def test_an_armed_attack_opens_the_obligations_in_force_and_the_consultation_meets_them(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    _instruments(seeded)
    t = _declare(api)
    assert (t["kind"], t["partner"], t["declared_by"]) == ("armed attack", "UKR", "UKR")
    assert (t["occurred_at"], t["declared_at"]) == ("2024-04-02T05:00:00Z", "2024-04-02T12:00:00Z")
    assert t["exercise"] is False
    # Germany and Poland within 24 h of 05:00 UTC, the United States within 48 h; nothing for
    # the expired, the ended, the not yet begun, nor for the clause on a threat of attack.
    # Listed by deadline, the soonest first.
    assert [(i["member"], i["due_at"], i["state"], i["action"]) for i in t["due_items"]] == [
        ("DEU", "2024-04-03T05:00:00Z", "open", "consult"),
        ("POL", "2024-04-03T05:00:00Z", "open", "consult"),
        ("USA", "2024-04-04T05:00:00Z", "open", "consult"),
    ]
    assert t["due_items"][0]["time_left_seconds"] == 17 * 3600
    assert t["due_items"][0]["instrument"] == DEU_TITLE
    # The crisis consultation, convened by Ukraine in the same transaction, to be held by the
    # earliest duty to consult.
    meeting = t["meeting"]
    assert (meeting["state"], meeting["hold_by"]) == ("requested", "2024-04-03T05:00:00Z")
    assert meeting["title"] == "Crisis consultation after the armed attack on UKR of 2024-04-02"
    m = api.as_("deu").get(f"/api/v1/meetings/{meeting['id']}").json()
    assert (m["crisis"], m["convened_by"], m["level"]) == (True, "UKR", "ambassadors")
    assert [a["title"] for a in m["agenda"]] == [
        "Consultations under the security commitments (3 duties to consult, 3 members)"
    ]
    assert _audited(seeded, "trigger.declare") == 1
    assert _audited(seeded, "due_item.open") == 3
    assert _audited(seeded, "meeting.convene") == 1
    told = api.as_("deu").get("/api/v1/notifications").json()["items"]
    mine = [n for n in told if n["link"] == f"/triggers/{t['id']}"]
    assert [(n["subject"], n["body"]) for n in mine] == [
        (
            "Armed attack on UKR declared: your obligations are due",
            "Your obligations' clocks have started:\n- Consult the partner: attend the crisis "
            f"consultation by 2024-04-03 05:00 UTC ({DEU_TITLE})",
        )
    ]
    assert not [n for n in api.as_("fra").get("/api/v1/notifications").json()["items"]
                if n["link"] == f"/triggers/{t['id']}"]  # fmt: skip

    # The chair holds the consultation at 18:30 with Germany and the United States; Poland
    # stays away. The scheduler settles the two who attended, once.
    _hold(
        seeded, meeting["id"], dt.datetime(2024, 4, 2, 18, 0, tzinfo=dt.UTC), ["UKR", "DEU", "USA"]
    )
    assert scheduled.settle_consultations(seeded) == 2
    assert scheduled.settle_consultations(seeded) == 0
    met = api.as_("sec").get("/api/v1/obligations", params={"state": "met"}).json()["items"]
    assert [(i["member"], i["met_at"], i["evidence"]) for i in met] == [
        ("DEU", "2024-04-02T18:30:00Z", "attended meeting 1 held at 2024-04-02 18:30 UTC"),
        ("USA", "2024-04-02T18:30:00Z", "attended meeting 1 held at 2024-04-02 18:30 UTC"),
    ]

    # Poland's deadline: not overdue at 05:00:00, overdue a second later, once.
    clock.set(dt.datetime(2024, 4, 3, 5, 0, tzinfo=dt.UTC))
    assert scheduled.mark_overdue(seeded) == 0
    clock.advance(SECOND)
    assert scheduled.mark_overdue(seeded) == 1
    assert scheduled.mark_overdue(seeded) == 0
    assert _items(api) == [
        ("POL", "2024-04-03T05:00:00Z", "overdue"),
        ("DEU", "2024-04-03T05:00:00Z", "met"),
        ("USA", "2024-04-04T05:00:00Z", "met"),
    ]
    pol = api.as_("pol").get("/api/v1/obligations", params={"member": "POL"}).json()["items"][0]
    assert (pol["overdue_at"], pol["met_at"]) == ("2024-04-03T05:00:01Z", None)
    for user in ("pol", "sec"):
        subjects = [
            n["subject"] for n in api.as_(user).get("/api/v1/notifications").json()["items"]
        ]
        assert "Overdue: POL, Consult the partner: attend the crisis consultation" in subjects
    assert _audited(seeded, "due_item.met") == 2
    assert _audited(seeded, "due_item.overdue") == 1
    with seeded.reading() as s:
        assert verify_chain(s)[1] is None


def test_needs_you_now_lists_a_members_open_obligations(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    _instruments(seeded)
    t = _declare(api)
    deu_item = t["due_items"][0]["id"]

    def obligation_lines(user: str) -> list[tuple[str, str, str, str]]:
        lines = api.as_(user).get("/api/v1/inbox").json()
        return [
            (w["kind"], w["title"], w["action"], w["link"])
            for w in lines
            if w["record_type"] == "due_item"
        ]

    line = (
        "obligation due",
        f"{DEU_TITLE}: armed attack of 2024-04-02",
        "Consult the partner: attend the crisis consultation by 2024-04-03 05:00 UTC",
        f"/obligations/{deu_item}",
    )
    assert obligation_lines("deu") == [line]
    assert obligation_lines("deu-viewer") == [
        (
            *line[:2],
            "DEU to consult the partner: attend the crisis consultation by 2024-04-03 05:00 "
            "UTC (you have read-only access)",
            line[3],
        )
    ]
    for user in ("fra", "ukr", "sec"):  # nothing is due from them
        assert obligation_lines(user) == [], user
    # Overdue, Poland's duty still waits while the consultation is not held: it may attend late.
    clock.set(dt.datetime(2024, 4, 3, 6, 0, tzinfo=dt.UTC))
    assert scheduled.mark_overdue(seeded) == 2
    [(kind, _title, _action, _link)] = obligation_lines("pol")
    assert kind == "obligation overdue"
    inbox = [
        w for w in api.as_("pol").get("/api/v1/inbox").json() if w["record_type"] == "due_item"
    ]
    assert (inbox[0]["overdue"], inbox[0]["time_left_seconds"]) == (True, -3600)
    # Held without Poland: nothing more it can do; the line goes.
    _hold(seeded, t["meeting"]["id"], dt.datetime(2024, 4, 3, 7, 0, tzinfo=dt.UTC), ["DEU"])
    assert obligation_lines("pol") == []


def test_a_consultation_held_late_leaves_the_duty_overdue_then_met_late(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    instrument_with_obligation(seeded, "DEU")
    instrument_with_obligation(seeded, "USA")
    t = _declare(api)
    clock.set(dt.datetime(2024, 4, 3, 5, 0, 1, tzinfo=dt.UTC))
    assert scheduled.settle_consultations(seeded) == 0
    assert scheduled.mark_overdue(seeded) == 2
    # Held four and a half hours late; Germany attends, the United States does not.
    _hold(seeded, t["meeting"]["id"], dt.datetime(2024, 4, 3, 9, 0, tzinfo=dt.UTC), ["UKR", "DEU"])
    assert scheduled.settle_consultations(seeded) == 1
    items = api.as_("sec").get(f"/api/v1/triggers/{t['id']}").json()["due_items"]
    assert [(i["member"], i["state"], i["evidence"]) for i in items] == [
        ("USA", "overdue", None),
        (
            "DEU",
            "met late",
            "attended meeting 1 held at 2024-04-03 09:30 UTC, after the deadline of "
            "2024-04-03 05:00 UTC",
        ),
    ]
    assert scheduled.settle_consultations(seeded) == 0


def test_a_consultation_held_in_time_but_recorded_late_meets_the_duty(
    seeded: Context, clock: FixedClock
) -> None:
    instrument_with_obligation(seeded, "DEU")
    ukr, sec = actor(seeded, "ukr"), actor(seeded, "sec")
    trigger = seeded.obligations.declare_trigger(
        ukr, kind="armed attack", occurred_at=ATTACKED, description="Strikes on Kyiv."
    )
    with seeded.reading() as s:
        meeting = s.scalar(select(TriggerEvent.meeting_id).where(TriggerEvent.id == trigger))
    assert meeting is not None
    seeded.council.schedule(
        sec, meeting, starts_at=dt.datetime(2024, 4, 2, 18, 0, tzinfo=dt.UTC), place="HQ"
    )
    clock.set(dt.datetime(2024, 4, 3, 6, 0, tzinfo=dt.UTC))
    assert scheduled.mark_overdue(seeded) == 1
    # The chair records it the morning after: held at 18:30 the day before, in time.
    held = dt.datetime(2024, 4, 2, 18, 30, tzinfo=dt.UTC)
    seeded.council.hold(sec, meeting, attendance={"DEU": ""}, held_at=held)
    assert scheduled.settle_consultations(seeded) == 1
    with seeded.reading() as s:
        item = s.execute(select(DueItem.state, DueItem.met_at, DueItem.overdue_at)).one()
    assert tuple(item) == (
        "met",
        held,
        dt.datetime(2024, 4, 3, 6, 0, tzinfo=dt.UTC),
    )


def test_an_event_no_instrument_in_force_binds_opens_nothing(
    api: Delegations, seeded: Context
) -> None:
    instrument_with_obligation(
        seeded, "FRA", valid_from=dt.date(2023, 3, 1), valid_until=dt.date(2024, 3, 1)
    )
    instrument_with_obligation(seeded, "NOR", notice_given_on=dt.date(2024, 1, 20), notice_months=1)
    t = _declare(api, "sec", partner="UKR", exercise=True)
    assert t["due_items"] == []
    assert t["declared_by"] == "SEC" and t["exercise"] is True
    # No duty to consult: the council's own limit, 168 hours from now.
    assert t["meeting"]["hold_by"] == "2024-04-09T12:00:00Z"
    assert t["meeting"]["title"] == (
        "Exercise: Crisis consultation after the armed attack on UKR of 2024-04-02"
    )
    m = api.as_("sec").get(f"/api/v1/meetings/{t['meeting']['id']}").json()
    assert m["convened_by"] == "SEC"
    assert m["reason"].startswith("Exercise: Secretariat declared the armed attack on UKR")
    assert _count(seeded, DueItem) == 0


@pytest.mark.parametrize(
    ("user", "body", "status", "says"),
    [
        ("deu", {}, 403, "DEU may not declare a trigger event (for UKR)"),
        ("ukr-viewer", {}, 403, "UKR may not declare a trigger event (for UKR): ukr-viewer has "
                                "read-only access"),
        ("sec", {"partner": "DEU"}, 422, "partner: DEU is not a partner of the council"),
        ("sec", {"partner": "XYZ"}, 422, "partner: no delegation with code 'XYZ'"),
        ("ukr", {"occurred_at": "2024-04-02T12:00:01Z"}, 422,
         "occurred_at: an event is declared once it has happened"),
        ("ukr", {"occurred_at": "2024-03-02T11:59:59Z"}, 422,
         "occurred_at: an event is declared within 30 days"),
        ("ukr", {"releasability": "own"}, 422,
         "releasability: may only widen the default (council)"),
    ],
)  # fmt: skip
def test_refused_declarations_change_nothing(
    api: Delegations, seeded: Context, user: str, body: dict[str, Any], status: int, says: str
) -> None:
    instrument_with_obligation(seeded, "DEU")
    response = api.as_(user).post(
        "/api/v1/triggers",
        json={"kind": "armed attack", "occurred_at": ATTACK, "description": "Strikes.", **body},
    )
    assert problem_of(response, status)["detail"].startswith(says), response.text
    assert (_count(seeded, TriggerEvent), _count(seeded, DueItem)) == (0, 0)
    assert api.as_("sec").get("/api/v1/meetings").json()["total"] == 0
    assert _audited(seeded, "trigger.declare") == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "year end"}, "kind"),
        ({"kind": "invasion"}, "kind"),
        ({"description": "   "}, "description"),
        ({"description": "strikes\u0000"}, "description"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": 1712034000}, "occurred_at"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_bad_declarations_name_the_field(
    api: Delegations, seeded: Context, body: dict[str, Any], field: str
) -> None:
    response = api.as_("ukr").post(
        "/api/v1/triggers",
        json={"kind": "armed attack", "occurred_at": ATTACK, "description": "Strikes.", **body},
    )
    problem = problem_of(response, 422)
    assert field in {e["field"].split(".")[-1] for e in problem["errors"]}, problem
    assert _count(seeded, TriggerEvent) == 0


def test_a_failure_in_convening_leaves_no_trigger(seeded: Context) -> None:
    """Ukraine has left the council today: the event (yesterday) is valid, but the council
    refuses the consultation it would convene, so nothing of the declaration is written."""
    instrument_with_obligation(seeded, "DEU")
    with seeded.unit_of_work() as uow:
        uow.session.execute(
            update(Delegation).where(Delegation.code == "UKR").values(left_on=NOW.date())
        )
    notices = _notices(seeded)
    with pytest.raises(RuleViolation, match="UKR is not seated in the council today"):
        seeded.obligations.declare_trigger(
            actor(seeded, "ukr"),
            kind="armed attack",
            occurred_at=ATTACKED,
            description="Strikes.",
        )
    assert (_count(seeded, TriggerEvent), _count(seeded, DueItem)) == (0, 0)
    assert _audited(seeded, "trigger.declare") + _audited(seeded, "due_item.open") == 0
    assert _notices(seeded) == notices


def _notices(ctx: Context) -> int:
    with ctx.reading() as s:
        return int(s.scalar(select(func.count()).select_from(Notification)) or 0)


def test_the_same_key_declares_once(api: Delegations, seeded: Context) -> None:
    instrument_with_obligation(seeded, "DEU")
    body = {"kind": "armed attack", "occurred_at": ATTACK, "description": "Strikes."}
    headers = {"Idempotency-Key": "attack-2024-04-02"}
    first = api.as_("ukr").post("/api/v1/triggers", json=body, headers=headers)
    again = api.as_("ukr").post("/api/v1/triggers", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    other = api.as_("ukr").post(
        "/api/v1/triggers", json={**body, "description": "Other."}, headers=headers
    )
    assert problem_of(other, 422)["title"] == "Idempotency key reused"
    assert (_count(seeded, TriggerEvent), _count(seeded, DueItem)) == (1, 1)
    assert api.as_("sec").get("/api/v1/meetings").json()["total"] == 1


def test_obligations_are_seen_through_their_instrument(api: Delegations, seeded: Context) -> None:
    """Germany's second instrument is its own (and the secretariat's) to see."""
    instrument_with_obligation(seeded, "DEU")
    instrument_with_obligation(seeded, "DEU", title="Confidential annex", releasability="own")
    t = _declare(api)
    seen = {
        user: sorted(
            i["instrument"] for i in api.as_(user).get("/api/v1/obligations").json()["items"]
        )
        for user in ("deu", "sec", "fra", "ukr")
    }
    assert seen == {
        "deu": [DEU_TITLE, "Confidential annex"],
        "sec": [DEU_TITLE, "Confidential annex"],
        "fra": [DEU_TITLE],
        "ukr": [DEU_TITLE],
    }
    hidden = next(i for i in api.as_("deu").get(f"/api/v1/triggers/{t['id']}").json()["due_items"]
                  if i["instrument"] == "Confidential annex")  # fmt: skip
    assert api.as_("fra").get(f"/api/v1/obligations/{hidden['id']}").status_code == 404
    listed = api.as_("fra").get("/api/v1/triggers").json()["items"]
    assert [(x["id"], x["counts"]) for x in listed] == [
        (t["id"], {"open": 1, "met": 0, "overdue": 0, "met_late": 0})
    ]
    assert len(api.as_("fra").get(f"/api/v1/triggers/{t['id']}").json()["due_items"]) == 1
    assert problem_of(api.as_("fra").get("/api/v1/triggers/999"), 404)["detail"] == (
        "trigger 999 does not exist"
    )
    assert problem_of(api.as_("deu").get("/api/v1/obligations?state=late"), 422)


def test_no_id_of_an_event_or_meeting_its_reader_may_not_see(
    api: Delegations, seeded: Context, server: LiveServer
) -> None:
    """The European Union, a contributor outside the council, sees its own duty to consult
    (through its instrument) but neither the event (the council's) nor the consultation: the
    duty names neither by its id, on the API, on its page or in the list's download; Germany,
    seated, sees both."""
    instrument_with_obligation(seeded, "DEU")
    instrument_with_obligation(seeded, "EUU", releasability="own")
    t = _declare(api)
    meeting = t["meeting"]["id"]
    euu = api.as_("euu")
    assert euu.get(f"/api/v1/triggers/{t['id']}").status_code == 404
    assert euu.get(f"/api/v1/meetings/{meeting}").status_code == 404
    [mine] = euu.get("/api/v1/obligations").json()["items"]
    assert (mine["member"], mine["trigger"]) == ("EUU", "armed attack")
    assert (mine["trigger_id"], mine["meeting_id"]) == (None, None)
    alone = euu.get(f"/api/v1/obligations/{mine['id']}").json()
    assert (alone["trigger_id"], alone["meeting_id"]) == (None, None)
    [germanys] = api.as_("deu").get("/api/v1/obligations").json()["items"]
    assert (germanys["trigger_id"], germanys["meeting_id"]) == (t["id"], meeting)
    page = Browser(server, "euu")
    shown = page.get(f"/obligations/{mine['id']}").text
    assert f"/triggers/{t['id']}" not in shown and f"/meetings/{meeting}" not in shown
    assert "Started by" in shown and "armed attack" in shown
    listed = page.get("/obligations?format=csv").text
    assert "armed attack" in listed and "year end" not in listed
    page.client.close()


def test_a_years_report_opens_on_1_january_and_is_met_or_overdue(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    """Reports on implementation within 30 days (720 h) of each year's end: Germany's and the
    United States' agreements run from 12 January 2024; Poland's ended on 1 January 2025."""
    report = ("year end", "report", 720)
    instrument_with_obligation(seeded, "DEU", clauses=[report, CONSULT_24H])
    instrument_with_obligation(seeded, "USA", clauses=[report])
    instrument_with_obligation(seeded, "POL", clauses=[report], valid_until=dt.date(2025, 1, 1))
    clock.set(dt.datetime(2024, 12, 31, 23, 59, 59, tzinfo=dt.UTC))
    assert scheduled.open_year_ends(seeded) == 0
    clock.set(dt.datetime(2025, 1, 1, 0, 0, tzinfo=dt.UTC))
    assert scheduled.open_year_ends(seeded) == 3  # 2024, for all three
    assert scheduled.open_year_ends(seeded) == 0
    clock.set(dt.datetime(2026, 1, 2, 0, 0, tzinfo=dt.UTC))
    assert scheduled.open_year_ends(seeded) == 2  # 2025: Poland's had ended
    assert scheduled.mark_overdue(seeded) == 3  # the three reports on 2024
    api.clients.clear()  # tokens issued at this clock's now
    items = api.as_("sec").get("/api/v1/obligations").json()["items"]
    seen = [(i["member"], i["period_year"], i["opened_at"], i["due_at"], i["state"]) for i in items]
    assert seen == [
        ("DEU", 2024, "2025-01-01T00:00:00Z", "2025-01-31T00:00:00Z", "overdue"),
        ("USA", 2024, "2025-01-01T00:00:00Z", "2025-01-31T00:00:00Z", "overdue"),
        ("POL", 2024, "2025-01-01T00:00:00Z", "2025-01-31T00:00:00Z", "overdue"),
        ("DEU", 2025, "2026-01-01T00:00:00Z", "2026-01-31T00:00:00Z", "open"),
        ("USA", 2025, "2026-01-01T00:00:00Z", "2026-01-31T00:00:00Z", "open"),
    ]  # fmt: skip
    deu_2025, usa_2024 = items[3]["id"], items[1]["id"]
    path = f"/api/v1/obligations/{deu_2025}/met"
    evidence = {"evidence": "Report to the council of 15 January 2026"}
    assert problem_of(api.as_("usa").post(path, json=evidence), 403)["detail"].startswith(
        "USA may not record an obligation as met"
    )
    assert problem_of(api.as_("deu-viewer").post(path, json=evidence), 403)
    assert problem_of(api.as_("deu").post(path, json={"evidence": " "}), 422)
    met = api.as_("deu").post(path, json=evidence)
    assert met.status_code == 200, met.text
    assert (met.json()["state"], met.json()["met_at"]) == ("met", "2026-01-02T00:00:00Z")
    again = api.as_("deu").post(path, json=evidence)
    assert (
        problem_of(again, 409)["detail"] == f"cannot record as met obligation {deu_2025}: it is met"
    )
    late = api.as_("sec").post(f"/api/v1/obligations/{usa_2024}/met", json=evidence).json()
    assert (late["state"], late["overdue_at"]) == ("met late", "2026-01-02T00:00:00Z")
    assert _audited(seeded, "due_item.met") == 2


def test_a_duty_to_consult_is_not_recorded_by_hand(api: Delegations, seeded: Context) -> None:
    instrument_with_obligation(seeded, "DEU")
    t = _declare(api)
    item = t["due_items"][0]["id"]
    refused = api.as_("deu").post(f"/api/v1/obligations/{item}/met", json={"evidence": "We did."})
    problem = problem_of(refused, 409)
    assert problem["rule"] == "a duty to consult is met from the consultation's record only"
    assert api.as_("deu").get(f"/api/v1/obligations/{item}").json()["state"] == "open"
