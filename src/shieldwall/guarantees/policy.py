"""Who may do what with security guarantees — declared in one place, enforced by the service,
asked by the pages.

An instrument belongs to its signatory (a member, or a contributor such as the EU): the
signatory records it and amends it for itself, or the secretariat does. Either party — the
signatory or the partner — may give notice to terminate it, and the secretariat may record a
notice given. An offer fulfils an instrument of its own member: the member links it (or the
secretariat). Exchange rates are the secretariat's (or the platform's own processes'). The
membership pathway is the secretariat's record; the partner adds evidence to it, and the
invitation question is tabled in the council by the partner or the secretariat.
"""

from __future__ import annotations

from enum import StrEnum

from shieldwall.access.model import Actor, Audience, Releasability, RouteRule, widened
from shieldwall.access.permissions import Relation, permits, refusal
from shieldwall.delegations.model import DelegationKind
from shieldwall.kit.i18n import N_

# An instrument (and a pathway step) is the council's business unless its author says
# otherwise; it may be released more narrowly when it is recorded, but never below the
# partner it concerns, and then only ever more widely.
INSTRUMENT_DEFAULT = Releasability.COUNCIL
PATHWAY_DEFAULT = Releasability.COUNCIL
NARROWEST = Releasability.PARTNER


def releasability(field: str, default: Releasability, asked: str | None) -> Releasability:
    """The level a new instrument or pathway step is released at: ``default`` unless asked,
    and never below ``NARROWEST`` (the partner concerned always sees it)."""
    return default if asked is None else widened(field, NARROWEST, asked)


# Who holds instruments: the alliance's members, and contributors outside it.
SIGNATORY_KINDS = frozenset({DelegationKind.MEMBER, DelegationKind.CONTRIBUTOR})


class Action(StrEnum):
    CREATE_INSTRUMENT = "record an instrument"
    AMEND_INSTRUMENT = "amend an instrument"  # its yearly amounts and its obligations
    GIVE_NOTICE = "give notice to terminate an instrument"
    LINK_OFFER = "link an offer to an instrument"
    RECORD_RATE = "record an exchange rate"
    KEEP_PATHWAY = "keep the membership pathway"  # add steps, set their status
    ADD_EVIDENCE = "add evidence to the membership pathway"
    TABLE_QUESTION = "table the invitation question"


_OWN_OR_SEC = frozenset({Relation.OWNER, Relation.SECRETARIAT})
_PARTIES = frozenset({Relation.OWNER, Relation.PARTNER, Relation.SECRETARIAT})
_PARTNER_OR_SEC = frozenset({Relation.PARTNER, Relation.SECRETARIAT})
_SEC = frozenset({Relation.SECRETARIAT})

ALLOWED: dict[Action, frozenset[Relation]] = {
    Action.CREATE_INSTRUMENT: _OWN_OR_SEC,  # the signatory for itself, or the secretariat
    Action.AMEND_INSTRUMENT: _OWN_OR_SEC,
    Action.GIVE_NOTICE: _PARTIES,  # either party, or the secretariat recording it
    Action.LINK_OFFER: _OWN_OR_SEC,  # the offer's member (the instrument's), or the secretariat
    Action.RECORD_RATE: _SEC,
    Action.KEEP_PATHWAY: _SEC,
    Action.ADD_EVIDENCE: _PARTNER_OR_SEC,
    Action.TABLE_QUESTION: _PARTNER_OR_SEC,
}


def allowed(
    actor: Actor, action: Action, owner_id: int | None = None, partner_id: int | None = None
) -> bool:
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


def holds_instruments(kind: DelegationKind | None) -> bool:
    """Members and contributors sign instruments with the partner; the partner and the
    secretariat do not."""
    return kind in SIGNATORY_KINDS


def may_create_instrument(actor: Actor) -> bool:
    """The page's question: a signatory records its own instruments, the secretariat any."""
    own = holds_instruments(actor.delegation_kind) or actor.is_secretariat
    return own and allowed(actor, Action.CREATE_INSTRUMENT, actor.delegation_id)


