"""The council's rules, held to answers written out by hand from the README's words:
consensus is no standing objection; an objection needs a reason; silence is broken only
before its deadline and holds at it; a crisis consultation is late once its time limit passes
unheld; a meeting closes only with its minutes and an outcome for each agenda item; reminders
go 24 h and 1 h before a deadline."""

from __future__ import annotations

import datetime as dt

import pytest

from shieldwall.access.model import Actor, Role
from shieldwall.council import model, policy
from shieldwall.council.model import (
    MeetingAction,
    MeetingLevel,
    MeetingState,
    ProposalState,
    Stance,
    StatedPosition,
)
from shieldwall.council.policy import Action
from shieldwall.delegations.model import DelegationKind
from shieldwall.kit.errors import Forbidden, IllegalTransition, InvalidInput, RuleViolation
from shieldwall.kit.i18n import using_locale

T0 = dt.datetime(2024, 4, 2, 12, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)
HOUR = dt.timedelta(hours=1)


# ---- meetings ------------------------------------------------------------------------------


# (state, action) → the state after, or None when the step is refused.
MEETING_STEPS: list[tuple[MeetingState, MeetingAction, MeetingState | None]] = [
    (MeetingState.REQUESTED, MeetingAction.SCHEDULE, MeetingState.SCHEDULED),
    (MeetingState.SCHEDULED, MeetingAction.SCHEDULE, MeetingState.SCHEDULED),  # rescheduled
    (MeetingState.HELD, MeetingAction.SCHEDULE, None),
    (MeetingState.CLOSED, MeetingAction.SCHEDULE, None),
    (MeetingState.REQUESTED, MeetingAction.ADD_AGENDA_ITEM, MeetingState.REQUESTED),
    (MeetingState.SCHEDULED, MeetingAction.ADD_AGENDA_ITEM, MeetingState.SCHEDULED),
    (MeetingState.HELD, MeetingAction.ADD_AGENDA_ITEM, MeetingState.HELD),
    (MeetingState.CLOSED, MeetingAction.ADD_AGENDA_ITEM, None),
    (MeetingState.REQUESTED, MeetingAction.HOLD, None),  # the chair schedules first
    (MeetingState.SCHEDULED, MeetingAction.HOLD, MeetingState.HELD),
    (MeetingState.HELD, MeetingAction.HOLD, None),
    (MeetingState.SCHEDULED, MeetingAction.RECORD, None),  # minutes of a meeting held only
    (MeetingState.HELD, MeetingAction.RECORD, MeetingState.HELD),
    (MeetingState.CLOSED, MeetingAction.RECORD, None),  # a closed record stays closed
    (MeetingState.SCHEDULED, MeetingAction.CLOSE, None),
    (MeetingState.HELD, MeetingAction.CLOSE, MeetingState.CLOSED),
    (MeetingState.CLOSED, MeetingAction.CLOSE, None),
]


@pytest.mark.parametrize(("state", "action", "after"), MEETING_STEPS)
def test_meeting_transition(
    state: MeetingState, action: MeetingAction, after: MeetingState | None
) -> None:
    if after is None:
        with pytest.raises(IllegalTransition, match=f"cannot {action.value} meeting 7"):
            model.meeting_transition(state, action, "meeting 7")
    else:
        assert model.meeting_transition(state, action, "meeting 7") == after


@pytest.mark.parametrize(
    ("state", "held"),
    [
        (MeetingState.REQUESTED, False),
        (MeetingState.SCHEDULED, False),
        (MeetingState.HELD, True),
        (MeetingState.CLOSED, True),
    ],
)
def test_a_decision_is_reached_only_at_a_meeting_held(state: MeetingState, held: bool) -> None:
    if held:
        model.require_held(state, "meeting 7")
    else:
        refused = "cannot record a decision reached at meeting 7"
        with pytest.raises(IllegalTransition, match=refused) as raised:
            model.require_held(state, "meeting 7")
        assert raised.value.extra["current_state"] == state.value  # the API's current_state


