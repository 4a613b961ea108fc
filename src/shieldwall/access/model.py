"""Who is acting and who may see what (no I/O).

Releasability is a ladder: each level adds readers to the one below it.

    own         the record's delegation and the secretariat
    partner     … plus the partner concerned
    addressees  … plus the members a request is addressed to
    members     … plus every member delegation
    council     … plus every delegation of the council
    public      … plus anyone, signed in or not

A contributor (the EU, Japan: outside the alliance, supporting the partner) does not sit in
the council: it sees its own records and public ones, nothing at ``members`` or ``council``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shieldwall.delegations.model import DelegationKind
from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.i18n import gettext as _


class Role(StrEnum):
    HEAD_OF_DELEGATION = "head_of_delegation"
    OFFICER = "officer"
    VIEWER = "viewer"
    CHAIR = "chair"
    STAFF = "staff"
    ADMIN = "admin"


STATE_ROLES = frozenset({Role.HEAD_OF_DELEGATION, Role.OFFICER, Role.VIEWER})
SECRETARIAT_ROLES = frozenset({Role.CHAIR, Role.STAFF, Role.ADMIN})


def roles_of(kind: DelegationKind) -> frozenset[Role]:
    """The roles a user of a delegation of ``kind`` may hold."""
    return SECRETARIAT_ROLES if kind == DelegationKind.SECRETARIAT else STATE_ROLES


# Roles that may change things for their delegation; viewers only read.
ACTING_ROLES = frozenset({Role.HEAD_OF_DELEGATION, Role.OFFICER, Role.CHAIR, Role.STAFF})


class Releasability(StrEnum):
    OWN = "own"
    PARTNER = "partner"
    ADDRESSEES = "addressees"
    MEMBERS = "members"
    COUNCIL = "council"
    PUBLIC = "public"

    @property
    def rank(self) -> int:
        return RELEASABILITY_ORDER.index(self)


RELEASABILITY_ORDER: tuple[Releasability, ...] = tuple(Releasability)


def widened(field: str, current: Releasability, asked: str | None) -> Releasability:
    """A record may be released more widely than it is, never more narrowly: what was
    released stays released."""
    if asked is None:
        return current
    try:
        level = Releasability(asked)
    except ValueError:
        raise InvalidInput(
            field,
            _("use one of {choices}").format(choices=", ".join(r.value for r in Releasability)),
        ) from None
    if level.rank < current.rank:
        raise InvalidInput(
            field,
            _("may only widen the default ({level}), not narrow it").format(level=current.value),
        )
    return level


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"


ALL_SCOPES = frozenset(Scope)


def coherent_scopes(field: str, scopes: frozenset[Scope]) -> frozenset[Scope]:
    """A token reads, or reads and writes: every route reads before it writes (it must find
    the record it acts on), so a write-only token could do nothing and is refused."""
    if Scope.WRITE in scopes and Scope.READ not in scopes:
        raise InvalidInput(field, _("write needs read: ask for read, or for read and write"))
    return scopes


def may_manage_tokens(scopes: frozenset[Scope]) -> bool:
    """Making or revoking a token changes who holds access: it needs the write scope, so a
    read-only token cannot mint itself a longer-lived or wider successor."""
    return Scope.WRITE in scopes


@dataclass(frozen=True)
class Actor:
    """The person or process behind a read or a change, and the delegation it acts for.

    A signed-in user has a delegation (member, partner or secretariat) and a role. ``system``
    actors are processes of the platform itself (the demo builder, setup scripts): they act
    outside the permission rules and are named as such in the audit log. The public has
    neither delegation nor role.
    """

    name: str
    delegation: str | None = None
    delegation_id: int | None = None
    delegation_kind: DelegationKind | None = None
    role: Role | None = None
    user_id: int | None = None
    scopes: frozenset[Scope] = ALL_SCOPES
    system: bool = False

    @property
    def is_secretariat(self) -> bool:
        return self.delegation_kind == DelegationKind.SECRETARIAT

    @property
    def sees_everything(self) -> bool:
        return self.system or self.is_secretariat

    @property
    def may_write(self) -> bool:
        return self.system or (self.role in ACTING_ROLES and Scope.WRITE in self.scopes)


SYSTEM = Actor("system", system=True)
PUBLIC = Actor("public", scopes=frozenset({Scope.READ}))


def may_see(
    reader: Actor,
    level: Releasability,
    owner_id: int,
    partner_id: int,
    addressee_ids: frozenset[int] = frozenset(),
) -> bool:
    """The rule that the queries express in SQL; kept here so that it can be read and tested."""
    if level == Releasability.PUBLIC or reader.sees_everything:
        return True
    if reader.delegation_id is None:
        return False
    if reader.delegation_id == owner_id:
        return True
    if reader.delegation_id == partner_id:
        return level.rank >= Releasability.PARTNER.rank
    if reader.delegation_id in addressee_ids:
        return level.rank >= Releasability.ADDRESSEES.rank
    if reader.delegation_kind == DelegationKind.MEMBER:
        return level.rank >= Releasability.MEMBERS.rank
    if reader.delegation_kind == DelegationKind.CONTRIBUTOR:
        return False  # outside the council: its own records and public ones only
    return level.rank >= Releasability.COUNCIL.rank


class Audience(StrEnum):
    """Who may call a route at all, before any record-level rule."""

    PUBLIC = "public"  # anyone, signed in or not
    SIGNED_IN = "signed in"  # any signed-in user; 401 otherwise
    SECRETARIAT = "secretariat"  # signed-in secretariat users; 403 for others
    PAGE = "page"  # a browser session; otherwise a redirect to the sign-in page
    PAGE_SECRETARIAT = "secretariat page"


@dataclass(frozen=True)
class RouteRule:
    """One row of a feature's declared route policy.

    ``record`` names the record a route reads or acts on (``offer``, ``request``,
    ``delivery``): the reader must be able to see it (404 otherwise, existence undisclosed).
    ``action`` names the permission a change needs (403 otherwise); its allowed relations are
    declared beside the action in the feature's policy.
    """

    audience: Audience
    record: str | None = None
    action: str | None = None
