"""Which clearing-house records a reader may see, as SQL conditions inside every query (DESIGN
rule 4).

Availability lines are on the releasability ladder with no partner and no addressees: by
default (``own``) only their member and the secretariat see them. A proposal shows a member's
availability, so it is seen by the secretariat, and by its member once sent. Runs and uncovered
needs compare members with each other: the secretariat's (``policy``, Audience.SECRETARIAT).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, null, true

from shieldwall.access.ladder import readable
from shieldwall.access.model import Actor
from shieldwall.matching.model import ProposalState
from shieldwall.matching.tables import Availability, MatchProposal


def readable_availability(reader: Actor) -> ColumnElement[bool]:
    return readable(
        reader, level=Availability.releasability, owner=Availability.member_id, partner=null()
    )


def readable_proposals(reader: Actor) -> ColumnElement[bool]:
    if reader.sees_everything:
        return true()
    if reader.delegation_id is None:
        return false()
    return (MatchProposal.member_id == reader.delegation_id) & (
        MatchProposal.state != ProposalState.PROPOSED.value
    )
