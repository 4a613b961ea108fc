"""64-bit ids: every primary and foreign key id column becomes BIGINT on PostgreSQL

The API documents ids up to 2^62; 32-bit columns stopped at 2^31 − 1 and answered 500 above
it. Each id sequence becomes a bigint sequence that stops at 2^62, so the database never hands
out an id the API cannot address. SQLite's INTEGER PRIMARY KEY is already 64-bit: nothing to
do there.

Revision ID: 0003_ids (applied after 0003_idem)
Revises: 0003_idem
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0003_ids"
down_revision = "0003_idem"
branch_labels = None
depends_on = None

MAX_ID = 2**62

# table → its 32-bit id columns (ledger_entry.id and corrects_entry_id were BIGINT already).
ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "delegation": ("id",),
    "capability_area": ("id",),
    "capability_item": ("id", "area_id"),
    "assistance_request": ("id", "partner_id", "area_id", "item_id"),
    "request_addressee": ("request_id", "delegation_id"),
    "offer": ("id", "member_id", "partner_id", "request_id", "area_id", "item_id"),
    "delivery": ("id", "offer_id"),
    "ledger_entry": (
        "offer_id",
        "delivery_id",
        "request_id",
        "member_id",
        "partner_id",
        "area_id",
        "item_id",
    ),
    "audit_record": ("id",),
    "idempotency_record": ("id", "resource_id"),
    "user_account": ("id", "delegation_id"),
    "web_session": ("id", "user_id"),
    "api_token": ("id", "user_id"),
    "login_failure": ("id",),
}
# Tables whose 32-bit id came from a sequence (request_addressee has a composite key).
SEQUENCED = [t for t, columns in ID_COLUMNS.items() if "id" in columns]


def _alter(column_type: str, sequence_clause: str, sequenced: list[str]) -> None:
    for table, columns in ID_COLUMNS.items():
        changes = ", ".join(f"ALTER COLUMN {c} TYPE {column_type}" for c in columns)
        op.execute(f"ALTER TABLE {table} {changes}")
    bind = op.get_bind()
    for table in sequenced:
        sequence = bind.execute(
            sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}
        ).scalar()
        if sequence is not None:
            op.execute(f"ALTER SEQUENCE {sequence} {sequence_clause}")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _alter("BIGINT", f"AS bigint MAXVALUE {MAX_ID}", [*SEQUENCED, "ledger_entry"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # ledger_entry.id stays BIGINT, as 0001 made it; the others go back to 32 bits.
    _alter("INTEGER", "AS integer NO MAXVALUE", SEQUENCED)
    op.execute("ALTER SEQUENCE ledger_entry_id_seq NO MAXVALUE")