def test_every_meeting_step_is_in_the_table() -> None:
    assert {(s, a) for s, a, _ in MEETING_STEPS} >= {
        (s, a) for a in MeetingAction for s in (MeetingState.SCHEDULED, MeetingState.HELD)
    }


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("ambassadors", MeetingLevel.AMBASSADORS),
        (" Defence Ministers ", MeetingLevel.DEFENCE_MINISTERS),
        ("summit", MeetingLevel.SUMMIT),
        ("chiefs of defence", MeetingLevel.CHIEFS_OF_DEFENCE),
    ],
)
def test_meeting_level(text: str, level: MeetingLevel) -> None:
    assert model.meeting_level("level", text) == level


def test_unstated_is_for_the_record_only() -> None:
    assert model.meeting_level("level", "unstated", on_record=True) == MeetingLevel.UNSTATED
    assert model.meeting_level("level", "summit", on_record=True) == MeetingLevel.SUMMIT
    with pytest.raises(InvalidInput, match="level: use one of summit"):
        model.meeting_level("level", "heads of state", on_record=True)


@pytest.mark.parametrize("text", ["unstated", "", "heads of state", "ambassador"])
def test_meeting_level_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        model.meeting_level("level", text)
    assert refused.value.detail.startswith("level: use one of summit, foreign ministers")
    assert "unstated" not in refused.value.detail


def test_crisis_deadline() -> None:
    assert model.crisis_deadline(T0, dt.timedelta(hours=24)) == dt.datetime(
        2024, 4, 3, 12, 0, tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    ("hold_by", "held_at", "in_time"),
    [
        (None, T0, True),  # no time limit
        (T0, T0 - SECOND, True),
        (T0, T0, True),  # at the limit is in time
        (T0, T0 + SECOND, False),
    ],
)
def test_held_in_time(hold_by: dt.datetime | None, held_at: dt.datetime, in_time: bool) -> None:
    assert model.held_in_time(hold_by, held_at) is in_time


@pytest.mark.parametrize(
    ("state", "hold_by", "now", "late"),
    [
        (MeetingState.REQUESTED, T0, T0, False),  # at the limit: not yet late
        (MeetingState.REQUESTED, T0, T0 + SECOND, True),
        (MeetingState.SCHEDULED, T0, T0 + SECOND, True),
        (MeetingState.HELD, T0, T0 + SECOND, False),  # held (its lateness is held_in_time's)
        (MeetingState.CLOSED, T0, T0 + HOUR, False),
        (MeetingState.REQUESTED, None, T0 + HOUR, False),  # not a crisis consultation
    ],
)
def test_is_late(
    state: MeetingState, hold_by: dt.datetime | None, now: dt.datetime, late: bool
) -> None:
    assert model.is_late(state, hold_by, now) is late


def test_held_not_in_future() -> None:
    model.require_held_not_in_future(T0, T0)
    with pytest.raises(InvalidInput, match="held_at"):
        model.require_held_not_in_future(T0 + SECOND, T0)


@pytest.mark.parametrize(
    ("minutes", "without", "missing"),
    [
        ("Met.", [], []),
        (None, [], ["minutes"]),
        ("  ", [], ["minutes"]),
        ("Met.", ["Air defence"], ["an outcome for agenda item 'Air defence'"]),
        (
            None,
            ["A", "B"],
            ["minutes", "an outcome for agenda item 'A'", "an outcome for agenda item 'B'"],
        ),
    ],
)
def test_missing_for_closing(minutes: str | None, without: list[str], missing: list[str]) -> None:
    assert model.missing_for_closing(minutes, without) == missing


def test_closing_needs_the_record() -> None:
    model.require_complete_record("Met.", [])
    with pytest.raises(RuleViolation, match="it lacks minutes; an outcome for agenda item 'A'"):
        model.require_complete_record("", ["A"])


