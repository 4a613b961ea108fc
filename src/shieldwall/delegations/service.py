"""Seating delegations, and the one lookup of a delegation by its code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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


def set_gdp(delegation: Delegation, gdp_eur_bn: str | None, source: str | None) -> bool:
    """Record a delegation's GDP (EUR billion, as its source wrote it; None or 0: none known)
    and its source; True if that changed anything. The caller audits the change."""
    if gdp_eur_bn is not None and Decimal(gdp_eur_bn) == 0:
        gdp_eur_bn = None
    wanted = (gdp_eur_bn, source if gdp_eur_bn is not None else None)
    if (delegation.gdp_eur_bn, delegation.gdp_source) == wanted:
        return False
    delegation.gdp_eur_bn, delegation.gdp_source = wanted
    return True


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

    def record_gdp(
        self, author: Author, code: str, gdp_eur_bn: str | None, source: str | None
    ) -> None:
        """A delegation's GDP, for burden-sharing's % of GDP (audited if it changed)."""
        delegation = delegation_by_code(self.uow.session, code, "code")
        before = {"gdp_eur_bn": delegation.gdp_eur_bn, "gdp_source": delegation.gdp_source}
        if set_gdp(delegation, gdp_eur_bn, source):
            self.uow.audit(
                author,
                self.uow.clock.now(),
                "delegation.gdp",
                "delegation",
                delegation.id,
                before,
                {"gdp_eur_bn": delegation.gdp_eur_bn, "gdp_source": delegation.gdp_source},
            )
