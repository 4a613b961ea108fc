"""Which envelope records a reader may see, as SQL conditions inside every query (DESIGN
rule 4).

Capability packages describe what a capability needs: they carry no releasability and every
signed-in user reads them. A planned delivery inherits the releasability of its offer, as the
offer's deliveries and ledger entries do; and readiness computed for a reader counts only the
ledger entries and tranches of the offers that reader may see.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select

from shieldwall.access.model import Actor
from shieldwall.assistance.visibility import readable_offer_ids
from shieldwall.envelope.tables import PlannedDelivery


def readable_tranches(reader: Actor) -> ColumnElement[bool]:
    return PlannedDelivery.offer_id.in_(readable_offer_ids(reader))


def readable_tranche_ids(reader: Actor) -> Any:
    return select(PlannedDelivery.id).where(readable_tranches(reader))
