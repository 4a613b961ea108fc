"""Who may do what with requests, offers, deliveries and the ledger — declared in one place.

Each action names the relations to the record that allow it. Every actor must also hold an
acting role (head of delegation, officer, chair, staff) and the write scope; viewers only read.
"""

from __future__ import annotations

from enum import StrEnum

from shieldwall.access.model import Actor, Audience, Releasability, RouteRule
from shieldwall.access.permissions import Relation, permits, refusal, relation
from shieldwall.assistance.model import OFFER_TRANSITIONS, OfferAction, OfferState
from shieldwall.delegations.model import DelegationKind
from shieldwall.kit.i18n import N_

# Who may see a record unless its author releases it more widely: a request its addressees
# (and the partner who filed it), an offer the partner it is made to.
REQUEST_DEFAULT = Releasability.ADDRESSEES
OFFER_DEFAULT = Releasability.PARTNER


class Action(StrEnum):
    FILE_REQUEST = "file a request"
    WITHDRAW_REQUEST = "withdraw a request"
    CLOSE_REQUEST = "close a request"
    MAKE_OFFER = "make an offer"
    ANSWER_OFFER = "accept or decline an offer"
    MANAGE_OFFER = "withdraw, commit or cancel an offer"
    RECORD_DELIVERY = "record a delivery"
    SETTLE_DELIVERY = "confirm or reject a delivery"
    CORRECT_LEDGER = "correct the ledger"
    WIDEN_RELEASABILITY = "widen who may see a record"
    EDIT_CATALOGUE = "edit the catalogue"
    IMPORT_FIGURES = "import an outside tracker's figures"
    IMPORT_TABLES = "import requests, offers and deliveries"


ALLOWED: dict[Action, frozenset[Relation]] = {
    Action.FILE_REQUEST: frozenset({Relation.OWNER}),
    Action.WITHDRAW_REQUEST: frozenset({Relation.OWNER}),
    Action.CLOSE_REQUEST: frozenset({Relation.OWNER, Relation.SECRETARIAT}),
    Action.MAKE_OFFER: frozenset({Relation.OWNER}),
    Action.ANSWER_OFFER: frozenset({Relation.PARTNER}),
    Action.MANAGE_OFFER: frozenset({Relation.OWNER}),
    Action.RECORD_DELIVERY: frozenset({Relation.OWNER}),
    Action.SETTLE_DELIVERY: frozenset({Relation.PARTNER}),
    Action.CORRECT_LEDGER: frozenset({Relation.SECRETARIAT}),
    Action.WIDEN_RELEASABILITY: frozenset({Relation.OWNER}),
    Action.EDIT_CATALOGUE: frozenset({Relation.SECRETARIAT}),
    Action.IMPORT_FIGURES: frozenset({Relation.SECRETARIAT}),
    # A table of many delegations' records, checked as a whole: the secretariat, which
    # consolidates, imports it (and the CLI's operator, a system actor).
    Action.IMPORT_TABLES: frozenset({Relation.SECRETARIAT}),
}


def delegation_may(
    actor: Actor, action: Action, owner_id: int | None, partner_id: int | None
) -> bool:
    """The actor's delegation stands to the record as ``action`` needs, whatever the actor's
    role or token: what waits for a delegation waits for its viewers to read too."""
    return relation(actor, owner_id, partner_id) in ALLOWED[action]


def allowed(actor: Actor, action: Action, owner_id: int | None, partner_id: int | None) -> bool:
    return permits(actor, ALLOWED[action], owner_id, partner_id)


def require(
    actor: Actor,
    action: Action,
    *,
    owner_id: int | None = None,
    partner_id: int | None = None,
    record: str = "",
) -> None:
    """Raise Forbidden, saying who may, unless ``actor`` may take ``action``."""
    if not allowed(actor, action, owner_id, partner_id):
        raise refusal(actor, action.value, ALLOWED[action], record)


