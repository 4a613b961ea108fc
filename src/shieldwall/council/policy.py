"""Who may do what in the council — declared in one place, enforced by the service, asked by
the pages.

Any member or partner delegation may convene the council, and nobody can block it: convening
needs no one's approval. The chair (the secretariat) schedules, holds and closes meetings,
circulates proposals under silence and records consensus. Member and partner delegations state
positions for themselves; a proposal is tabled by a delegation for itself or by the secretariat.
"""

from __future__ import annotations

from enum import StrEnum

from shieldwall.access.model import Actor, Audience, Releasability, RouteRule
from shieldwall.access.permissions import Relation, permits, refusal
from shieldwall.council.model import (
    MEETING_TRANSITIONS,
    MeetingAction,
    MeetingState,
    ProposalState,
)
from shieldwall.delegations.model import DelegationKind
from shieldwall.kit.errors import Forbidden
from shieldwall.kit.i18n import N_
from shieldwall.kit.i18n import gettext as _

# Meetings, agendas, proposals and positions are the council's business unless released wider.
MEETING_DEFAULT = Releasability.COUNCIL
PROPOSAL_DEFAULT = Releasability.COUNCIL

# The delegations that sit at the table: they convene, table proposals and state positions.
SEATED_KINDS = frozenset({DelegationKind.MEMBER, DelegationKind.PARTNER})


class Action(StrEnum):
    # Marked for the catalogue: a refusal names the action in the reader's language.
    CONVENE = N_("convene the council")
    CHAIR = N_("chair a meeting")  # schedule, hold, record minutes and outcomes, close
    ADD_AGENDA_ITEM = N_("add an agenda item")
    TABLE_PROPOSAL = N_("table a proposal")
    STATE_POSITION = N_("state a position")
    CIRCULATE = N_("circulate a proposal under the silence procedure")
    RECORD_CONSENSUS = N_("record consensus")
    WITHDRAW_PROPOSAL = N_("withdraw a proposal")


_OWN = frozenset({Relation.OWNER})
_SEC = frozenset({Relation.SECRETARIAT})
_OWN_OR_SEC = frozenset({Relation.OWNER, Relation.SECRETARIAT})

ALLOWED: dict[Action, frozenset[Relation]] = {
    Action.CONVENE: _OWN_OR_SEC,
    Action.CHAIR: _SEC,
    Action.ADD_AGENDA_ITEM: _OWN_OR_SEC,  # the convener, or the chair
    Action.TABLE_PROPOSAL: _OWN_OR_SEC,
    Action.STATE_POSITION: _OWN,  # a delegation speaks for itself only
    Action.CIRCULATE: _SEC,
    Action.RECORD_CONSENSUS: _SEC,
    Action.WITHDRAW_PROPOSAL: _OWN_OR_SEC,  # the delegation that tabled it, or the chair
}


def allowed(actor: Actor, action: Action, owner_id: int | None = None) -> bool:
    return permits(actor, ALLOWED[action], owner_id, None)


def require(actor: Actor, action: Action, *, owner_id: int | None = None, record: str = "") -> None:
    """Raise Forbidden, saying who may, unless ``actor`` may take ``action``."""
    if not allowed(actor, action, owner_id):
        raise refusal(actor, action.value, ALLOWED[action], record)


def sits_at_the_table(kind: DelegationKind | None) -> bool:
    """Member and partner delegations convene, table and take positions for themselves; the
    secretariat chairs. A contributor (the EU, Japan) sits outside the council."""
    return kind in SEATED_KINDS


def in_the_council(kind: DelegationKind | None) -> bool:
    """The council's delegations: those at the table and the secretariat that chairs it."""
    return sits_at_the_table(kind) or kind == DelegationKind.SECRETARIAT


def require_in_the_council(actor: Actor, action: Action, kind: DelegationKind, code: str) -> None:
    """Raise Forbidden unless the delegation ``code`` (of ``kind``), for which ``actor`` would
    take ``action``, is one of the council's: a contributor convenes and tables nothing."""
    if not in_the_council(kind):
        who = actor.delegation or actor.name
        raise Forbidden(
            _("{who} may not {action} for {code}: {code} does not sit in the council").format(
                who=who, action=_(action.value), code=code
            )
        )


def may_convene(actor: Actor) -> bool:
    return in_the_council(actor.delegation_kind) and allowed(
        actor, Action.CONVENE, actor.delegation_id
    )


def may_table(actor: Actor) -> bool:
    """A delegation of the council tables proposals for itself (the chair for the
    secretariat)."""
    return in_the_council(actor.delegation_kind) and allowed(
        actor, Action.TABLE_PROPOSAL, actor.delegation_id
    )


def may_state_position(actor: Actor, state: ProposalState) -> bool:
    return (
        state in (ProposalState.IN_DISCUSSION, ProposalState.UNDER_SILENCE)
        and sits_at_the_table(actor.delegation_kind)
        and allowed(actor, Action.STATE_POSITION, actor.delegation_id)
    )