LATER = T0 + HOUR
# (state, starts_at, chair?) → what waits, by hand from the README: the chair schedules,
# records as held and closes; the others attend what is requested or still to come.
WAITS: list[tuple[MeetingState, dt.datetime | None, bool, str | None]] = [
    (MeetingState.REQUESTED, None, True, "meeting to schedule"),
    (MeetingState.REQUESTED, None, False, "meeting to attend"),
    (MeetingState.SCHEDULED, LATER, True, None),  # nothing yet for the chair
    (MeetingState.SCHEDULED, LATER, False, "meeting to attend"),
    (MeetingState.SCHEDULED, T0, True, "meeting to record"),  # it has started
    (MeetingState.SCHEDULED, T0, False, None),  # past: the chair's to record, not theirs
    (MeetingState.SCHEDULED, T0 - HOUR, False, None),
    (MeetingState.HELD, T0 - HOUR, True, "meeting to close"),
    (MeetingState.HELD, T0 - HOUR, False, None),
    (MeetingState.CLOSED, T0 - HOUR, True, None),
    (MeetingState.CLOSED, T0 - HOUR, False, None),
]


@pytest.mark.parametrize(("state", "starts_at", "chair", "kind"), WAITS)
def test_meeting_waits(
    state: MeetingState, starts_at: dt.datetime | None, chair: bool, kind: str | None
) -> None:
    step = model.meeting_waits(state, starts_at, T0, chair=chair)
    assert (step[0] if step else None) == kind


# ---- proposals -----------------------------------------------------------------------------


def test_objection_needs_a_reason() -> None:
    model.require_reason_for_objection(Stance.SUPPORT, "")
    model.require_reason_for_objection(Stance.ABSTAIN, "")
    model.require_reason_for_objection(Stance.OBJECT, "too early")
    with pytest.raises(InvalidInput, match="reason: an objection needs a reason"):
        model.require_reason_for_objection(Stance.OBJECT, "   ")


def test_stance() -> None:
    assert model.stance("stance", " Object ") == Stance.OBJECT
    with pytest.raises(InvalidInput, match="stance: use one of support, abstain, object"):
        model.stance("stance", "veto")


@pytest.mark.parametrize(
    ("at", "open_"),
    [(T0 - HOUR, True), (T0 - SECOND, True), (T0, False), (T0 + SECOND, False)],
)
def test_silence_is_open_strictly_before_its_deadline(at: dt.datetime, open_: bool) -> None:
    assert model.silence_is_open(T0, at) is open_
    if open_:
        model.require_silence_open(T0, at)
    else:
        with pytest.raises(RuleViolation, match="ended at 2024-04-02 12:00 UTC"):
            model.require_silence_open(T0, at)


@pytest.mark.parametrize(
    ("state", "deadline", "now", "held"),
    [
        (ProposalState.UNDER_SILENCE, T0, T0 - SECOND, False),
        (ProposalState.UNDER_SILENCE, T0, T0, True),  # adopted at the deadline
        (ProposalState.UNDER_SILENCE, T0, T0 + HOUR, True),  # caught up after downtime
        (ProposalState.IN_DISCUSSION, T0, T0 + HOUR, False),  # silence was broken
        (ProposalState.ADOPTED, T0, T0 + HOUR, False),  # once only
        (ProposalState.WITHDRAWN, T0, T0 + HOUR, False),
        (ProposalState.UNDER_SILENCE, None, T0, False),
    ],
)
def test_silence_has_held(
    state: ProposalState, deadline: dt.datetime | None, now: dt.datetime, held: bool
) -> None:
    assert model.silence_has_held(state, deadline, now) is held


def test_deadline_in_the_future() -> None:
    model.require_future_deadline(T0 + SECOND, T0)
    with pytest.raises(InvalidInput, match="deadline: the silence deadline must be in the future"):
        model.require_future_deadline(T0, T0)


def test_require_open() -> None:
    model.require_open(ProposalState.IN_DISCUSSION, "proposal 1", "x")
    model.require_open(ProposalState.UNDER_SILENCE, "proposal 1", "x")
    for closed in (ProposalState.ADOPTED, ProposalState.WITHDRAWN):
        with pytest.raises(IllegalTransition, match=f"cannot x proposal 1: it is {closed.value}"):
            model.require_open(closed, "proposal 1", "x")


def _p(delegation: str, stance: Stance, minute: int) -> StatedPosition:
    return StatedPosition(delegation, stance, "r", T0 + dt.timedelta(minutes=minute))


