"""Roles, the order of the releasability ladder, widening, and what an actor may do at all
(``access.model``), with the answers written out by hand. No database: milliseconds."""

from __future__ import annotations

import pytest

from shieldwall.access.model import (
    PUBLIC,
    SYSTEM,
    Actor,
    Releasability,
    Role,
    Scope,
    coherent_scopes,
    may_manage_tokens,
    roles_of,
    widened,
)
from shieldwall.delegations.model import DelegationKind
from shieldwall.kit.errors import InvalidInput

# README: "`head_of_delegation`, `officer` and `viewer` in a state's delegation; `chair`,
# `staff` and `admin` in the secretariat."
ROLES: dict[DelegationKind, set[str]] = {
    DelegationKind.MEMBER: {"head_of_delegation", "officer", "viewer"},
    DelegationKind.PARTNER: {"head_of_delegation", "officer", "viewer"},
    DelegationKind.SECRETARIAT: {"chair", "staff", "admin"},
    DelegationKind.CONTRIBUTOR: {"head_of_delegation", "officer", "viewer"},  # a state's roles
}


@pytest.mark.parametrize("kind", list(DelegationKind))
def test_roles_of(kind: DelegationKind) -> None:
    assert {role.value for role in roles_of(kind)} == ROLES[kind]


# README: own, partner, addressees, members, council, public — "each level adding readers to
# the one before".
LADDER = ["own", "partner", "addressees", "members", "council", "public"]


def test_the_ladder_is_ordered_narrowest_first() -> None:
    assert [Releasability(value).rank for value in LADDER] == [0, 1, 2, 3, 4, 5]
    assert [level.value for level in sorted(Releasability, key=lambda r: r.rank)] == LADDER


# "the author may widen, never narrow": (current, asked) → the level, or the error's message.
WIDENED: list[tuple[str, str | None, str]] = [
    ("partner", None, "partner"),  # nothing asked: it stays
    ("addressees", None, "addressees"),
    ("partner", "partner", "partner"),  # the same level is no narrowing
    ("partner", "addressees", "addressees"),
    ("partner", "public", "public"),
    ("addressees", "members", "members"),
    ("own", "council", "council"),
    ("public", "public", "public"),
    ("partner", "own", "may only widen the default (partner), not narrow it"),
    ("addressees", "partner", "may only widen the default (addressees), not narrow it"),
    ("public", "council", "may only widen the default (public), not narrow it"),
    ("members", "own", "may only widen the default (members), not narrow it"),
    ("partner", "everyone", "use one of own, partner, addressees, members, council, public"),
    ("partner", "", "use one of own, partner, addressees, members, council, public"),
]


@pytest.mark.parametrize(("current", "asked", "answer"), WIDENED)
def test_widened(current: str, asked: str | None, answer: str) -> None:
    if answer in LADDER:
        assert widened("releasability", Releasability(current), asked) == Releasability(answer)
        return
    with pytest.raises(InvalidInput) as refused:
        widened("releasability", Releasability(current), asked)
    assert refused.value.detail == f"releasability: {answer}"
    assert refused.value.extra == {"errors": [{"field": "releasability", "message": answer}]}


@pytest.mark.parametrize("current", LADDER)
@pytest.mark.parametrize("asked", LADDER)
def test_widening_goes_only_up_the_ladder(current: str, asked: str) -> None:
    if LADDER.index(asked) >= LADDER.index(current):
        assert widened("level", Releasability(current), asked) == Releasability(asked)
    else:
        with pytest.raises(InvalidInput, match=r"^level: may only widen"):
            widened("level", Releasability(current), asked)


def test_widened_names_the_field_it_was_given() -> None:
    with pytest.raises(InvalidInput) as refused:
        widened("offer.releasability", Releasability.PUBLIC, "own")
    assert refused.value.extra["errors"][0]["field"] == "offer.releasability"
    with pytest.raises(InvalidInput) as unknown:
        widened("offer.releasability", Releasability.PUBLIC, "PUBLIC")
    assert unknown.value.detail.startswith("offer.releasability: use one of ")


def officer(kind: DelegationKind, role: Role, scopes: frozenset[Scope] | None = None) -> Actor:
    if scopes is None:
        return Actor("someone", delegation="XYZ", delegation_id=9, delegation_kind=kind, role=role)
    return Actor(
        "someone", delegation="XYZ", delegation_id=9, delegation_kind=kind, role=role, scopes=scopes
    )


