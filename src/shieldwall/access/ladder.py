"""The releasability ladder as SQL, for any feature's records (DESIGN rule 4).

A feature describes its records by four things — the column holding their level, the column
of the delegation that owns them, the column of the partner concerned, and a condition that
is true when the reader is among the record's addressees — and gets back the condition "this
reader may see this row", to put inside its query. Mirrors ``model.may_see``; the tests hold
both to the same hand-written answers. This module knows no feature's tables.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, true

from shieldwall.access.model import Actor, Releasability
from shieldwall.delegations.model import DelegationKind


def at_least(column: Any, level: Releasability) -> ColumnElement[bool]:
    """The record's level is ``level`` or wider."""
    result: ColumnElement[bool] = column.in_(
        [lvl.value for lvl in Releasability if lvl.rank >= level.rank]
    )
    return result


def may_be_addressed(reader: Actor) -> bool:
    """Only member delegations are ever addressees of a record."""
    return reader.delegation_id is not None and reader.delegation_kind == DelegationKind.MEMBER


def readable(
    reader: Actor,
    *,
    level: Any,
    owner: Any,
    partner: Any,
    addressed: ColumnElement[bool] | None = None,
) -> ColumnElement[bool]:
    """The rows of a record type that ``reader`` may see."""
    if reader.sees_everything:
        return true()
    public: ColumnElement[bool] = level == Releasability.PUBLIC.value
    d = reader.delegation_id
    if d is None:
        return public
    clauses = [
        public,
        owner == d,
        and_(partner == d, at_least(level, Releasability.PARTNER)),
        and_(
            addressed if addressed is not None and may_be_addressed(reader) else false(),
            at_least(level, Releasability.ADDRESSEES),
        ),
    ]
    if reader.delegation_kind != DelegationKind.CONTRIBUTOR:  # a contributor sits outside it
        clauses.append(at_least(level, Releasability.COUNCIL))
    if reader.delegation_kind == DelegationKind.MEMBER:
        clauses.append(at_least(level, Releasability.MEMBERS))
    return or_(*clauses)
