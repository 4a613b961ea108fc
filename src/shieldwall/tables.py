"""Every feature's tables, loaded so that the metadata is complete (for Alembic)."""

from __future__ import annotations

from shieldwall.access import tables as access_tables
from shieldwall.assistance import tables as assistance_tables
from shieldwall.audit import tables as audit_tables
from shieldwall.council import tables as council_tables
from shieldwall.delegations import tables as delegation_tables
from shieldwall.envelope import tables as envelope_tables
from shieldwall.guarantees import tables as guarantees_tables
from shieldwall.kit import idempotency
from shieldwall.matching import tables as matching_tables
from shieldwall.notifications import tables as notification_tables
from shieldwall.obligations import tables as obligations_tables

MODULES = (
    idempotency,
    delegation_tables,
    access_tables,
    audit_tables,
    notification_tables,
    assistance_tables,
    council_tables,
    guarantees_tables,
    envelope_tables,
    obligations_tables,
    matching_tables,
)
