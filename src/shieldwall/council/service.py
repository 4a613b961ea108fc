"""Council use cases: seating delegations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from shieldwall.access.model import Actor
from shieldwall.audit.service import audit
from shieldwall.clock import Clock
from shieldwall.council.model import DelegationKind
from shieldwall.council.tables import Delegation
from shieldwall.db import transaction
from shieldwall.errors import InvalidInput


class CouncilService:
    def __init__(self, factory: sessionmaker[Session], clock: Clock) -> None:
        self.factory = factory
        self.clock = clock

    def seat_delegation(
        self,
        actor: Actor,
        *,
        code: str,
        name: str,
        kind: str,
        joined_on: dt.date | None = None,
    ) -> int:
        code = code.strip().upper()
        if not code.isalpha() or not 2 <= len(code) <= 8:
            raise InvalidInput("code", "use an ISO 3166 alpha-3 code (or SEC for the secretariat)")
        kind_v = DelegationKind(kind)
        with transaction(self.factory) as s:
            if s.scalar(select(Delegation.id).where(Delegation.code == code)):
                raise InvalidInput("code", f"delegation {code} is already seated")
            delegation = Delegation(code=code, name=name, kind=kind_v.value, joined_on=joined_on)
            s.add(delegation)
            s.flush()
            audit(
                s,
                actor,
                self.clock.now(),
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
