"""council: meetings, agendas, attendance, proposals, positions, outcomes

Revision ID: 0005_council
Revises: 0003_ids
Create Date: 2026-11-30 02:00:52.797925
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005_council'
down_revision = '0003_ids'
branch_labels = None
depends_on = None

MAX_ID = 2**62


def _cap_sequences() -> None:
    # Ids stop at 2^62, as the API addresses them (0004 did this for the earlier tables).
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("meeting", "agenda_item", "proposal", "position", "outcome"):
        op.execute(f"ALTER SEQUENCE {table}_id_seq AS bigint MAXVALUE {MAX_ID}")


def upgrade() -> None:
    op.create_table('meeting',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=40), nullable=False),
    sa.Column('crisis', sa.Boolean(), nullable=False),
    sa.Column('convened_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('convened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('hold_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('chair', sa.String(length=200), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('minutes', sa.Text(), nullable=True),
    sa.Column('minutes_illustrative', sa.Boolean(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('flagged_late_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sources', sa.Text(), nullable=False),
    sa.Column('illustrative', sa.Boolean(), nullable=False),
    sa.Column('releasability', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['convened_by_id'], ['delegation.id'], name=op.f('fk_meeting_convened_by_id_delegation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting'))
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_convened_by_id'), ['convened_by_id'], unique=False)
        batch_op.create_index('ix_meeting_state_hold_by', ['state', 'hold_by'], unique=False)

    op.create_table('proposal',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('tabled_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tabled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('silence_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state_reason', sa.Text(), nullable=True),
    sa.Column('illustrative', sa.Boolean(), nullable=False),
    sa.Column('releasability', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['tabled_by_id'], ['delegation.id'], name=op.f('fk_proposal_tabled_by_id_delegation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal'))
    )
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.create_index('ix_proposal_state_deadline', ['state', 'silence_deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_tabled_by_id'), ['tabled_by_id'], unique=False)

    op.create_table('attendance',
    sa.Column('meeting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('delegation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('represented_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['delegation_id'], ['delegation.id'], name=op.f('fk_attendance_delegation_id_delegation')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_attendance_meeting_id_meeting')),
    sa.PrimaryKeyConstraint('meeting_id', 'delegation_id', name=op.f('pk_attendance'))
    )
    op.create_table('outcome',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('proposal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('adopted_text', sa.Text(), nullable=False),
    sa.Column('procedure', sa.String(length=16), nullable=False),
    sa.Column('meeting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('review_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_outcome_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_outcome_proposal_id_proposal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_outcome_proposal_id'))
    )
    op.create_table('position',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('proposal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('delegation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('stance', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('stated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stated_by', sa.String(length=80), nullable=False),
    sa.Column('under_silence', sa.Boolean(), nullable=False),
    sa.Column('illustrative', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['delegation_id'], ['delegation.id'], name=op.f('fk_position_delegation_id_delegation')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_position_proposal_id_proposal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_position'))
    )
    with op.batch_alter_table('position', schema=None) as batch_op:
        batch_op.create_index('ix_position_proposal_delegation', ['proposal_id', 'delegation_id'], unique=False)

    op.create_table('agenda_item',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('meeting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('proposal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('outcome_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_agenda_item_meeting_id_meeting')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_agenda_item_proposal_id_proposal')),
    sa.ForeignKeyConstraint(['request_id'], ['assistance_request.id'], name=op.f('fk_agenda_item_request_id_assistance_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_item')),
    sa.UniqueConstraint('meeting_id', 'position', name=op.f('uq_agenda_item_meeting_id'))
    )
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_item_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_item_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_item_request_id'), ['request_id'], unique=False)
    _cap_sequences()


def downgrade() -> None:
    with op.batch_alter_table('agenda_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_item_request_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_item_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_item_meeting_id'))

    op.drop_table('agenda_item')
    with op.batch_alter_table('position', schema=None) as batch_op:
        batch_op.drop_index('ix_position_proposal_delegation')

    op.drop_table('position')
    op.drop_table('outcome')
    op.drop_table('attendance')
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_tabled_by_id'))
        batch_op.drop_index('ix_proposal_state_deadline')

    op.drop_table('proposal')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index('ix_meeting_state_hold_by')
        batch_op.drop_index(batch_op.f('ix_meeting_convened_by_id'))

    op.drop_table('meeting')
