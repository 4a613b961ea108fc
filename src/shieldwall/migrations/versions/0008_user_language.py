"""users' language and time zone: the pages, messages and e-mails of a user are written in the
language it chose (else its browser's), and times are shown in the time zone it chose (else UTC)

Revision ID: 0008_user_language
Revises: 0007_guarantees
Create Date: 2026-11-30 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008_user_language'
down_revision = '0007_guarantees'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
        batch_op.drop_column('locale')