# The permission each step of an offer's lifecycle needs.
OFFER_PERMISSION: dict[OfferAction, Action] = {
    OfferAction.ACCEPT: Action.ANSWER_OFFER,
    OfferAction.DECLINE: Action.ANSWER_OFFER,
    OfferAction.WITHDRAW: Action.MANAGE_OFFER,
    OfferAction.COMMIT: Action.MANAGE_OFFER,
    OfferAction.CANCEL: Action.MANAGE_OFFER,
    OfferAction.RECORD_DELIVERY: Action.RECORD_DELIVERY,
}


def may_file_request(actor: Actor) -> bool:
    """A partner delegation files requests for itself."""
    return actor.delegation_kind == DelegationKind.PARTNER and allowed(
        actor, Action.FILE_REQUEST, actor.delegation_id, None
    )


def is_addressee(actor: Actor, to_all_members: bool, addressees: list[str]) -> bool:
    """A member is addressed by a request to all members, or to it by name."""
    return actor.delegation_kind == DelegationKind.MEMBER and (
        to_all_members or actor.delegation in addressees
    )


def request_awaits(actor: Actor, active: bool, to_all_members: bool, addressees: list[str]) -> bool:
    """An active request waits for an offer from each member delegation it is addressed to
    (its viewers see that too, though only its acting users may answer)."""
    return (
        active
        and is_addressee(actor, to_all_members, addressees)
        and delegation_may(actor, Action.MAKE_OFFER, actor.delegation_id, None)
    )


def may_answer_request(
    actor: Actor, active: bool, to_all_members: bool, addressees: list[str]
) -> bool:
    """An addressed member answers an active request with an offer of its own."""
    return request_awaits(actor, active, to_all_members, addressees) and allowed(
        actor, Action.MAKE_OFFER, actor.delegation_id, None
    )


def offer_actions(actor: Actor, state: OfferState, owner_id: int, partner_id: int) -> set[str]:
    """What ``actor`` may do to an offer now: the permission, and the state allowing it.
    ``settle`` (confirm or reject deliveries) and ``widen`` depend on the permission only."""
    actions = {
        action.name.lower()
        for action, permission in OFFER_PERMISSION.items()
        if state in OFFER_TRANSITIONS[action][0]
        and allowed(actor, permission, owner_id, partner_id)
    }
    if allowed(actor, Action.SETTLE_DELIVERY, owner_id, partner_id):
        actions.add("settle")
    if allowed(actor, Action.WIDEN_RELEASABILITY, owner_id, partner_id):
        actions.add("widen")
    return actions