def test_current_positions_keep_the_latest_and_objections_are_current_ones() -> None:
    history = [
        _p("POL", Stance.SUPPORT, 1),
        _p("HUN", Stance.OBJECT, 2),
        _p("DEU", Stance.ABSTAIN, 3),
        _p("HUN", Stance.ABSTAIN, 4),  # withdraws its objection
        _p("FRA", Stance.OBJECT, 5),
    ]
    current = model.current_positions(history)
    assert {d: p.stance for d, p in current.items()} == {
        "POL": Stance.SUPPORT,
        "HUN": Stance.ABSTAIN,
        "DEU": Stance.ABSTAIN,
        "FRA": Stance.OBJECT,
    }
    assert model.objections(current.values()) == ["FRA"]
    with pytest.raises(RuleViolation, match="no consensus: FRA object"):
        model.require_consensus(current.values())


def test_consensus_is_no_objection_not_a_majority() -> None:
    model.require_consensus([])  # nobody objected
    model.require_consensus([_p("DEU", Stance.ABSTAIN, 1)])  # abstaining does not block
    many = [_p(c, Stance.SUPPORT, i) for i, c in enumerate(["USA", "GBR", "POL", "DEU"])]
    with pytest.raises(RuleViolation, match="no consensus: HUN object"):
        model.require_consensus([*many, _p("HUN", Stance.OBJECT, 9)])


@pytest.mark.parametrize(
    ("before_deadline", "due"),
    [
        (dt.timedelta(hours=48), None),
        (dt.timedelta(hours=24) + SECOND, None),
        (dt.timedelta(hours=24), "24 h"),
        (dt.timedelta(hours=2), "24 h"),
        (dt.timedelta(hours=1) + SECOND, "24 h"),
        (dt.timedelta(hours=1), "1 h"),
        (SECOND, "1 h"),
        (dt.timedelta(0), None),  # at the deadline: too late to remind
        (-HOUR, None),
    ],
)
def test_reminder_due(before_deadline: dt.timedelta, due: str | None) -> None:
    assert model.reminder_due(T0, T0 - before_deadline) == due


# ---- who may ------------------------------------------------------------------------------

UKR, DEU, SEC = 1, 2, 3


def _actor(kind: DelegationKind, delegation_id: int, role: Role) -> Actor:
    return Actor("u", delegation="X", delegation_id=delegation_id, delegation_kind=kind, role=role)


PARTNER = _actor(DelegationKind.PARTNER, UKR, Role.HEAD_OF_DELEGATION)
MEMBER = _actor(DelegationKind.MEMBER, DEU, Role.OFFICER)
VIEWER = _actor(DelegationKind.MEMBER, DEU, Role.VIEWER)
CHAIR = _actor(DelegationKind.SECRETARIAT, SEC, Role.CHAIR)
EUU = 4
CONTRIBUTOR = _actor(DelegationKind.CONTRIBUTOR, EUU, Role.HEAD_OF_DELEGATION)


def test_convening_cannot_be_blocked_any_seated_delegation_convenes() -> None:
    assert policy.may_convene(PARTNER)
    assert policy.may_convene(MEMBER)
    assert policy.may_convene(CHAIR)
    assert not policy.may_convene(VIEWER)  # viewers only read
    policy.require(PARTNER, Action.CONVENE, owner_id=UKR)
    with pytest.raises(Forbidden, match="X may not convene the council"):
        policy.require(MEMBER, Action.CONVENE, owner_id=UKR)  # not for another delegation


def test_the_chair_chairs() -> None:
    assert policy.allowed(CHAIR, Action.CHAIR, UKR)
    assert not policy.allowed(PARTNER, Action.CHAIR, UKR)  # even the convener
    assert not policy.allowed(MEMBER, Action.RECORD_CONSENSUS)
    assert not policy.allowed(MEMBER, Action.CIRCULATE)
    assert policy.allowed(CHAIR, Action.CIRCULATE)


