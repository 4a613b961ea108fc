"""a catalogue item may have no reference unit value: Kiel's weapons are valued per donor and
category, never per weapon, so the items read from Kiel carry no price (and no price date);
an offer or request of such an item states its value

Revision ID: 0010_item_without_price
Revises: 0009_imports
Create Date: 2026-11-30 10:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010_item_without_price'
down_revision = '0009_imports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('capability_item', schema=None) as batch_op:
        batch_op.alter_column(
            'reference_unit_value_cents', existing_type=sa.BigInteger(), nullable=True
        )
        batch_op.alter_column('price_date', existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    # An item without a price has none to go back to: it is refused rather than invented.
    with op.batch_alter_table('capability_item', schema=None) as batch_op:
        batch_op.alter_column('price_date', existing_type=sa.Date(), nullable=False)
        batch_op.alter_column(
            'reference_unit_value_cents', existing_type=sa.BigInteger(), nullable=False
        )