_R = RouteRule
_SIGNED_IN = Audience.SIGNED_IN
# The routes of this feature, each with who may call it (checked route by route in the tests).
ROUTES: dict[tuple[str, str], RouteRule] = {
    ("GET", "/api/v1/delegations"): _R(_SIGNED_IN),
    ("GET", "/api/v1/catalogue"): _R(_SIGNED_IN),
    ("GET", "/api/v1/requests"): _R(_SIGNED_IN, "request"),
    ("POST", "/api/v1/requests"): _R(_SIGNED_IN, None, Action.FILE_REQUEST),
    ("GET", "/api/v1/requests/{request_id}"): _R(_SIGNED_IN, "request"),
    ("POST", "/api/v1/requests/{request_id}/withdraw"): _R(
        _SIGNED_IN, "request", Action.WITHDRAW_REQUEST
    ),
    ("POST", "/api/v1/requests/{request_id}/close"): _R(
        _SIGNED_IN, "request", Action.CLOSE_REQUEST
    ),
    ("POST", "/api/v1/requests/{request_id}/releasability"): _R(
        _SIGNED_IN, "request", Action.WIDEN_RELEASABILITY
    ),
    ("GET", "/api/v1/offers"): _R(_SIGNED_IN, "offer"),
    ("POST", "/api/v1/offers"): _R(_SIGNED_IN, None, Action.MAKE_OFFER),
    ("GET", "/api/v1/offers/{offer_id}"): _R(_SIGNED_IN, "offer"),
    ("POST", "/api/v1/offers/{offer_id}/accept"): _R(_SIGNED_IN, "offer", Action.ANSWER_OFFER),
    ("POST", "/api/v1/offers/{offer_id}/decline"): _R(_SIGNED_IN, "offer", Action.ANSWER_OFFER),
    ("POST", "/api/v1/offers/{offer_id}/withdraw"): _R(_SIGNED_IN, "offer", Action.MANAGE_OFFER),
    ("POST", "/api/v1/offers/{offer_id}/commit"): _R(_SIGNED_IN, "offer", Action.MANAGE_OFFER),
    ("POST", "/api/v1/offers/{offer_id}/cancel"): _R(_SIGNED_IN, "offer", Action.MANAGE_OFFER),
    ("POST", "/api/v1/offers/{offer_id}/releasability"): _R(
        _SIGNED_IN, "offer", Action.WIDEN_RELEASABILITY
    ),
    ("POST", "/api/v1/offers/{offer_id}/deliveries"): _R(
        _SIGNED_IN, "offer", Action.RECORD_DELIVERY
    ),
    ("GET", "/api/v1/deliveries"): _R(_SIGNED_IN, "delivery"),
    ("GET", "/api/v1/deliveries/{delivery_id}"): _R(_SIGNED_IN, "delivery"),
    ("POST", "/api/v1/deliveries/{delivery_id}/confirm"): _R(
        _SIGNED_IN, "delivery", Action.SETTLE_DELIVERY
    ),
    ("POST", "/api/v1/deliveries/{delivery_id}/reject"): _R(
        _SIGNED_IN, "delivery", Action.SETTLE_DELIVERY
    ),
    ("GET", "/api/v1/ledger/entries"): _R(_SIGNED_IN, "offer"),
    ("GET", "/api/v1/ledger/summary"): _R(_SIGNED_IN, "offer"),
    ("GET", "/api/v1/ledger/export.csv"): _R(_SIGNED_IN, "offer"),
    ("POST", "/api/v1/ledger/corrections"): _R(_SIGNED_IN, "offer", Action.CORRECT_LEDGER),
    ("GET", "/requests"): _R(Audience.PAGE, "request"),
    ("GET", "/requests/new"): _R(Audience.PAGE),
    ("POST", "/requests/new"): _R(Audience.PAGE),
    ("GET", "/requests/{request_id}"): _R(Audience.PAGE, "request"),
    # The request page's forms; each action inside is checked like its API route.
    ("POST", "/requests/{request_id}/act"): _R(Audience.PAGE, "request"),
    ("GET", "/offers"): _R(Audience.PAGE, "offer"),
    # Delivered entries, which inherit the releasability of their offer.
    ("GET", "/deliveries"): _R(Audience.PAGE, "offer"),
    ("GET", "/offers/{offer_id}"): _R(Audience.PAGE, "offer"),
    # The offer page's forms; each action inside is checked like its API route.
    ("POST", "/offers/{offer_id}/act"): _R(Audience.PAGE, "offer"),
    # The secretariat's imports of requests, offers and deliveries (Action.IMPORT_TABLES).
    ("GET", "/imports"): _R(Audience.PAGE_SECRETARIAT),
    ("GET", "/imports/{imported_file_id}"): _R(Audience.PAGE_SECRETARIAT),
    ("GET", "/imports/templates/{name}"): _R(Audience.PAGE_SECRETARIAT),
    ("POST", "/imports/check"): _R(Audience.PAGE_SECRETARIAT),
    ("POST", "/imports/apply"): _R(Audience.PAGE_SECRETARIAT),
}


# The actions' words, as a refusal or an illegal transition names them (``access.permissions``,
# ``kit.errors``): marked here for the catalogue, since an enum's value is not seen by it.
ACTION_WORDS = (
    N_("file a request"),
    N_("withdraw a request"),
    N_("close a request"),
    N_("make an offer"),
    N_("accept or decline an offer"),
    N_("withdraw, commit or cancel an offer"),
    N_("record a delivery"),
    N_("confirm or reject a delivery"),
    N_("correct the ledger"),
    N_("widen who may see a record"),
    N_("edit the catalogue"),
    N_("import an outside tracker's figures"),
    N_("import requests, offers and deliveries"),
    N_("accept"),
    N_("decline"),
    N_("record a delivery against"),
    N_("cancel"),
)