def test_positions_are_a_delegations_own() -> None:
    assert policy.may_state_position(MEMBER, ProposalState.IN_DISCUSSION)
    assert policy.may_state_position(PARTNER, ProposalState.UNDER_SILENCE)
    assert not policy.may_state_position(CHAIR, ProposalState.IN_DISCUSSION)
    assert not policy.may_state_position(VIEWER, ProposalState.IN_DISCUSSION)
    assert not policy.may_state_position(MEMBER, ProposalState.ADOPTED)
    assert not policy.may_state_position(MEMBER, ProposalState.WITHDRAWN)


def test_meeting_actions() -> None:
    assert policy.meeting_actions(CHAIR, MeetingState.REQUESTED, UKR) == {
        "schedule",
        "add_agenda_item",
    }
    assert policy.meeting_actions(CHAIR, MeetingState.HELD, UKR) == {
        "add_agenda_item",
        "record",
        "close",
    }
    assert policy.meeting_actions(PARTNER, MeetingState.REQUESTED, UKR) == {"add_agenda_item"}
    assert policy.meeting_actions(MEMBER, MeetingState.REQUESTED, UKR) == set()
    assert policy.meeting_actions(CHAIR, MeetingState.CLOSED, UKR) == set()


def test_proposal_actions() -> None:
    assert policy.proposal_actions(CHAIR, ProposalState.IN_DISCUSSION, DEU) == {
        "circulate",
        "consensus",
        "withdraw",
    }
    assert policy.proposal_actions(CHAIR, ProposalState.UNDER_SILENCE, DEU) == {"withdraw"}
    assert policy.proposal_actions(MEMBER, ProposalState.IN_DISCUSSION, DEU) == {
        "position",
        "withdraw",
    }
    assert policy.proposal_actions(PARTNER, ProposalState.UNDER_SILENCE, DEU) == {"position"}
    assert policy.proposal_actions(MEMBER, ProposalState.ADOPTED, DEU) == set()
    assert policy.proposal_actions(VIEWER, ProposalState.IN_DISCUSSION, DEU) == set()


# ---- the words of each refusal (what the user reads) -----------------------------------------


def test_refusals_say_the_state_the_rule_and_who_may() -> None:
    with pytest.raises(IllegalTransition) as illegal:
        model.meeting_transition(MeetingState.CLOSED, MeetingAction.CLOSE, "meeting 7")
    assert illegal.value.extra == {"current_state": "closed", "action": "close"}
    with pytest.raises(RuleViolation) as lacking:
        model.require_complete_record(None, ["A"])
    assert lacking.value.detail == (
        "a meeting closes only with its record: it lacks minutes; an outcome for agenda item 'A'"
    )
    assert lacking.value.extra == {
        "rule": "closing a meeting needs its minutes and an outcome for each agenda item"
    }
    with pytest.raises(RuleViolation) as no_consensus:
        model.require_consensus([_p("HUN", Stance.OBJECT, 1), _p("TUR", Stance.OBJECT, 2)])
    assert no_consensus.value.detail == "no consensus: HUN, TUR object"
    assert no_consensus.value.extra == {
        "rule": "a proposal is adopted only when no objection stands"
    }
    with pytest.raises(InvalidInput) as future:
        model.require_held_not_in_future(T0 + SECOND, T0)
    assert future.value.detail == "held_at: a meeting cannot be recorded as held in the future"
    with pytest.raises(RuleViolation) as ended:
        model.require_silence_open(T0, T0)
    # The deadline as every moment is shown: in the reader's time zone, named.
    assert ended.value.detail == (
        "the silence procedure ended at 2024-04-02 12:00 UTC: "
        "an objection must be lodged before the deadline"
    )
    with using_locale("en", "Europe/Kyiv"), pytest.raises(RuleViolation) as in_kyiv:
        model.require_silence_open(T0, T0)
    assert in_kyiv.value.detail.startswith("the silence procedure ended at 2024-04-02 15:00 EEST:")
    assert ended.value.extra == {"rule": "silence is broken only before its deadline"}


