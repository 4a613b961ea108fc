"""Who may do what (``assistance.policy``), with the answers written out by hand from the
README's "Permissions". No database: milliseconds."""

from __future__ import annotations

import pytest

from shieldwall.access import permissions
from shieldwall.access.model import PUBLIC, SYSTEM, Actor, Releasability, Role, Scope
from shieldwall.access.permissions import Relation
from shieldwall.assistance import policy
from shieldwall.assistance.model import OfferState
from shieldwall.assistance.policy import Action
from shieldwall.delegations.model import DelegationKind
from shieldwall.kit.errors import Forbidden
from shieldwall.kit.i18n import using_locale

SEC, UKR, DEU, FRA = 1, 2, 4, 6


def of(
    code: str,
    delegation_id: int,
    kind: DelegationKind,
    role: Role,
    scopes: frozenset[Scope] = frozenset(Scope),
) -> Actor:
    return Actor(
        code.lower() + ("-" + role.value if role == Role.VIEWER else ""),
        delegation=code,
        delegation_id=delegation_id,
        delegation_kind=kind,
        role=role,
        scopes=scopes,
    )


M, P, S = DelegationKind.MEMBER, DelegationKind.PARTNER, DelegationKind.SECRETARIAT
ACTORS: dict[str, Actor] = {
    "sec": of("SEC", SEC, S, Role.CHAIR),
    "sec-staff": of("SEC", SEC, S, Role.STAFF),
    "sec-admin": of("SEC", SEC, S, Role.ADMIN),
    "ukr": of("UKR", UKR, P, Role.HEAD_OF_DELEGATION),
    "ukr-officer": of("UKR", UKR, P, Role.OFFICER),
    "ukr-viewer": of("UKR", UKR, P, Role.VIEWER),
    "deu": of("DEU", DEU, M, Role.HEAD_OF_DELEGATION),
    "deu-officer": of("DEU", DEU, M, Role.OFFICER),
    "deu-viewer": of("DEU", DEU, M, Role.VIEWER),
    "deu-read-token": of("DEU", DEU, M, Role.OFFICER, scopes=frozenset({Scope.READ})),
    "fra": of("FRA", FRA, M, Role.OFFICER),
    "public": PUBLIC,
    "system": SYSTEM,
}


def test_who_sees_a_new_record() -> None:
    """README: "Requests default to their addressees, offers to the partner"."""
    assert policy.REQUEST_DEFAULT == Releasability.ADDRESSEES
    assert policy.OFFER_DEFAULT == Releasability.PARTNER


# ---- how an actor stands to a record --------------------------------------------------------

# (actor, owner, partner) → relation. An offer is owned by the member making it and concerns
# the partner it is made to; a request is owned by the partner filing it.
RELATIONS: list[tuple[str, int | None, int | None, Relation]] = [
    ("deu", DEU, UKR, Relation.OWNER),  # DEU's offer to UKR
    ("ukr", DEU, UKR, Relation.PARTNER),
    ("fra", DEU, UKR, Relation.OTHER),
    ("sec", DEU, UKR, Relation.SECRETARIAT),
    ("sec", SEC, None, Relation.SECRETARIAT),  # the secretariat is never "owner"
    ("ukr", UKR, UKR, Relation.OWNER),  # UKR's request: the owner comes first
    ("ukr", UKR, None, Relation.OWNER),
    ("ukr", None, UKR, Relation.PARTNER),
    ("deu", UKR, UKR, Relation.OTHER),
    ("deu", None, None, Relation.OTHER),  # nothing to own
    ("public", None, None, Relation.OTHER),  # no delegation: nothing in common with none
    ("public", DEU, UKR, Relation.OTHER),
    ("system", None, None, Relation.OTHER),
]


@pytest.mark.parametrize(("who", "owner", "partner", "answer"), RELATIONS)
def test_relation(who: str, owner: int | None, partner: int | None, answer: Relation) -> None:
    assert permissions.relation(ACTORS[who], owner, partner) == answer


