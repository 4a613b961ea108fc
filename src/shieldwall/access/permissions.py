"""How a feature declares who may do what: each action names the relations to the record that
allow it (the delegation the record belongs to, the partner concerned, the secretariat). Every
actor must also hold an acting role and the write scope; viewers only read. A feature keeps its
own table of actions (its ``policy.ALLOWED``) and asks here."""

from __future__ import annotations

from enum import StrEnum

from babel.lists import format_list

from shieldwall.access.model import Actor
from shieldwall.kit.errors import Forbidden
from shieldwall.kit.i18n import N_, current_locale
from shieldwall.kit.i18n import gettext as _


class Relation(StrEnum):
    """How the actor's delegation stands to a record."""

    OWNER = "owner"  # the delegation the record belongs to (or acts for itself)
    PARTNER = "partner"  # the partner concerned
    SECRETARIAT = "secretariat"
    OTHER = "other"


WHO: dict[Relation, str] = {
    Relation.OWNER: N_("the delegation the record belongs to"),
    Relation.PARTNER: N_("the partner concerned"),
    Relation.SECRETARIAT: N_("the secretariat"),
}


def relation(actor: Actor, owner_id: int | None, partner_id: int | None) -> Relation:
    if actor.is_secretariat:
        return Relation.SECRETARIAT
    if actor.delegation_id is not None and actor.delegation_id == owner_id:
        return Relation.OWNER
    if actor.delegation_id is not None and actor.delegation_id == partner_id:
        return Relation.PARTNER
    return Relation.OTHER


def permits(
    actor: Actor, relations: frozenset[Relation], owner_id: int | None, partner_id: int | None
) -> bool:
    """``actor`` may act: a system process always; otherwise an acting role with the write
    scope, standing to the record in one of ``relations``."""
    if actor.system:
        return True
    if not actor.may_write:
        return False
    return relation(actor, owner_id, partner_id) in relations


def refusal(actor: Actor, action: str, relations: frozenset[Relation], record: str) -> Forbidden:
    """The 403 that says who may take ``action``, or that the actor only reads, in the language
    of the exchange. A feature marks its actions' words with ``N_`` (its ``policy.Action``),
    so that the rule is named in that language too; ``record`` is named by the caller."""
    who = format_list([_(WHO[r]) for r in sorted(relations)], style="or", locale=current_locale())
    if not actor.may_write:
        reason = _("{name} has read-only access").format(name=actor.name)
    else:
        reason = _("only {who} may").format(who=who)
    whom = actor.delegation or actor.name
    if record:
        return Forbidden(
            _("{who} may not {action} ({record}): {reason}").format(
                who=whom, action=_(action), record=record, reason=reason
            )
        )
    return Forbidden(
        _("{who} may not {action}: {reason}").format(who=whom, action=_(action), reason=reason)
    )
