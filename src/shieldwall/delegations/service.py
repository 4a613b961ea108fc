"""Seating delegations, and the one lookup of a delegation by its code."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from shieldwall.delegations.model import DelegationKind, valid_code
from shieldwall.delegations.tables import Delegation
from shieldwall.kit.errors import InvalidInput
from shieldwall.kit.i18n import gettext as _
from shieldwall.kit.uow import Author, UnitOfWork


def delegation_by_code(session: Session, code: str, field: str) -> Delegation:
    """The delegation with ``code``; an error naming ``field`` if there is none."""
    found = session.scalar(select(Delegation).where(Delegation.code == code.strip().upper()))
    if found is None:
        raise InvalidInput(field, _("no delegation with code {code!r}").format(code=code))
    return found


def the_partners(session: Session) -> list[Delegation]:
    return list(
        session.scalars(
            select(Delegation)
            .where(Delegation.kind == DelegationKind.PARTNER)
            .order_by(Delegation.code)
        )
    )


class DelegationService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def seat_delegation(
        self,
        author: Author,
        *,
        code: str,
        name: str,
        kind: str,
        joined_on: dt.date | None = None,
    ) -> int:
        code = code.strip().upper()
        if not valid_code(code):
            raise InvalidInput(
                "code", _("use an ISO 3166 alpha-3 code (or SEC for the secretariat)")
            )
        try:
            kind_v = DelegationKind(kind)
        except ValueError:
            raise InvalidInput(
                "kind",
                _("use one of {choices}").format(
                    choices=", ".join(k.value for k in DelegationKind)
                ),
            ) from None
        s = self.uow.session
        if s.scalar(select(Delegation.id).where(Delegation.code == code)):
            raise InvalidInput("code", _("delegation {code} is already seated").format(code=code))
        delegation = Delegation(code=code, name=name, kind=kind_v.value, joined_on=joined_on)
        s.add(delegation)
        s.flush()
        self.uow.audit(
            author,
            self.uow.clock.now(),
            "delegation.seat",
            "delegation",
            delegation.id,
            None,
            {
                "code": code,
                "name": name,
                "kind": kind_v.value,
                "joined_on": joined_on.isoformat() if joined_on else None,
            },
        )
        return delegation.id
