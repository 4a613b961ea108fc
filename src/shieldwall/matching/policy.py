"""Who may do what in the clearing house — declared in one place, enforced by the service,
asked by the pages.

A member declares its own availability and withdraws it (the secretariat may do both for a
member). Only the secretariat runs the clearing house and sends its proposals; the member a
proposal is sent to confirms it (it becomes that member's offer) or declines it. Availability
is releasable to the secretariat only by default; a member sees its own lines and the proposals
sent to it.
"""

from __future__ import annotations

from enum import StrEnum

from shieldwall.access.model import Actor, Audience, RouteRule
from shieldwall.access.permissions import Relation, permits, refusal
from shieldwall.kit.i18n import N_


class Action(StrEnum):
    # Named in a refusal's words ("DEU may not …"), translated there (``access.permissions``).
    DECLARE_AVAILABILITY = N_("declare what a member could give")
    WITHDRAW_AVAILABILITY = N_("withdraw an availability line")
    RUN_MATCHING = N_("run the clearing house")
    SEND_PROPOSAL = N_("send a matching proposal")
    ANSWER_PROPOSAL = N_("confirm or decline a matching proposal")


ALLOWED: dict[Action, frozenset[Relation]] = {
    Action.DECLARE_AVAILABILITY: frozenset({Relation.OWNER, Relation.SECRETARIAT}),
    Action.WITHDRAW_AVAILABILITY: frozenset({Relation.OWNER, Relation.SECRETARIAT}),
    Action.RUN_MATCHING: frozenset({Relation.SECRETARIAT}),
    Action.SEND_PROPOSAL: frozenset({Relation.SECRETARIAT}),
    Action.ANSWER_PROPOSAL: frozenset({Relation.OWNER}),
}


def allowed(actor: Actor, action: Action, owner_id: int | None = None) -> bool:
    return permits(actor, ALLOWED[action], owner_id, None)


def require(actor: Actor, action: Action, *, owner_id: int | None = None, record: str = "") -> None:
    """Raise Forbidden, saying who may, unless ``actor`` may take ``action``."""
    if not allowed(actor, action, owner_id):
        raise refusal(actor, action.value, ALLOWED[action], record)


def may_withdraw(actor: Actor, member_id: int) -> bool:
    return allowed(actor, Action.WITHDRAW_AVAILABILITY, member_id)


def may_run(actor: Actor) -> bool:
    return allowed(actor, Action.RUN_MATCHING)


def may_declare(actor: Actor) -> bool:
    """A member for itself, or the secretariat (the owner is the actor's own delegation)."""
    return allowed(actor, Action.DECLARE_AVAILABILITY, actor.delegation_id)


_R = RouteRule
_SIGNED_IN = Audience.SIGNED_IN
_PAGE = Audience.PAGE
# The routes of this feature, each with who may call it (checked route by route in the tests).
ROUTES: dict[tuple[str, str], RouteRule] = {
    ("GET", "/api/v1/availability"): _R(_SIGNED_IN, "availability"),
    ("POST", "/api/v1/availability"): _R(_SIGNED_IN, None, Action.DECLARE_AVAILABILITY),
    # A line the reader may not see is 404 first; then 403 naming who may withdraw it.
    ("POST", "/api/v1/availability/{line_id}/withdraw"): _R(
        _SIGNED_IN, "availability", Action.WITHDRAW_AVAILABILITY
    ),
    ("GET", "/api/v1/matching/runs"): _R(Audience.SECRETARIAT),
    ("POST", "/api/v1/matching/runs"): _R(_SIGNED_IN, None, Action.RUN_MATCHING),
    # A run is the secretariat's (403 for others, in the route); 404 if there is none.
    ("GET", "/api/v1/matching/runs/{run_id}"): _R(_SIGNED_IN, "run"),
    ("POST", "/api/v1/matching/runs/{run_id}/send"): _R(_SIGNED_IN, "run", Action.SEND_PROPOSAL),
    ("GET", "/api/v1/matching/proposals"): _R(_SIGNED_IN, "proposal"),
    ("POST", "/api/v1/matching/proposals/{proposal_id}/send"): _R(
        _SIGNED_IN, "proposal", Action.SEND_PROPOSAL
    ),
    # Sending and answering: a proposal the caller may not see is 404 (its existence is not
    # revealed), then 403 naming who may.
    ("POST", "/api/v1/matching/proposals/{proposal_id}/confirm"): _R(
        _SIGNED_IN, "proposal", Action.ANSWER_PROPOSAL
    ),
    ("POST", "/api/v1/matching/proposals/{proposal_id}/decline"): _R(
        _SIGNED_IN, "proposal", Action.ANSWER_PROPOSAL
    ),
    # The page: the secretariat starts runs and sends proposals; a member declares its lines
    # and answers what was sent to it. Each action is checked by the service.
    ("GET", "/matching"): _R(_PAGE, "proposal"),
    ("POST", "/matching/act"): _R(_PAGE, "proposal"),
}
