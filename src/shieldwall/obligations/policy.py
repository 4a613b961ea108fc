"""Who may do what with obligation clocks — declared in one place, enforced by the service,
asked by the pages.

The partner declares an event for itself (an armed attack on it); the secretariat, chairing
the council, may declare one for any partner. A member records that it met a duty to report,
for itself; the secretariat may record it for any member. A duty to consult is met from the
council's record of the consultation (the scheduler), never by hand. Viewers and read-only
tokens change nothing.
"""

from __future__ import annotations

from enum import StrEnum

from shieldwall.access.model import Actor, Audience, Releasability, RouteRule
from shieldwall.access.permissions import Relation, permits, refusal
from shieldwall.delegations.model import DelegationKind
from shieldwall.guarantees.model import ObligationAction
from shieldwall.kit.i18n import N_
from shieldwall.obligations.model import STEPS_FROM, DueStep, Standing

# A declared event is the council's business unless released wider.
TRIGGER_DEFAULT = Releasability.COUNCIL


class Action(StrEnum):
    DECLARE_TRIGGER = "declare a trigger event"
    RECORD_MET = "record an obligation as met"


_OWN_OR_SEC = frozenset({Relation.OWNER, Relation.SECRETARIAT})

ALLOWED: dict[Action, frozenset[Relation]] = {
    Action.DECLARE_TRIGGER: _OWN_OR_SEC,  # the partner concerned, or the chair
    Action.RECORD_MET: _OWN_OR_SEC,  # the member bound, or the secretariat
}


def allowed(actor: Actor, action: Action, owner_id: int | None = None) -> bool:
    return permits(actor, ALLOWED[action], owner_id, None)


def require(actor: Actor, action: Action, *, owner_id: int | None = None, record: str = "") -> None:
    """Raise Forbidden, saying who may, unless ``actor`` may take ``action``."""
    if not allowed(actor, action, owner_id):
        raise refusal(actor, action.value, ALLOWED[action], record)


def may_declare(actor: Actor) -> bool:
    """The partner (for itself) and the secretariat declare events; members never do."""
    kind = actor.delegation_kind
    return kind in (DelegationKind.PARTNER, DelegationKind.SECRETARIAT) and allowed(
        actor, Action.DECLARE_TRIGGER, actor.delegation_id
    )


def may_record_met(actor: Actor, action: ObligationAction, now: Standing, member_id: int) -> bool:
    """A duty to report may be recorded met, in time or late, by its member or the
    secretariat; a duty to consult is met from the consultation's record only."""
    return (
        action == ObligationAction.REPORT
        and now in STEPS_FROM[DueStep.MEET]
        and allowed(actor, Action.RECORD_MET, member_id)
    )


_R = RouteRule
_SIGNED_IN = Audience.SIGNED_IN
_PAGE = Audience.PAGE
# The routes of this feature, each with who may call it (checked route by route in the tests).
ROUTES: dict[tuple[str, str], RouteRule] = {
    ("GET", "/api/v1/triggers"): _R(_SIGNED_IN, "trigger"),
    ("POST", "/api/v1/triggers"): _R(_SIGNED_IN, None, Action.DECLARE_TRIGGER),
    ("GET", "/api/v1/triggers/{trigger_id}"): _R(_SIGNED_IN, "trigger"),
    ("GET", "/api/v1/obligations"): _R(_SIGNED_IN, "due item"),
    ("GET", "/api/v1/obligations/{due_item_id}"): _R(_SIGNED_IN, "due item"),
    ("POST", "/api/v1/obligations/{due_item_id}/met"): _R(
        _SIGNED_IN, "due item", Action.RECORD_MET
    ),
    # The pages: each form posts to a route whose use case checks as its API route does.
    ("GET", "/triggers"): _R(_PAGE, "trigger"),
    ("GET", "/triggers/new"): _R(_PAGE),
    ("POST", "/triggers/new"): _R(_PAGE, None, Action.DECLARE_TRIGGER),
    ("GET", "/triggers/{trigger_id}"): _R(_PAGE, "trigger"),
    ("GET", "/obligations"): _R(_PAGE, "due item"),
    ("GET", "/obligations/{due_item_id}"): _R(_PAGE, "due item"),
    ("POST", "/obligations/{due_item_id}/met"): _R(_PAGE, "due item", Action.RECORD_MET),
}


# The actions' words, as a refusal or an illegal transition names them (``access.permissions``,
# ``kit.errors``): marked here for the catalogue, since an enum's value is not seen by it.
ACTION_WORDS = (
    N_("declare a trigger event"),
    N_("record an obligation as met"),
)
