"""The clearing house through its use cases, on SQLite and PostgreSQL: availability declared
and read under the access rules, a run written with its proposals, explanations and uncovered
needs, and a confirmed proposal becoming an offer in the same transaction.

The scene, on 2 April 2024 (the seeded council): UKR asks all members for 100 155mm rounds
(critical) and the United States alone for a Patriot battery (high). Germany could give 60
rounds now; Poland 50 rounds of another make (tagged 155mm too) from 12 April; Norway a
Patriot battery. Worked out by hand: the rounds are covered by Germany's 60 (the earliest) and
40 of Poland's; the Patriot is left uncovered — Norway has one, but the request names only the
United States, which has none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from shieldwall.assistance.tables import Offer
from shieldwall.audit.tables import AuditRecord
from shieldwall.kit.errors import (
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
    RuleViolation,
)
from shieldwall.matching import queries
from shieldwall.matching.service import MatchingService, run_matching
from shieldwall.matching.tables import Availability, MatchingRun
from tests.conftest import SETUP, actor
from tests.platform import TestPlatform as Context

TODAY = dt.date(2024, 4, 2)


def add_round_b(ctx: Context) -> None:
    ctx.assistance.add_item(
        SETUP,
        code="155mm-round-b",
        name="155mm round (other make)",
        area="artillery",
        unit="round",
        reference_unit_value_cents=3_000_00,
        price_date=dt.date(2023, 7, 1),
        tags=["155mm"],
    )


def file(ctx: Context, item: str, quantity: int, priority: str, to: list[str] | None) -> int:
    request: int = ctx.assistance.file_request(
        actor(ctx, "ukr"),
        partner="UKR",
        title=f"{quantity} {item}",
        area=None,
        item=item,
        quantity=quantity,
        value_cents=None,
        priority=priority,
        need_by=dt.date(2024, 6, 1),
        justification="the front",
        addressees=to,
    )
    return request


def declare(ctx: Context, who: str, item: str, quantity: int, start: dt.date = TODAY) -> int:
    line: int = ctx.matching.declare_availability(
        actor(ctx, who.lower()), member=who, item=item, quantity=quantity, available_from=start
    )
    return line


@pytest.fixture
def scene(seeded: Context) -> dict[str, int]:
    add_round_b(seeded)
    return {
        "rounds": file(seeded, "155mm-round", 100, "critical", None),
        "patriot": file(seeded, "patriot", 1, "high", ["USA"]),
        "deu": declare(seeded, "DEU", "155mm-round", 60),
        "pol": declare(seeded, "POL", "155mm-round-b", 50, dt.date(2024, 4, 12)),
        "nor": declare(seeded, "NOR", "patriot", 1),
    }


def run(ctx: Context) -> int:
    sec = actor(ctx, "sec")
    run_id: int = ctx.matching.start_run(sec, time_limit_seconds=10)
    run_matching(ctx, sec, run_id)
    return run_id


def audits(ctx: Context, record_type: str) -> list[tuple[str, str]]:
    with ctx.reading() as s:
        rows = s.execute(
            select(AuditRecord.action, AuditRecord.actor)
            .where(AuditRecord.record_type == record_type)
            .order_by(AuditRecord.id)
        ).all()
    return [(a, b) for a, b in rows]


def test_availability_is_seen_by_its_member_and_the_secretariat_only(
    seeded: Context, scene: dict[str, int]
) -> None:
    with seeded.reading() as s:
        seen = {
            who: [line["id"] for line in queries.availability(s, actor(seeded, who))]
            for who in ("sec", "deu", "usa", "ukr")
        }
    assert seen == {
        "sec": [scene["nor"], scene["pol"], scene["deu"]],
        "deu": [scene["deu"]],
        "usa": [],
        "ukr": [],
    }
    assert audits(seeded, "availability") == [
        ("availability.declare", "deu"),
        ("availability.declare", "pol"),
        ("availability.declare", "nor"),
    ]


def test_bad_availability_is_refused_naming_the_field(seeded: Context) -> None:
    deu = actor(seeded, "deu")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"quantity": 0}, "quantity: give at least 1"),
        ({"item": "nothing"}, "item: "),
        ({"kind": "finance"}, "kind: use one of arm, train, equip"),
        ({"per_request": 0}, "per_request: give at least 1, or leave it empty"),
        ({"not_before": dt.date(2024, 4, 1)}, "not_before: is before the available-from date"),
    ]
    for change, start in cases:
        given: dict[str, Any] = {
            "member": "DEU",
            "item": "155mm-round",
            "quantity": 5,
            "available_from": TODAY,
        }
        with pytest.raises(InvalidInput) as bad:
            seeded.matching.declare_availability(deu, **{**given, **change})
        assert bad.value.detail.startswith(start), bad.value.detail
    with pytest.raises(Forbidden):
        seeded.matching.declare_availability(
            actor(seeded, "usa"), member="DEU", item="patriot", quantity=1, available_from=TODAY
        )
    with seeded.reading() as s:
        assert s.scalar(select(func.count()).select_from(Availability)) == 0


def test_a_run_with_nothing_to_match_says_so(seeded: Context) -> None:
    run_id = run(seeded)
    with seeded.reading() as s:
        done = s.get(MatchingRun, run_id)
        assert done is not None
        assert (done.stage, done.outcome, done.requests, done.lines) == (
            "done",
            "nothing-to-match",
            0,
            0,
        )
        assert queries.proposals(s, actor(seeded, "sec")) == []
    assert audits(seeded, "matching_run") == [("matching.start", "sec"), ("matching.run", "sec")]


def test_only_the_secretariat_runs_the_clearing_house(seeded: Context) -> None:
    with pytest.raises(Forbidden) as refused:
        seeded.matching.start_run(actor(seeded, "deu"))
    assert refused.value.detail == "DEU may not run the clearing house: only the secretariat may"


def test_a_run_proposes_with_explanations_and_names_the_uncovered(
    seeded: Context, scene: dict[str, int]
) -> None:
    run_id = run(seeded)
    sec = actor(seeded, "sec")
    with seeded.reading() as s:
        got = [
            (p["request_id"], p["member"], p["quantity"], p["state"], p["explanation"])
            for p in queries.proposals(s, sec, run_id=run_id)
        ]
        left = queries.uncovered(s, run_id)
        done = s.get(MatchingRun, run_id)
        assert done is not None and done.outcome == "matched" and done.gap is not None
        assert done.gap <= 1e-3
    rounds = scene["rounds"]
    assert got == [
        (
            rounds,
            "DEU",
            60,
            "proposed",
            {"compatibility": "same-item", "tag": "", "late_days": 0, "limits": ["quantity"]},
        ),
        (
            rounds,
            "POL",
            40,
            "proposed",
            {"compatibility": "shared-tag", "tag": "155mm", "late_days": 0, "limits": ["need"]},
        ),
    ]
    assert [(u["request_id"], u["quantity"], u["cause"]) for u in left] == [
        (scene["patriot"], 1, "no-addressee-has-it")
    ]
    with seeded.reading() as s:  # not yet sent: the members see nothing of it
        assert queries.proposals(s, actor(seeded, "deu")) == []
        first = queries.proposals(s, sec, run_id=run_id)[0]["id"]
    with pytest.raises(NotFound):
        seeded.matching.confirm(actor(seeded, "deu"), first)


def _sent(ctx: Context, run_id: int) -> dict[str, int]:
    sec = actor(ctx, "sec")
    assert ctx.matching.send_run(sec, run_id) == 2
    with ctx.reading() as s:
        return {p["member"]: p["id"] for p in queries.proposals(s, sec, run_id=run_id)}


def test_a_confirmed_proposal_becomes_the_members_offer(
    seeded: Context, scene: dict[str, int]
) -> None:
    run_id = run(seeded)
    sent = _sent(seeded, run_id)
    deu, pol = actor(seeded, "deu"), actor(seeded, "pol")
    with seeded.reading() as s:
        assert [p["id"] for p in queries.proposals(s, deu)] == [sent["DEU"]]
    with pytest.raises(NotFound):  # Poland's proposal is not Germany's to see, nor answer
        seeded.matching.confirm(deu, sent["POL"])
    offer_id = seeded.matching.confirm(deu, sent["DEU"])
    seeded.matching.decline(pol, sent["POL"], "needed at home")
    with seeded.reading() as s:
        offer = s.get(Offer, offer_id)
        assert offer is not None
        assert (offer.request_id, offer.quantity, offer.state, offer.source) == (
            scene["rounds"],
            60,
            "offered",
            f"matching run {run_id}",
        )
        line = s.get(Availability, scene["deu"])
        assert line is not None and (line.quantity, line.declared_quantity) == (0, 60)
        states = {p["member"]: p["state"] for p in queries.proposals(s, actor(seeded, "sec"))}
        assert states == {"DEU": "confirmed", "POL": "declined"}
    assert audits(seeded, "match_proposal") == [
        ("proposal.send", "sec"),
        ("proposal.send", "sec"),
        ("proposal.confirm", "deu"),
        ("proposal.decline", "pol"),
    ]
    with pytest.raises(IllegalTransition):
        seeded.matching.confirm(deu, sent["DEU"])


def test_a_failed_confirmation_leaves_neither_offer_nor_change(
    seeded: Context, scene: dict[str, int]
) -> None:
    sent = _sent(seeded, run(seeded))
    deu = actor(seeded, "deu")

    def unchanged() -> None:
        with seeded.reading() as s:
            assert s.scalar(select(func.count()).select_from(Offer)) == 0
            line = s.get(Availability, scene["deu"])
            assert line is not None and line.quantity == 60
            states = {p["member"]: p["state"] for p in queries.proposals(s, deu)}
            assert states == {"DEU": "sent"}

    # A failure after the offer was made, in the same unit of work: both are rolled back.
    with pytest.raises(RuntimeError), seeded.unit_of_work() as uow:
        MatchingService(uow).confirm(deu, sent["DEU"])
        raise RuntimeError("the lights went out")
    unchanged()
    # The request was withdrawn meanwhile: the assistance rule refuses the offer, whole.
    seeded.assistance.withdraw_request(actor(seeded, "ukr"), scene["rounds"], "covered elsewhere")
    with pytest.raises(IllegalTransition):
        seeded.matching.confirm(deu, sent["DEU"])
    unchanged()


def test_the_same_input_gives_the_same_proposals(seeded: Context, scene: dict[str, int]) -> None:
    sec = actor(seeded, "sec")

    def proposed(run_id: int) -> list[tuple[Any, ...]]:
        with seeded.reading() as s:
            return [
                (p["request_id"], p["availability_id"], p["quantity"], p["explanation"])
                for p in queries.proposals(s, sec, run_id=run_id)
            ]

    first, second = run(seeded), run(seeded)
    assert proposed(first) == proposed(second) != []


def test_nothing_compatible_is_said_with_each_needs_cause(seeded: Context) -> None:
    # Only the Patriot asked of the United States, and only Norway's Patriot: no pair at all.
    need = file(seeded, "patriot", 1, "high", ["USA"])
    declare(seeded, "NOR", "patriot", 1)
    run_id = run(seeded)
    with seeded.reading() as s:
        done = s.get(MatchingRun, run_id)
        assert done is not None and (done.outcome, done.candidates) == ("no-candidates", 0)
        assert [(u["request_id"], u["cause"]) for u in queries.uncovered(s, run_id)] == [
            (need, "no-addressee-has-it")
        ]


def test_a_withdrawn_line_is_not_offered_and_its_pending_proposals_are_cancelled(
    seeded: Context, scene: dict[str, int]
) -> None:
    run_id = run(seeded)
    sent = _sent(seeded, run_id)
    sec, deu, pol = actor(seeded, "sec"), actor(seeded, "deu"), actor(seeded, "pol")
    seeded.matching.confirm(deu, sent["DEU"])  # confirmed: stays an offer, not cancelled
    # Poland's line has one sent proposal: withdrawing cancels it with the reason.
    assert seeded.matching.withdraw_availability(pol, scene["pol"], "needed at home") == 1
    with seeded.reading() as s:
        line = s.get(Availability, scene["pol"])
        assert line is not None and line.withdrawn_reason == "needed at home"
        assert line.withdrawn_at is not None
        states = {p["member"]: p["state"] for p in queries.proposals(s, sec, run_id=run_id)}
        assert states == {"DEU": "confirmed", "POL": "cancelled"}
    with pytest.raises(IllegalTransition):  # a cancelled proposal can no longer be answered
        seeded.matching.confirm(pol, sent["POL"])
    with pytest.raises(IllegalTransition):  # nor the line withdrawn twice
        seeded.matching.withdraw_availability(pol, scene["pol"])
    # The secretariat withdraws Norway's line without a reason; a new run sees no line left
    # but Norway's and Germany's used-up ones: nothing to match.
    assert seeded.matching.withdraw_availability(sec, scene["nor"]) == 0
    with seeded.reading() as s:
        again = s.get(MatchingRun, run(seeded))
        assert again is not None and (again.lines, again.outcome) == (0, "nothing-to-match")
    assert audits(seeded, "availability")[-2:] == [
        ("availability.withdraw", "pol"),
        ("availability.withdraw", "sec"),
    ]
    assert audits(seeded, "match_proposal")[-1] == ("proposal.cancel", "pol")


def test_withdrawing_is_for_the_member_or_the_secretariat_and_hides_unseen_lines(
    seeded: Context, scene: dict[str, int]
) -> None:
    # Poland cannot see Germany's line (releasable to the secretariat only): 404, not 403.
    with pytest.raises(NotFound):
        seeded.matching.withdraw_availability(actor(seeded, "pol"), scene["deu"])
    seeded.matching.declare_availability(
        actor(seeded, "deu"),
        member="DEU",
        item="155mm-round",
        quantity=5,
        available_from=TODAY,
        releasability="members",
    )
    with seeded.reading() as s:
        seen = queries.availability(s, actor(seeded, "pol"))
        [shared] = [a["id"] for a in seen if a["member"] == "DEU"]
    with pytest.raises(Forbidden) as refused:  # seen by Poland, not Poland's to withdraw
        seeded.matching.withdraw_availability(actor(seeded, "pol"), shared)
    assert "withdraw an availability line" in refused.value.detail
    with seeded.reading() as s:
        line = s.get(Availability, shared)
        assert line is not None and line.withdrawn_at is None


def test_a_proposal_the_actor_may_not_see_is_not_found_before_any_refusal(
    seeded: Context, scene: dict[str, int]
) -> None:
    run_id = run(seeded)
    sec, deu, pol = actor(seeded, "sec"), actor(seeded, "deu"), actor(seeded, "pol")
    usa, deu_viewer = actor(seeded, "usa"), actor(seeded, "deu-viewer")
    with seeded.reading() as s:
        ids = {p["member"]: p["id"] for p in queries.proposals(s, sec, run_id=run_id)}
    proposed = ids["DEU"]
    # Not yet sent: only the secretariat sees it. Its member and any other: 404.
    for who in (deu, usa):
        with pytest.raises(NotFound, match=f"proposal {proposed} does not exist"):
            seeded.matching.send(who, proposed)
        with pytest.raises(NotFound, match=f"proposal {proposed} does not exist"):
            seeded.matching.confirm(who, proposed)
        with pytest.raises(NotFound, match=f"proposal {proposed} does not exist"):
            seeded.matching.decline(who, proposed, "no")
    # The secretariat sees it but may not answer for the member: 403 naming who may.
    with pytest.raises(Forbidden, match="only the delegation the record belongs to may"):
        seeded.matching.confirm(sec, proposed)
    with pytest.raises(Forbidden, match="only the delegation the record belongs to may"):
        seeded.matching.decline(sec, proposed, "no")
    seeded.matching.send(sec, proposed)
    # Sent: Germany sees it (and may answer); Poland and the United States still get 404.
    for who in (pol, usa):
        with pytest.raises(NotFound, match=f"proposal {proposed} does not exist"):
            seeded.matching.confirm(who, proposed)
        with pytest.raises(NotFound, match=f"proposal {proposed} does not exist"):
            seeded.matching.decline(who, proposed, "no")
        with pytest.raises(NotFound, match=f"proposal {proposed} does not exist"):
            seeded.matching.send(who, proposed)
    # Germany sees it, may not send it (403); its viewer sees it, may not answer (403).
    with pytest.raises(Forbidden, match="only the secretariat may"):
        seeded.matching.send(deu, proposed)
    with pytest.raises(Forbidden):
        seeded.matching.confirm(deu_viewer, proposed)
    assert audits(seeded, "match_proposal") == [("proposal.send", "sec")]


def test_only_compatibility_tags_make_an_offer_of_another_item_answer_a_request(
    seeded: Context,
) -> None:
    """Items the demo invents all carry ``illustrative``, Kiel's weapons ``kiel-ust``: tags of
    where an item came from. Sharing one does not make a drone answer a request for shells; a
    round of another make sharing the tag ``155mm`` does."""
    for code, area, tags in (
        ("shell-x", "artillery", ["illustrative"]),
        ("drone-x", "artillery", ["illustrative", "kiel-ust"]),
        ("shell-y", "artillery", ["kiel-ust", "155mm"]),
    ):
        seeded.assistance.add_item(
            SETUP, code=code, name=code, area=area, unit="unit",
            reference_unit_value_cents=100_00, price_date=dt.date(2023, 7, 1), tags=tags,
        )  # fmt: skip
    shells = file(seeded, "shell-x", 10, "high", None)
    with pytest.raises(RuleViolation) as refused:
        seeded.assistance.make_offer(
            actor(seeded, "deu"), member="DEU", kind="arm", quantity=5, request_id=shells,
            item="drone-x",
        )  # fmt: skip
    assert refused.value.detail == f"request {shells} asks for a specific item"
    rounds = file(seeded, "155mm-round", 10, "high", None)
    offer = seeded.assistance.make_offer(
        actor(seeded, "deu"), member="DEU", kind="arm", quantity=5, request_id=rounds,
        item="shell-y",
    )  # fmt: skip
    with seeded.reading() as s:
        row = s.get(Offer, offer)
        assert row is not None and (row.request_id, row.quantity) == (rounds, 5)
        assert (
            s.scalar(select(func.count()).select_from(Offer).where(Offer.request_id == shells)) == 0
        )