# ---- what each relation allows ---------------------------------------------------------------

# README, "Permissions": the partner files and withdraws requests, accepts or declines offers
# and confirms deliveries; a member makes, commits, withdraws and cancels its own offers and
# records their deliveries; the secretariat corrects the ledger and closes requests; the
# author may widen who sees a record. Where the README is silent the comment says so.
Y, N = True, False
# fmt: off
MAY: dict[Action, tuple[bool, bool, bool, bool]] = {
    #                          owner partner secretariat other
    Action.FILE_REQUEST:        (Y,    N,      N,          N),  # owner: the partner filing it
    Action.WITHDRAW_REQUEST:    (Y,    N,      N,          N),
    # The README names only the secretariat; the partner that filed a request may close it too.
    Action.CLOSE_REQUEST:       (Y,    N,      Y,          N),
    Action.MAKE_OFFER:          (Y,    N,      N,          N),  # owner: the member making it
    Action.ANSWER_OFFER:        (N,    Y,      N,          N),  # never the member itself
    Action.MANAGE_OFFER:        (Y,    N,      N,          N),
    Action.RECORD_DELIVERY:     (Y,    N,      N,          N),
    Action.SETTLE_DELIVERY:     (N,    Y,      N,          N),
    Action.CORRECT_LEDGER:      (N,    N,      Y,          N),
    Action.WIDEN_RELEASABILITY: (Y,    N,      N,          N),
    # The README is silent on the catalogue: the secretariat keeps it.
    Action.EDIT_CATALOGUE:      (N,    N,      Y,          N),
    # Issue 11: the secretariat (or the operator at the command line) imports trackers.
    Action.IMPORT_FIGURES:      (N,    N,      Y,          N),
    # Issue 11: the secretariat uploads a file of requests, offers and deliveries.
    Action.IMPORT_TABLES:       (N,    N,      Y,          N),
}
# fmt: on
# Acting users in each relation to DEU's offer to UKR (and to records of their own).
IN_RELATION: dict[Relation, list[str]] = {
    Relation.OWNER: ["deu", "deu-officer"],
    Relation.PARTNER: ["ukr", "ukr-officer"],
    Relation.SECRETARIAT: ["sec", "sec-staff"],
    Relation.OTHER: ["fra"],
}
ORDER = (Relation.OWNER, Relation.PARTNER, Relation.SECRETARIAT, Relation.OTHER)


def test_every_action_has_an_answer() -> None:
    assert set(MAY) == set(Action)
    assert set(IN_RELATION) == set(Relation) == set(ORDER)