def instrument_actions(
    actor: Actor, owner_id: int, partner_id: int, *, notice_given: bool
) -> set[str]:
    """What ``actor`` may do to an instrument now: amend it (amounts, obligations), give
    notice (once), link offers to it."""
    actions = set()
    if allowed(actor, Action.AMEND_INSTRUMENT, owner_id):  # the partner does not amend
        actions.add("amend")
    if not notice_given and allowed(actor, Action.GIVE_NOTICE, owner_id, partner_id):
        actions.add("notice")
    if allowed(actor, Action.LINK_OFFER, owner_id):  # nor link offers
        actions.add("link")
    return actions


def pathway_actions(actor: Actor, partner_id: int) -> set[str]:
    """What ``actor`` may do on the partner's pathway."""
    actions = set()
    if allowed(actor, Action.KEEP_PATHWAY):  # the secretariat's alone
        actions.add("keep")
    if allowed(actor, Action.ADD_EVIDENCE, None, partner_id):
        actions.add("evidence")
    if allowed(actor, Action.TABLE_QUESTION, None, partner_id):
        actions.add("question")
    return actions


_R = RouteRule
_SIGNED_IN = Audience.SIGNED_IN
_PAGE = Audience.PAGE
# The routes of this feature, each with who may call it (checked route by route in the tests).
ROUTES: dict[tuple[str, str], RouteRule] = {
    ("GET", "/api/v1/instruments"): _R(_SIGNED_IN, "instrument"),
    ("POST", "/api/v1/instruments"): _R(_SIGNED_IN, None, Action.CREATE_INSTRUMENT),
    ("GET", "/api/v1/instruments/{instrument_id}"): _R(_SIGNED_IN, "instrument"),
    ("PUT", "/api/v1/instruments/{instrument_id}/amounts"): _R(
        _SIGNED_IN, "instrument", Action.AMEND_INSTRUMENT
    ),
    ("POST", "/api/v1/instruments/{instrument_id}/obligations"): _R(
        _SIGNED_IN, "instrument", Action.AMEND_INSTRUMENT
    ),
    ("POST", "/api/v1/instruments/{instrument_id}/notice"): _R(
        _SIGNED_IN, "instrument", Action.GIVE_NOTICE
    ),
    ("PUT", "/api/v1/offers/{offer_id}/instrument"): _R(_SIGNED_IN, "offer", Action.LINK_OFFER),
    ("DELETE", "/api/v1/offers/{offer_id}/instrument"): _R(_SIGNED_IN, "offer", Action.LINK_OFFER),
    ("GET", "/api/v1/exchange-rates"): _R(_SIGNED_IN),
    ("POST", "/api/v1/exchange-rates"): _R(_SIGNED_IN, None, Action.RECORD_RATE),
    ("GET", "/api/v1/burden-sharing"): _R(_SIGNED_IN, "offer"),
    ("GET", "/api/v1/pathway"): _R(_SIGNED_IN, "pathway step"),
    ("POST", "/api/v1/pathway"): _R(_SIGNED_IN, None, Action.KEEP_PATHWAY),
    ("PATCH", "/api/v1/pathway/{step_id}"): _R(_SIGNED_IN, "pathway step", Action.ADD_EVIDENCE),
    ("POST", "/api/v1/pathway/invitation-question"): _R(
        _SIGNED_IN, "pathway step", Action.TABLE_QUESTION
    ),
    # The pages. Each form of a page posts to its ``act`` route, and each action inside is
    # checked by the service as its API route is.
    ("GET", "/instruments"): _R(_PAGE, "instrument"),
    ("GET", "/instruments/{instrument_id}"): _R(_PAGE, "instrument"),
    ("POST", "/instruments/{instrument_id}/act"): _R(_PAGE, "instrument"),
    ("GET", "/burden-sharing"): _R(_PAGE, "offer"),
    ("GET", "/pathway"): _R(_PAGE, "pathway step"),
    ("POST", "/pathway/act"): _R(_PAGE, "pathway step"),
}


# The actions' words, as a refusal or an illegal transition names them (``access.permissions``,
# ``kit.errors``): marked here for the catalogue, since an enum's value is not seen by it.
ACTION_WORDS = (
    N_("record an instrument"),
    N_("amend an instrument"),
    N_("give notice to terminate an instrument"),
    N_("link an offer to an instrument"),
    N_("record an exchange rate"),
    N_("keep the membership pathway"),
    N_("add evidence to the membership pathway"),
    N_("table the invitation question"),
)
