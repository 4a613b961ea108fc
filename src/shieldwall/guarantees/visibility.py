"""Which instruments (and through them amounts, obligations and links) a reader may see, as
SQL conditions on the releasability ladder, inside every query (DESIGN rule 4)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select

from shieldwall.access.ladder import readable
from shieldwall.access.model import Actor
from shieldwall.guarantees.tables import Instrument, PathwayStep


def readable_instruments(reader: Actor) -> ColumnElement[bool]:
    """An instrument is its member's record, concerning the partner; it names no addressees."""
    return readable(
        reader,
        level=Instrument.releasability,
        owner=Instrument.member_id,
        partner=Instrument.partner_id,
    )


def readable_instrument_ids(reader: Actor) -> Any:
    return select(Instrument.id).where(readable_instruments(reader))


def readable_pathway(reader: Actor) -> ColumnElement[bool]:
    return readable(
        reader,
        level=PathwayStep.releasability,
        owner=PathwayStep.partner_id,
        partner=PathwayStep.partner_id,
    )
