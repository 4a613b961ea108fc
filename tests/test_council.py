"""The council through its HTTP API and its scheduler, on SQLite and PostgreSQL, with an
injected clock. Expected answers are written out from the README's words: the partner (or any
member) convenes and nobody approves; a crisis consultation is held within the council's limit
(168 hours by default) or flagged late, once; under silence a proposal is adopted at its
deadline unless a delegation objects, with a reason, strictly before it; in a meeting the chair
records consensus only when no objection stands; a meeting closes with its minutes and an
outcome for each agenda item."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from shieldwall.audit.tables import AuditRecord
from shieldwall.council import scheduled
from shieldwall.council.service import AgendaEntry
from shieldwall.kit.clock import FixedClock
from shieldwall.kit.errors import InvalidInput
from tests.conftest import NOW, Delegations, actor, patriot_request, problem_of
from tests.platform import TestPlatform as Context
from tests.platform import open_test_platform

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
SECOND = dt.timedelta(seconds=1)


def _iso(at: dt.datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _crisis(api: Delegations, seeded: Context, **extra: Any) -> dict[str, Any]:
    first = patriot_request(seeded, "Patriot battery for Kyiv", ["DEU", "USA"])
    second = patriot_request(seeded, "Patriot battery for Odesa", ["DEU", "USA"])
    response = api.as_("ukr").post(
        "/api/v1/meetings",
        json={
            "title": "Air defence after the strikes of 1 April",
            "level": "ambassadors",
            "crisis": True,
            "reason": "massive missile strikes on energy infrastructure",
            "agenda": [
                {"title": "Patriot for Kyiv", "request_id": first},
                {"title": "Patriot for Odesa", "request_id": second},
            ],
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    meeting: dict[str, Any] = response.json()
    return meeting


def test_the_partner_convenes_a_crisis_consultation_nobody_approves(
    api: Delegations, seeded: Context
) -> None:
    meeting = _crisis(api, seeded)
    assert meeting["state"] == "requested"
    assert meeting["convened_by"] == "UKR"
    assert meeting["crisis"] is True
    # The council's default limit: 168 hours from the request.
    assert meeting["hold_by"] == "2024-04-09T12:00:00Z"
    assert [a["title"] for a in meeting["agenda"]] == ["Patriot for Kyiv", "Patriot for Odesa"]
    # Every delegation of the council sees it (council is the default releasability).
    for user in ("deu", "usa", "fra", "sec", "ukr-viewer"):
        assert api.as_(user).get(f"/api/v1/meetings/{meeting['id']}").status_code == 200, user
    # FRA is not addressed by the requests on the agenda: it sees the items, not the requests.
    agenda = api.as_("fra").get(f"/api/v1/meetings/{meeting['id']}").json()["agenda"]
    assert [a["request_id"] for a in agenda] == [None, None]
    agenda = api.as_("deu").get(f"/api/v1/meetings/{meeting['id']}").json()["agenda"]
    assert all(a["request_id"] for a in agenda)


def test_members_convene_too_but_only_for_themselves(api: Delegations) -> None:
    body = {"title": "Black Sea", "level": "ambassadors"}
    assert api.as_("pol").post("/api/v1/meetings", json=body).status_code == 201
    refused = api.as_("pol").post("/api/v1/meetings", json={**body, "convened_by": "DEU"})
    assert refused.status_code == 403
    assert problem_of(refused, refused.status_code)["detail"].startswith(
        "POL may not convene the council"
    )
    viewer = api.as_("deu-viewer").post("/api/v1/meetings", json=body)
    assert viewer.status_code == 403
    assert "read-only" in problem_of(viewer, viewer.status_code)["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "level": "unstated"}, "level"),
        ({"title": "x", "level": "heads of state"}, "level"),
        ({"title": "x", "level": "summit", "crisis": True}, "reason"),
        ({"title": "x", "level": "summit", "hold_within_hours": 24}, "hold_within_hours"),
        # JSON true is no number of hours (it was read as 1.0)
        (
            {
                "title": "x",
                "level": "summit",
                "crisis": True,
                "reason": "r",
                "hold_within_hours": True,
            },
            "hold_within_hours",
        ),
        ({"title": " ", "level": "summit"}, "title"),
        (
            {"title": "x", "level": "summit", "agenda": [{"title": "r", "request_id": 999}]},
            "request_id",
        ),
    ],
)
def test_bad_meetings_are_refused_naming_the_field(
    api: Delegations, body: dict[str, Any], field: str
) -> None:
    response = api.as_("ukr").post("/api/v1/meetings", json=body)
    assert response.status_code == 422, response.text
    problem = problem_of(response, response.status_code)
    assert field in {
        e["field"].split(".")[-1] if "." in e["field"] else e["field"] for e in problem["errors"]
    } or problem["detail"].startswith(field), problem
    assert api.as_("ukr").get("/api/v1/meetings").json()["total"] == 0


def test_the_chair_schedules_holds_and_closes_with_the_record(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    meeting = _crisis(api, seeded)
    path = f"/api/v1/meetings/{meeting['id']}"
    sec = api.as_("sec")
    schedule = {
        "starts_at": _iso(NOW + 2 * DAY),
        "place": "NATO HQ, Brussels",
        "time_zone": "Europe/Brussels",
        "chair": "Secretary General",
    }
    assert api.as_("ukr").post(f"{path}/schedule", json=schedule).status_code == 403
    bad_zone = sec.post(f"{path}/schedule", json={**schedule, "time_zone": "Brussels"})
    assert bad_zone.status_code == 422 and "time_zone" in bad_zone.text
    past = sec.post(f"{path}/schedule", json={**schedule, "starts_at": _iso(NOW - HOUR)})
    assert past.status_code == 422 and "starts_at" in past.text
    scheduled_ = sec.post(f"{path}/schedule", json=schedule).json()
    assert (scheduled_["state"], scheduled_["time_zone"]) == ("scheduled", "Europe/Brussels")
    clock.advance(2 * DAY)
    attendance = [{"delegation": c, "represented_by": "ambassador"} for c in ("UKR", "DEU", "USA")]
    held = sec.post(f"{path}/hold", json={"attendance": attendance}).json()
    assert held["state"] == "held"
    assert held["held_in_time"] is True and held["late"] is False
    assert [a["delegation"] for a in held["attendance"]] == ["DEU", "UKR", "USA"]
    early = sec.post(f"{path}/close")
    assert early.status_code == 409
    assert problem_of(early, early.status_code)["detail"] == (
        "a meeting closes only with its record: it lacks minutes; an outcome for agenda item "
        "'Patriot for Kyiv'; an outcome for agenda item 'Patriot for Odesa'"
    )
    sec.post(f"{path}/minutes", json={"minutes": "Allies heard Ukraine's needs."})
    first, second = (a["id"] for a in held["agenda"])
    sec.post(f"{path}/agenda/{first}/outcome", json={"outcome": "Germany to offer one battery"})
    assert sec.post(f"{path}/close").status_code == 409  # one item still without outcome
    sec.post(f"{path}/agenda/{second}/outcome", json={"outcome": "Consultations continue"})
    closed = sec.post(f"{path}/close").json()
    assert closed["state"] == "closed"
    assert closed["closed_at"] == "2024-04-04T12:00:00Z"
    again = sec.post(f"{path}/minutes", json={"minutes": "rewritten"})
    assert again.status_code == 409  # a closed record stays as it was closed


def test_an_overdue_crisis_consultation_is_flagged_once(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    meeting = _crisis(api, seeded, hold_within_hours=24)
    assert meeting["hold_by"] == "2024-04-03T12:00:00Z"
    clock.advance(DAY)  # at the limit: not late yet
    assert scheduled.flag_late_consultations(seeded) == 0
    clock.advance(SECOND)
    assert scheduled.flag_late_consultations(seeded) == 1
    assert scheduled.flag_late_consultations(seeded) == 0  # once only
    late = api.as_("ukr").get(f"/api/v1/meetings/{meeting['id']}").json()
    assert late["late"] is True
    assert late["flagged_late_at"] == "2024-04-03T12:00:01Z"
    assert _audited(seeded, "meeting.flag_late") == 1


def _audited(seeded: Context, action: str) -> int:
    with seeded.reading() as s:
        return len(s.scalars(select(AuditRecord.id).where(AuditRecord.action == action)).all())


def _proposal(api: Delegations, **extra: Any) -> int:
    response = api.as_("sec").post(
        "/api/v1/proposals",
        json={
            "title": "Deterrence and defence partnership",
            "text": "Allies will arm, train and equip Ukraine until it can join.",
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    proposal_id: int = response.json()["id"]
    return proposal_id


def _circulate(api: Delegations, proposal: int, deadline: dt.datetime) -> dict[str, Any]:
    response = api.as_("sec").post(
        f"/api/v1/proposals/{proposal}/silence", json={"deadline": _iso(deadline)}
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_silence_is_adopted_at_its_deadline(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    proposal = _proposal(api)
    deadline = NOW + 2 * DAY
    assert _circulate(api, proposal, deadline)["state"] == "under silence"
    clock.set(deadline - SECOND)
    assert scheduled.adopt_silences(seeded) == 0
    clock.set(deadline)
    assert scheduled.adopt_silences(seeded) == 1
    adopted = api.as_("deu").get(f"/api/v1/proposals/{proposal}").json()
    assert adopted["state"] == "adopted"
    assert adopted["outcome"]["procedure"] == "silence"
    assert adopted["outcome"]["decided_at"] == "2024-04-04T12:00:00Z"
    assert adopted["outcome"]["adopted_text"] == (
        "Allies will arm, train and equip Ukraine until it can join."
    )
    assert scheduled.adopt_silences(seeded) == 0
    assert _audited(seeded, "proposal.adopt") == 1
    outcomes = api.as_("fra").get("/api/v1/outcomes").json()
    assert [o["title"] for o in outcomes] == ["Deterrence and defence partnership"]


def test_an_objection_before_the_deadline_breaks_silence(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    proposal = _proposal(api)
    deadline = NOW + 2 * DAY
    _circulate(api, proposal, deadline)
    path = f"/api/v1/proposals/{proposal}/positions"
    no_reason = api.as_("fra").post(path, json={"stance": "object"})
    assert no_reason.status_code == 422
    assert (
        problem_of(no_reason, no_reason.status_code)["detail"]
        == "reason: an objection needs a reason"
    )
    clock.set(deadline - SECOND)
    broken = api.as_("fra").post(path, json={"stance": "object", "reason": "too early"}).json()
    assert broken["state"] == "in discussion"
    assert broken["state_reason"] == "FRA broke silence: too early"
    assert broken["silence_deadline"] is None
    assert broken["objections"] == ["FRA"]
    clock.set(deadline + HOUR)
    assert scheduled.adopt_silences(seeded) == 0
    assert api.as_("fra").get(f"/api/v1/proposals/{proposal}").json()["state"] == "in discussion"


def test_an_objection_one_second_after_the_deadline_is_refused(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    proposal = _proposal(api)
    deadline = NOW + 2 * DAY
    _circulate(api, proposal, deadline)
    clock.set(deadline + SECOND)  # the scheduler has not run yet
    late = api.as_("fra").post(
        f"/api/v1/proposals/{proposal}/positions", json={"stance": "object", "reason": "late"}
    )
    assert late.status_code == 409
    assert problem_of(late, late.status_code)["detail"].startswith(
        "the silence procedure ended at 2024-04-04 12:00 UTC"
    )
    assert scheduled.adopt_silences(seeded) == 1
    assert api.as_("fra").get(f"/api/v1/proposals/{proposal}").json()["state"] == "adopted"


def test_a_restart_across_a_deadline_catches_up_exactly_once(
    api: Delegations, seeded: Context, database_url: str
) -> None:
    proposals = [_proposal(api, title=f"Statement {n}") for n in range(3)]
    for n, proposal in enumerate(proposals):
        _circulate(api, proposal, NOW + (n + 1) * HOUR)
    late = _crisis(api, seeded, hold_within_hours=2)
    # The platform is down; it comes back a week later, as two processes would: each opens
    # the database afresh with its own clock.
    week_later = FixedClock(NOW + 7 * DAY)
    first, second = (open_test_platform(database_url, week_later) for _ in range(2))
    try:
        assert scheduled.adopt_silences(first) == 3
        assert scheduled.flag_late_consultations(first) == 1
        assert scheduled.adopt_silences(second) == 0
        assert scheduled.flag_late_consultations(second) == 0
    finally:
        first.engine.dispose()
        second.engine.dispose()
    for n, proposal in enumerate(proposals):
        outcome = api.as_("sec").get(f"/api/v1/proposals/{proposal}").json()["outcome"]
        assert outcome["decided_at"] == _iso(NOW + (n + 1) * HOUR)  # at its deadline
    assert api.as_("sec").get(f"/api/v1/meetings/{late['id']}").json()["late"] is True
    assert _audited(seeded, "proposal.adopt") == 3


def test_consensus_in_a_meeting_needs_no_standing_objection(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    proposal = _proposal(api)
    path = f"/api/v1/proposals/{proposal}"
    api.as_("pol").post(f"{path}/positions", json={"stance": "support"})
    api.as_("deu").post(
        f"{path}/positions", json={"stance": "object", "reason": "wait for conditions"}
    )
    api.as_("usa").post(f"{path}/positions", json={"stance": "abstain"})
    assert api.as_("deu").post(f"{path}/consensus", json={}).status_code == 403
    refused = api.as_("sec").post(f"{path}/consensus", json={})
    assert refused.status_code == 409
    assert problem_of(refused, refused.status_code)["detail"] == "no consensus: DEU object"
    clock.advance(HOUR)
    api.as_("deu").post(f"{path}/positions", json={"stance": "support"})
    adopted = (
        api.as_("sec")
        .post(
            f"{path}/consensus",
            json={"adopted_text": "Allies will support Ukraine.", "review_on": "2025-07-01"},
        )
        .json()
    )
    assert adopted["state"] == "adopted"
    assert adopted["outcome"] == {
        "proposal_id": proposal,
        "adopted_text": "Allies will support Ukraine.",
        "procedure": "meeting",
        "meeting_id": None,
        "decided_at": "2024-04-02T13:00:00Z",
        "review_on": "2025-07-01",
    }
    assert [(p["delegation"], p["stance"]) for p in adopted["positions"]] == [
        ("DEU", "support"),
        ("POL", "support"),
        ("USA", "abstain"),
    ]
    # Positions keep their history: DEU objected, then supported.
    assert [(p["delegation"], p["stance"]) for p in adopted["history"]] == [
        ("POL", "support"),
        ("DEU", "object"),
        ("USA", "abstain"),
        ("DEU", "support"),
    ]
    # The partner sits at the table too; FRA, NOR and SWE have not said anything.
    assert adopted["awaiting"] == ["FRA", "NOR", "SWE", "UKR"]
    closed = api.as_("fra").post(f"{path}/positions", json={"stance": "support"})
    assert closed.status_code == 409


def test_consensus_is_recorded_at_a_meeting_only_once_it_was_held(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    """A decision "reached at" a meeting that has not taken place would be a false record."""
    meeting = _crisis(api, seeded)
    proposal = _proposal(api, meeting_id=meeting["id"])
    path = f"/api/v1/proposals/{proposal}"
    sec = api.as_("sec")
    for step in ("requested", "scheduled"):
        if step == "scheduled":
            sec.post(
                f"/api/v1/meetings/{meeting['id']}/schedule",
                json={"starts_at": _iso(NOW + DAY), "place": "NATO HQ"},
            )
        refused = sec.post(f"{path}/consensus", json={"meeting_id": meeting["id"]})
        assert refused.status_code == 409, refused.text
        assert problem_of(refused, 409)["detail"] == (
            f"cannot record a decision reached at meeting {meeting['id']}: it is {step}"
        )
        assert api.as_("deu").get(path).json()["state"] == "in discussion"
    clock.advance(DAY)
    attendance = [{"delegation": "UKR", "represented_by": "ambassador"}]
    sec.post(f"/api/v1/meetings/{meeting['id']}/hold", json={"attendance": attendance})
    adopted = sec.post(f"{path}/consensus", json={"meeting_id": meeting["id"]}).json()
    assert adopted["state"] == "adopted"
    assert adopted["outcome"]["meeting_id"] == meeting["id"]


def test_a_proposal_is_not_circulated_under_silence_over_a_standing_objection(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    """Silence held to its deadline adopts "by no objection": an objection still standing
    from the discussion (or from silence broken before) must first be withdrawn."""
    proposal = _proposal(api)
    path = f"/api/v1/proposals/{proposal}"
    _circulate(api, proposal, NOW + DAY)
    api.as_("deu").post(f"{path}/positions", json={"stance": "object", "reason": "wording"})
    again = api.as_("sec").post(f"{path}/silence", json={"deadline": _iso(NOW + 2 * DAY)})
    assert again.status_code == 409, again.text
    assert problem_of(again, 409)["detail"] == "no consensus: DEU object"
    clock.set(NOW + 3 * DAY)
    assert scheduled.adopt_silences(seeded) == 0
    assert api.as_("deu").get(path).json()["state"] == "in discussion"
    api.as_("deu").post(f"{path}/positions", json={"stance": "abstain"})
    assert _circulate(api, proposal, NOW + 4 * DAY)["state"] == "under silence"


def test_who_states_positions(api: Delegations) -> None:
    proposal = _proposal(api)
    path = f"/api/v1/proposals/{proposal}/positions"
    assert api.as_("ukr").post(path, json={"stance": "support"}).status_code == 200
    chair = api.as_("sec").post(path, json={"stance": "support"})
    assert problem_of(chair, 403)["detail"] == (
        "SEC may not state a position: member and partner delegations state positions, "
        "each for itself"
    )
    assert api.as_("deu-viewer").post(path, json={"stance": "support"}).status_code == 403


def test_a_proposal_on_a_meeting_agenda(api: Delegations, seeded: Context) -> None:
    meeting = _crisis(api, seeded)
    proposal = _proposal(api, meeting_id=meeting["id"])
    agenda = api.as_("deu").get(f"/api/v1/meetings/{meeting['id']}").json()["agenda"]
    assert [(a["title"], a["proposal_id"]) for a in agenda][-1] == (
        "Deterrence and defence partnership",
        proposal,
    )


def test_every_council_change_is_audited(
    api: Delegations, seeded: Context, clock: FixedClock
) -> None:
    meeting = _crisis(api, seeded)
    proposal = _proposal(api)
    api.as_("deu").post(f"/api/v1/proposals/{proposal}/positions", json={"stance": "support"})
    _circulate(api, proposal, NOW + HOUR)
    clock.advance(HOUR)
    scheduled.adopt_silences(seeded)
    with seeded.reading() as s:
        actions = Counter(s.scalars(select(AuditRecord.action)).all())
    assert actions["meeting.convene"] == 1
    assert actions["meeting.agenda_add"] == 2
    assert actions["proposal.table"] == 1
    assert actions["proposal.position"] == 1
    assert actions["proposal.silence"] == 1
    assert actions["proposal.adopt"] == 1
    assert meeting["id"]


def test_the_service_refuses_overlong_names_naming_the_field(seeded: Context) -> None:
    """Not only the API: a caller of the service (the CLI, an import) gets the same refusal."""
    ukr = actor(seeded, "ukr")
    with pytest.raises(InvalidInput) as refused:
        seeded.council.convene(ukr, title="x" * 201, level="summit")
    assert refused.value.detail == "title: at most 200 characters"
    meeting = seeded.council.convene(ukr, title="x" * 200, level="summit")
    with pytest.raises(InvalidInput) as refused:
        seeded.council.add_agenda_item(ukr, meeting, AgendaEntry("y" * 201))
    assert refused.value.detail == "agenda: at most 200 characters"
