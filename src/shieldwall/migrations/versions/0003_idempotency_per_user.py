"""idempotency keys per user: a key belongs to the user who sent it and to its operation

Existing keys are given to the user the audit log names as the author of what each created
(the request filed, the offer made, the delivery recorded, the correction entered). A key
whose author cannot be found keeps an empty owner, which no user has: it is never replayed.

Revision ID: 0003_idem
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0003_idem"
down_revision = "0002"
branch_labels = None
depends_on = None

# operation → the audit record of what a key of it created
AUTHORS = {
    "request": "a.action = 'request.file' AND a.record_type = 'request' "
    "AND a.record_id = CAST(idempotency_record.resource_id AS TEXT)",
    "offer": "a.action = 'offer.make' AND a.record_type = 'offer' "
    "AND a.record_id = CAST(idempotency_record.resource_id AS TEXT)",
    "delivery": "a.action = 'delivery.record' AND a.record_type = 'delivery' "
    "AND a.record_id = CAST(idempotency_record.resource_id AS TEXT)",
    # A correction's key names the ledger entry; its audit record names it in "after".
    "correction": "a.action = 'ledger.correct' AND a.after_state LIKE "
    "'%\"entry\":' || CAST(idempotency_record.resource_id AS TEXT) || ',%'",
}


def upgrade() -> None:
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("owner", sa.String(length=120), nullable=False, server_default="")
        )
    for scope, author in AUTHORS.items():
        op.execute(
            "UPDATE idempotency_record SET owner = COALESCE(("
            f"SELECT a.actor FROM audit_record a WHERE {author} ORDER BY a.id LIMIT 1"
            f"), '') WHERE scope = '{scope}'"
        )
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.alter_column("owner", server_default=None)
        batch_op.drop_constraint("uq_idempotency_record_scope", type_="unique")
        batch_op.create_unique_constraint(
            "uq_idempotency_record_owner", ["owner", "scope", "key"]
        )


def downgrade() -> None:
    # Keys were global: of the keys different users sent alike, the first one stays.
    op.execute(
        "DELETE FROM idempotency_record WHERE id NOT IN "
        "(SELECT MIN(id) FROM idempotency_record GROUP BY scope, key)"
    )
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_constraint("uq_idempotency_record_owner", type_="unique")
        batch_op.create_unique_constraint("uq_idempotency_record_scope", ["scope", "key"])
        batch_op.drop_column("owner")
