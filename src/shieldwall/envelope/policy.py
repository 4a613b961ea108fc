"""Who may do what with capability packages and delivery plans — declared in one place,
enforced by the service, asked by the pages.

The partner (it knows what it needs to field a capability) and the secretariat (which
consolidates) define capability packages and change them. A member plans the deliveries of its
own committed offers, and the secretariat may plan any (it runs the clearing house). Every
signed-in user reads the packages and the envelope — each counting only the deliveries of the
offers that reader may see. The ranking of the single deliveries that would raise readiness
most is shown to the secretariat and the partner only: it compares the members' outstanding
deliveries with each other, which is the chair's business and the partner's need, not one
member's to read about another.
"""

from __future__ import annotations

from enum import StrEnum

from shieldwall.access.model import Actor, Audience, RouteRule
from shieldwall.access.permissions import Relation, permits, refusal
from shieldwall.delegations.model import DelegationKind
from shieldwall.kit.errors import Forbidden
from shieldwall.kit.i18n import N_
from shieldwall.kit.i18n import gettext as _


class Action(StrEnum):
    # Named in a refusal's words ("DEU may not …"), translated there (``access.permissions``).
    DEFINE_PACKAGE = N_("define or change a capability package")
    PLAN_DELIVERY = N_("plan an offer's deliveries")


ALLOWED: dict[Action, frozenset[Relation]] = {
    Action.DEFINE_PACKAGE: frozenset({Relation.PARTNER, Relation.SECRETARIAT}),
    Action.PLAN_DELIVERY: frozenset({Relation.OWNER, Relation.SECRETARIAT}),
}


def partner_of(actor: Actor) -> int | None:
    """The partner a package is defined for: the actor's own delegation, if it is a partner
    (a package belongs to the partnership, not to one member)."""
    return actor.delegation_id if actor.delegation_kind == DelegationKind.PARTNER else None


def allowed(actor: Actor, action: Action, owner_id: int | None = None) -> bool:
    return permits(actor, ALLOWED[action], owner_id, partner_of(actor))


def require(actor: Actor, action: Action, *, owner_id: int | None = None, record: str = "") -> None:
    """Raise Forbidden, saying who may, unless ``actor`` may take ``action``."""
    if not allowed(actor, action, owner_id):
        raise refusal(actor, action.value, ALLOWED[action], record)


def may_define_packages(actor: Actor) -> bool:
    return allowed(actor, Action.DEFINE_PACKAGE)


def may_plan(actor: Actor, member_id: int) -> bool:
    """The member whose offer it is, or the secretariat."""
    return allowed(actor, Action.PLAN_DELIVERY, member_id)


def may_see_best_deliveries(actor: Actor) -> bool:
    """The secretariat and the partner (every role: it is a read), and the platform itself."""
    return actor.sees_everything or actor.delegation_kind == DelegationKind.PARTNER


def require_best_deliveries(actor: Actor) -> None:
    """Forbidden, saying who may, unless ``actor`` may see the best deliveries (a read: the
    reason is never the actor's role)."""
    if not may_see_best_deliveries(actor):
        raise Forbidden(
            _(
                "{who} may not see which deliveries would raise readiness most: only the "
                "partner and the secretariat may"
            ).format(who=actor.delegation or actor.name)
        )


_R = RouteRule
_SIGNED_IN = Audience.SIGNED_IN
_PAGE = Audience.PAGE
# The routes of this feature, each with who may call it (checked route by route in the tests).
# ``offer``: the figures count only the offers the reader may see. The best deliveries are a
# read that only the secretariat and the partner may make (``may_see_best_deliveries``; 403
# for others, tested per role in tests/test_envelope_api.py).
ROUTES: dict[tuple[str, str], RouteRule] = {
    ("GET", "/api/v1/envelope"): _R(_SIGNED_IN, "offer"),
    ("GET", "/api/v1/envelope/best-deliveries"): _R(_SIGNED_IN, "offer"),
    ("GET", "/api/v1/capability-packages"): _R(_SIGNED_IN),
    ("POST", "/api/v1/capability-packages"): _R(_SIGNED_IN, None, Action.DEFINE_PACKAGE),
    ("GET", "/api/v1/capability-packages/{package_id}"): _R(_SIGNED_IN, "offer"),
    ("PATCH", "/api/v1/capability-packages/{package_id}"): _R(
        _SIGNED_IN, None, Action.DEFINE_PACKAGE
    ),
    ("GET", "/api/v1/planned-deliveries"): _R(_SIGNED_IN, "offer"),
    ("POST", "/api/v1/planned-deliveries"): _R(_SIGNED_IN, "offer", Action.PLAN_DELIVERY),
    ("PATCH", "/api/v1/planned-deliveries/{tranche_id}"): _R(
        _SIGNED_IN, "offer", Action.PLAN_DELIVERY
    ),
    ("DELETE", "/api/v1/planned-deliveries/{tranche_id}"): _R(
        _SIGNED_IN, "offer", Action.PLAN_DELIVERY
    ),
    # The pages. Each form posts to an ``act`` route; each action inside is checked by the
    # service as its API route is.
    ("GET", "/envelope"): _R(_PAGE, "offer"),
    ("GET", "/capability-packages/new"): _R(_PAGE),
    ("POST", "/capability-packages/new"): _R(_PAGE, None, Action.DEFINE_PACKAGE),
    ("GET", "/capability-packages/{package_id}"): _R(_PAGE, "offer"),
    ("POST", "/capability-packages/{package_id}/act"): _R(_PAGE, None, Action.DEFINE_PACKAGE),
    ("GET", "/planned-deliveries"): _R(_PAGE, "offer"),
    ("POST", "/planned-deliveries/act"): _R(_PAGE, "offer"),
}