@pytest.mark.parametrize("action", list(Action))
def test_allowed_for_acting_users(action: Action) -> None:
    for relation, answer in zip(ORDER, MAY[action], strict=True):
        for who in IN_RELATION[relation]:
            actor = ACTORS[who]
            assert permissions.relation(actor, DEU, UKR) == relation
            assert policy.allowed(actor, action, DEU, UKR) is answer, (who, action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize(
    "who", ["ukr-viewer", "deu-viewer", "deu-read-token", "sec-admin", "public"]
)
def test_readers_may_do_nothing(action: Action, who: str) -> None:
    """Viewers only read; nor does a token scoped `read`, the secretariat's admin or the
    public change anything — not even on records of their own."""
    actor = ACTORS[who]
    for owner, partner in ((DEU, UKR), (UKR, UKR), (actor.delegation_id, None), (None, None)):
        assert policy.allowed(actor, action, owner, partner) is False, (who, owner, partner)


@pytest.mark.parametrize("action", list(Action))
def test_the_platform_itself_may_do_anything(action: Action) -> None:
    assert policy.allowed(SYSTEM, action, DEU, UKR) is True
    assert policy.allowed(SYSTEM, action, None, None) is True


def test_a_member_may_not_accept_its_own_offer() -> None:
    """The issue's example: a member answering its own offer is refused."""
    assert policy.allowed(ACTORS["deu"], Action.ANSWER_OFFER, DEU, UKR) is False
    with pytest.raises(Forbidden):
        policy.require(ACTORS["deu"], Action.ANSWER_OFFER, owner_id=DEU, partner_id=UKR)


# ---- refusals say who may --------------------------------------------------------------------

# (actor, action, owner, partner, record) → the refusal's message, or None if allowed.
REQUIRE: list[tuple[str, Action, int | None, int | None, str, str | None]] = [
    ("ukr", Action.ANSWER_OFFER, DEU, UKR, "offer 7", None),
    ("deu", Action.MANAGE_OFFER, DEU, UKR, "offer 7", None),  # its own offer
    ("ukr", Action.FILE_REQUEST, UKR, None, "for UKR", None),  # its own request
    ("sec", Action.CLOSE_REQUEST, UKR, None, "request 3", None),
    ("sec", Action.CORRECT_LEDGER, None, None, "", None),
    (
        "deu",
        Action.ANSWER_OFFER,
        DEU,
        UKR,
        "offer 7",
        "DEU may not accept or decline an offer (offer 7): only the partner concerned may",
    ),
    (
        "fra",
        Action.CLOSE_REQUEST,
        UKR,
        None,
        "request 3",
        "FRA may not close a request (request 3): "
        "only the delegation the record belongs to or the secretariat may",
    ),
    (
        "ukr",
        Action.MANAGE_OFFER,
        DEU,
        UKR,
        "offer 7",
        "UKR may not withdraw, commit or cancel an offer (offer 7): "
        "only the delegation the record belongs to may",
    ),
    (
        "deu",
        Action.CORRECT_LEDGER,
        DEU,
        UKR,
        "",
        "DEU may not correct the ledger: only the secretariat may",
    ),
    (
        "deu-viewer",
        Action.MAKE_OFFER,
        DEU,
        None,
        "for DEU",
        "DEU may not make an offer (for DEU): deu-viewer has read-only access",
    ),
    (
        "public",
        Action.FILE_REQUEST,
        UKR,
        None,
        "",
        "public may not file a request: public has read-only access",
    ),
]


@pytest.mark.parametrize(("who", "action", "owner", "partner", "record", "message"), REQUIRE)
def test_require(
    who: str,
    action: Action,
    owner: int | None,
    partner: int | None,
    record: str,
    message: str | None,
) -> None:
    actor = ACTORS[who]
    if message is None:
        # Allowed: require() returns without raising.
        policy.require(actor, action, owner_id=owner, partner_id=partner, record=record)
        return
    with pytest.raises(Forbidden) as refused:
        policy.require(actor, action, owner_id=owner, partner_id=partner, record=record)
    assert refused.value.detail == message
    assert refused.value.status == 403


def test_require_defaults_to_no_record() -> None:
    with pytest.raises(Forbidden) as refused:
        policy.require(ACTORS["fra"], Action.EDIT_CATALOGUE)
    assert refused.value.detail == "FRA may not edit the catalogue: only the secretariat may"
    policy.require(ACTORS["sec"], Action.EDIT_CATALOGUE)  # allowed: does not raise


# ---- what the pages ask the policy ----------------------------------------------------------

# README: "The partner files … its requests"; viewers, read-only tokens, members, the
# secretariat and the public file none (the system may, acting outside the rules, but it is
# no partner delegation).
MAY_FILE: dict[str, bool] = {
    "ukr": True,
    "ukr-officer": True,
    "ukr-viewer": False,
    "deu": False,
    "deu-read-token": False,
    "fra": False,
    "sec": False,
    "sec-admin": False,
    "public": False,
    "system": False,
}


@pytest.mark.parametrize(("who", "answer"), MAY_FILE.items())
def test_may_file_request(who: str, answer: bool) -> None:
    assert policy.may_file_request(ACTORS[who]) is answer


# (actor, request to all members?, named addressees) → addressed?
ADDRESSED: list[tuple[str, bool, list[str], bool]] = [
    ("deu", True, [], True),  # to all members
    ("deu", False, ["DEU"], True),  # to DEU by name
    ("deu", False, ["FRA"], False),  # to others by name
    ("fra", False, ["FRA", "DEU"], True),
    ("ukr", True, [], False),  # the partner is never an addressee
    ("ukr", False, ["UKR"], False),
    ("sec", True, [], False),
    ("public", True, [], False),
]


@pytest.mark.parametrize(("who", "to_all", "named", "answer"), ADDRESSED)
def test_is_addressee(who: str, to_all: bool, named: list[str], answer: bool) -> None:
    assert policy.is_addressee(ACTORS[who], to_all, named) is answer


# README: "a member … answers requests addressed to it" — while the request is active, and
# only with a role and a credential that may write.
ANSWER: list[tuple[str, bool, bool, list[str], bool]] = [
    ("deu", True, True, [], True),
    ("deu-officer", True, False, ["DEU"], True),
    ("deu", False, True, [], False),  # withdrawn or closed
    ("deu", True, False, ["FRA"], False),  # not addressed
    ("deu-viewer", True, True, [], False),
    ("deu-read-token", True, True, [], False),
    ("ukr", True, True, [], False),
    ("sec", True, True, [], False),
    ("public", True, True, [], False),
]


@pytest.mark.parametrize(("who", "active", "to_all", "named", "answer"), ANSWER)
def test_may_answer_request(
    who: str, active: bool, to_all: bool, named: list[str], answer: bool
) -> None:
    assert policy.may_answer_request(ACTORS[who], active, to_all, named) is answer


# (actor, offer state) → the buttons of DEU's offer to UKR. README: the partner accepts or
# declines (while offered) and confirms or rejects deliveries; the member withdraws (before
# commitment), commits (once accepted), records deliveries and cancels (once committed), and
# widens who sees it; the secretariat corrects the ledger, which is no button here.
OFFER_ACTIONS: list[tuple[str, str, set[str]]] = [
    ("ukr", "offered", {"accept", "decline", "settle"}),
    ("ukr", "accepted", {"settle"}),
    ("ukr", "committed", {"settle"}),
    ("ukr-viewer", "offered", set()),
    ("deu", "offered", {"withdraw", "widen"}),
    ("deu", "accepted", {"withdraw", "commit", "widen"}),
    ("deu", "committed", {"record_delivery", "cancel", "widen"}),
    ("deu", "delivered", {"widen"}),
    ("deu", "declined", {"widen"}),
    ("deu", "withdrawn", {"widen"}),
    ("deu", "cancelled", {"widen"}),
    ("deu-viewer", "committed", set()),
    ("deu-read-token", "accepted", set()),
    ("fra", "offered", set()),
    ("sec", "committed", set()),
    ("public", "offered", set()),
]


@pytest.mark.parametrize(("who", "state", "answer"), OFFER_ACTIONS)
def test_offer_actions(who: str, state: str, answer: set[str]) -> None:
    assert policy.offer_actions(ACTORS[who], OfferState(state), DEU, UKR) == answer


def test_a_refusal_names_who_may_in_the_language_of_the_exchange() -> None:
    """The list of who may is joined with the language's own word for "or" (the catalogue's
    French), not English's."""
    with using_locale("fr"), pytest.raises(Forbidden) as refused:
        policy.require(
            ACTORS["fra"], Action.CLOSE_REQUEST, owner_id=UKR, partner_id=None, record="request 3"
        )
    assert refused.value.detail.endswith(
        "seul(e) la délégation à laquelle appartient l'enregistrement ou le secrétariat le peut"
    )