def test_forbidden_says_who_may() -> None:
    with pytest.raises(Forbidden) as chair:
        policy.require(MEMBER, Action.CHAIR, owner_id=DEU, record="meeting 3")
    assert chair.value.detail == "X may not chair a meeting (meeting 3): only the secretariat may"
    with pytest.raises(Forbidden) as viewer:
        policy.require(VIEWER, Action.CONVENE, owner_id=DEU)
    assert viewer.value.detail == "X may not convene the council: u has read-only access"
    with pytest.raises(Forbidden) as other:
        policy.require(MEMBER, Action.WITHDRAW_PROPOSAL, owner_id=UKR)
    assert other.value.detail == (
        "X may not withdraw a proposal: "
        "only the delegation the record belongs to or the secretariat may"
    )


@pytest.mark.parametrize(
    ("state", "starts_at", "chair", "step"),
    [
        (MeetingState.REQUESTED, None, True, ("meeting to schedule", "schedule it")),
        (
            MeetingState.REQUESTED,
            None,
            False,
            ("meeting to attend", "attend once the chair schedules it"),
        ),
        (MeetingState.SCHEDULED, LATER, False, ("meeting to attend", "attend")),
        (
            MeetingState.SCHEDULED,
            T0,
            True,
            ("meeting to record", "record it as held, or reschedule it"),
        ),
        (
            MeetingState.HELD,
            T0,
            True,
            ("meeting to close", "record minutes and outcomes, then close"),
        ),
    ],
)
def test_what_a_meeting_asks(
    state: MeetingState, starts_at: dt.datetime | None, chair: bool, step: tuple[str, str]
) -> None:
    assert model.meeting_waits(state, starts_at, T0, chair=chair) == step


def test_who_tables_proposals() -> None:
    assert policy.may_table(MEMBER)
    assert policy.may_table(PARTNER)
    assert policy.may_table(CHAIR)
    assert not policy.may_table(VIEWER)
    assert not policy.may_table(CONTRIBUTOR)  # outside the council


def test_a_contributor_sits_outside_the_council() -> None:
    """The EU and Japan hold instruments but do not sit in the council: they neither convene
    it nor table proposals nor state positions, even for themselves."""
    assert not policy.may_convene(CONTRIBUTOR)
    assert not policy.may_state_position(CONTRIBUTOR, ProposalState.IN_DISCUSSION)
    assert not policy.sits_at_the_table(DelegationKind.CONTRIBUTOR)
    assert [k for k in DelegationKind if policy.in_the_council(k)] == [
        DelegationKind.MEMBER,
        DelegationKind.PARTNER,
        DelegationKind.SECRETARIAT,
    ]
    assert not policy.in_the_council(None)
    with pytest.raises(Forbidden) as refused:
        policy.require_in_the_council(
            CONTRIBUTOR, Action.CONVENE, DelegationKind.CONTRIBUTOR, "EUU"
        )
    assert refused.value.detail == (
        "X may not convene the council for EUU: EUU does not sit in the council"
    )
    nameless = Actor("script", delegation_kind=DelegationKind.MEMBER, role=Role.OFFICER)
    with pytest.raises(Forbidden, match=r"^script may not table a proposal for JPN: JPN does"):
        policy.require_in_the_council(
            nameless, Action.TABLE_PROPOSAL, DelegationKind.CONTRIBUTOR, "JPN"
        )
    for kind in (DelegationKind.MEMBER, DelegationKind.PARTNER, DelegationKind.SECRETARIAT):
        policy.require_in_the_council(CHAIR, Action.CONVENE, kind, "XYZ")


# ---- silence procedure ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "stance", "breaks"),
    [
        # One formal objection under silence breaks it…
        (ProposalState.UNDER_SILENCE, Stance.OBJECT, True),
        # …support or an abstention does not…
        (ProposalState.UNDER_SILENCE, Stance.SUPPORT, False),
        (ProposalState.UNDER_SILENCE, Stance.ABSTAIN, False),
        # …and an objection in discussion has no silence to break.
        (ProposalState.IN_DISCUSSION, Stance.OBJECT, False),
        (ProposalState.ADOPTED, Stance.OBJECT, False),
    ],
)
def test_an_objection_under_silence_breaks_it(
    state: ProposalState, stance: Stance, breaks: bool
) -> None:
    assert model.breaks_silence(state, stance) is breaks
