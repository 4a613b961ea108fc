"""availability withdrawn: a member (or the secretariat) withdraws a line, with a reason; and
a line invented for the demo is marked illustrative, as every invented demo record is

Revision ID: 0013_availability_withdrawn
Revises: 0012_rollups
Create Date: 2026-11-30 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0013_availability_withdrawn'
down_revision = '0012_rollups'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('availability', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_reason', sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column('illustrative', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table('availability', schema=None) as batch_op:
        batch_op.drop_column('illustrative')
        batch_op.drop_column('withdrawn_reason')
        batch_op.drop_column('withdrawn_at')