M, P, S = DelegationKind.MEMBER, DelegationKind.PARTNER, DelegationKind.SECRETARIAT
READ_ONLY = frozenset({Scope.READ})
WRITE_ONLY = frozenset({Scope.WRITE})
# actor → (is_secretariat, sees_everything, may_write). README: "Viewers only read"; a token
# scoped `read` only reads; the secretariat sees every record; the platform's own processes
# act outside the rules. The secretariat's `admin` role manages accounts and does not act on
# requests, offers or the ledger (the code's rule; the README does not say).
ACTOR_FLAGS: list[tuple[str, Actor, tuple[bool, bool, bool]]] = [
    ("member head", officer(M, Role.HEAD_OF_DELEGATION), (False, False, True)),
    ("member officer", officer(M, Role.OFFICER), (False, False, True)),
    ("member viewer", officer(M, Role.VIEWER), (False, False, False)),
    ("member officer, read token", officer(M, Role.OFFICER, READ_ONLY), (False, False, False)),
    ("member officer, write token", officer(M, Role.OFFICER, WRITE_ONLY), (False, False, True)),
    ("partner head", officer(P, Role.HEAD_OF_DELEGATION), (False, False, True)),
    ("partner officer", officer(P, Role.OFFICER), (False, False, True)),
    ("partner viewer", officer(P, Role.VIEWER), (False, False, False)),
    ("chair", officer(S, Role.CHAIR), (True, True, True)),
    ("staff", officer(S, Role.STAFF), (True, True, True)),
    ("admin", officer(S, Role.ADMIN), (True, True, False)),
    ("chair, read token", officer(S, Role.CHAIR, READ_ONLY), (True, True, False)),
    ("system", SYSTEM, (False, True, True)),
    ("public", PUBLIC, (False, False, False)),
]


@pytest.mark.parametrize(
    ("actor", "flags"), [(a, f) for _, a, f in ACTOR_FLAGS], ids=[n for n, _, _ in ACTOR_FLAGS]
)
def test_actor_flags(actor: Actor, flags: tuple[bool, bool, bool]) -> None:
    assert (actor.is_secretariat, actor.sees_everything, actor.may_write) == flags


def test_the_public_and_the_system() -> None:
    assert PUBLIC.scopes == {Scope.READ}
    assert (PUBLIC.delegation_id, PUBLIC.role, PUBLIC.system) == (None, None, False)
    assert SYSTEM.system is True
    assert SYSTEM.scopes == {Scope.READ, Scope.WRITE}


# ---- token scopes (README, "Limits": write needs read; managing tokens needs write) ----------

SCOPE_SETS: list[tuple[frozenset[Scope], bool]] = [
    (frozenset({Scope.READ}), True),
    (frozenset({Scope.READ, Scope.WRITE}), True),
    (frozenset(), True),  # nothing asked: the caller gives the default before asking
    (frozenset({Scope.WRITE}), False),
]


@pytest.mark.parametrize(("scopes", "coherent"), SCOPE_SETS)
def test_coherent_scopes(scopes: frozenset[Scope], coherent: bool) -> None:
    if coherent:
        assert coherent_scopes("scopes", scopes) == scopes
        return
    with pytest.raises(InvalidInput) as refused:
        coherent_scopes("scopes", scopes)
    assert refused.value.extra == {
        "errors": [
            {"field": "scopes", "message": "write needs read: ask for read, or for read and write"}
        ]
    }


def test_coherent_scopes_names_the_field_it_is_given() -> None:
    with pytest.raises(InvalidInput) as refused:
        coherent_scopes("scope", frozenset({Scope.WRITE}))
    assert refused.value.extra["errors"][0]["field"] == "scope"


MANAGE: list[tuple[frozenset[Scope], bool]] = [
    (frozenset({Scope.READ, Scope.WRITE}), True),
    (frozenset({Scope.WRITE}), True),
    (frozenset({Scope.READ}), False),
    (frozenset(), False),
]


@pytest.mark.parametrize(("scopes", "answer"), MANAGE)
def test_may_manage_tokens(scopes: frozenset[Scope], answer: bool) -> None:
    assert may_manage_tokens(scopes) is answer
