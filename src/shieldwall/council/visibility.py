"""Which meetings and proposals a reader may see, as SQL conditions inside every query (DESIGN
rule 4). Agenda items and attendance inherit their meeting's releasability; positions and
outcomes their proposal's. The convener of a meeting and the delegation that tabled a proposal
own them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select

from shieldwall.access.ladder import readable
from shieldwall.access.model import Actor
from shieldwall.council.tables import Meeting, Proposal


def readable_meetings(reader: Actor) -> ColumnElement[bool]:
    return readable(
        reader,
        level=Meeting.releasability,
        owner=Meeting.convened_by_id,
        partner=Meeting.convened_by_id,
    )


def readable_proposals(reader: Actor) -> ColumnElement[bool]:
    return readable(
        reader,
        level=Proposal.releasability,
        owner=Proposal.tabled_by_id,
        partner=Proposal.tabled_by_id,
    )


def readable_meeting_ids(reader: Actor) -> Any:
    return select(Meeting.id).where(readable_meetings(reader))


def readable_proposal_ids(reader: Actor) -> Any:
    return select(Proposal.id).where(readable_proposals(reader))
