"""Which triggers and due items a reader may see, as SQL conditions inside every query (DESIGN
rule 4). A trigger is the partner's record (it concerns the partner, whoever declared it), at
its own level; a due item is seen through its instrument (``guarantees.visibility``): who may
see an instrument may see its clocks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select

from shieldwall.access.ladder import readable
from shieldwall.access.model import Actor
from shieldwall.guarantees.visibility import readable_instrument_ids
from shieldwall.obligations.tables import DueItem, TriggerEvent


def readable_triggers(reader: Actor) -> ColumnElement[bool]:
    return readable(
        reader,
        level=TriggerEvent.releasability,
        owner=TriggerEvent.partner_id,
        partner=TriggerEvent.partner_id,
    )


def readable_due_items(reader: Actor) -> ColumnElement[bool]:
    found: ColumnElement[bool] = DueItem.instrument_id.in_(readable_instrument_ids(reader))
    return found


def readable_trigger_ids(reader: Actor) -> Any:
    return select(TriggerEvent.id).where(readable_triggers(reader))