def meeting_actions(actor: Actor, state: MeetingState, convener_id: int) -> set[str]:
    """What ``actor`` may do to a meeting now: the permission, and the state allowing it."""
    actions = set()
    for step in MeetingAction:
        permission = (
            Action.ADD_AGENDA_ITEM if step == MeetingAction.ADD_AGENDA_ITEM else Action.CHAIR
        )
        if state in MEETING_TRANSITIONS[step][0] and allowed(actor, permission, convener_id):
            actions.add(step.name.lower())
    return actions


def proposal_actions(actor: Actor, state: ProposalState, tabled_by_id: int) -> set[str]:
    """What ``actor`` may do to a proposal now."""
    actions = set()
    if may_state_position(actor, state):
        actions.add("position")
    if state == ProposalState.IN_DISCUSSION:
        if allowed(actor, Action.CIRCULATE):
            actions.add("circulate")
        if allowed(actor, Action.RECORD_CONSENSUS):
            actions.add("consensus")
    if state in (ProposalState.IN_DISCUSSION, ProposalState.UNDER_SILENCE) and allowed(
        actor, Action.WITHDRAW_PROPOSAL, tabled_by_id
    ):
        actions.add("withdraw")
    return actions


_R = RouteRule
_SIGNED_IN = Audience.SIGNED_IN
_PAGE = Audience.PAGE
# The routes of this feature, each with who may call it (checked route by route in the tests).
ROUTES: dict[tuple[str, str], RouteRule] = {
    ("GET", "/api/v1/meetings"): _R(_SIGNED_IN, "meeting"),
    ("POST", "/api/v1/meetings"): _R(_SIGNED_IN, None, Action.CONVENE),
    ("GET", "/api/v1/meetings/{meeting_id}"): _R(_SIGNED_IN, "meeting"),
    ("POST", "/api/v1/meetings/{meeting_id}/schedule"): _R(_SIGNED_IN, "meeting", Action.CHAIR),
    ("POST", "/api/v1/meetings/{meeting_id}/agenda"): _R(
        _SIGNED_IN, "meeting", Action.ADD_AGENDA_ITEM
    ),
    ("POST", "/api/v1/meetings/{meeting_id}/hold"): _R(_SIGNED_IN, "meeting", Action.CHAIR),
    ("POST", "/api/v1/meetings/{meeting_id}/minutes"): _R(_SIGNED_IN, "meeting", Action.CHAIR),
    ("POST", "/api/v1/meetings/{meeting_id}/agenda/{item_id}/outcome"): _R(
        _SIGNED_IN, "meeting", Action.CHAIR
    ),
    ("POST", "/api/v1/meetings/{meeting_id}/close"): _R(_SIGNED_IN, "meeting", Action.CHAIR),
    ("GET", "/api/v1/proposals"): _R(_SIGNED_IN, "proposal"),
    ("POST", "/api/v1/proposals"): _R(_SIGNED_IN, None, Action.TABLE_PROPOSAL),
    ("GET", "/api/v1/proposals/{proposal_id}"): _R(_SIGNED_IN, "proposal"),
    ("POST", "/api/v1/proposals/{proposal_id}/positions"): _R(
        _SIGNED_IN, "proposal", Action.STATE_POSITION
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/silence"): _R(
        _SIGNED_IN, "proposal", Action.CIRCULATE
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/consensus"): _R(
        _SIGNED_IN, "proposal", Action.RECORD_CONSENSUS
    ),
    ("POST", "/api/v1/proposals/{proposal_id}/withdraw"): _R(
        _SIGNED_IN, "proposal", Action.WITHDRAW_PROPOSAL
    ),
    ("GET", "/api/v1/outcomes"): _R(_SIGNED_IN, "proposal"),
    # The pages. Each form of a record's page posts to its ``act`` route, and each action
    # inside is checked by the service as its API route is.
    ("GET", "/meetings"): _R(_PAGE, "meeting"),
    ("GET", "/meetings/new"): _R(_PAGE),
    ("POST", "/meetings/new"): _R(_PAGE, None, Action.CONVENE),
    ("GET", "/meetings/{meeting_id}"): _R(_PAGE, "meeting"),
    ("POST", "/meetings/{meeting_id}/act"): _R(_PAGE, "meeting"),
    ("GET", "/proposals"): _R(_PAGE, "proposal"),
    ("GET", "/proposals/new"): _R(_PAGE),
    ("POST", "/proposals/new"): _R(_PAGE, None, Action.TABLE_PROPOSAL),
    ("GET", "/proposals/{proposal_id}"): _R(_PAGE, "proposal"),
    ("POST", "/proposals/{proposal_id}/act"): _R(_PAGE, "proposal"),
}
