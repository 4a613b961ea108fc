"""imports: provenance of imported ledger entries, external keys, original currencies, GDP

An ``imported_file`` row for each file an import wrote from; on each ledger entry the file and
line it came from. Requests, offers and deliveries carry the key they have in the file they were
imported from (unique: importing the same file again finds them). An offer keeps an amount first
stated in another currency (UN OCHA FTS: the original amount and currency, and US dollars). A
delegation keeps its GDP as its source wrote it. Columns are added in place (no table is
rebuilt), so the ledger's append-only triggers stay as they are.

Revision ID: 0009_imports
Revises: 0008_user_language
Create Date: 2026-11-30 11:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009_imports'
down_revision = '0008_user_language'
branch_labels = None
depends_on = None

MAX_ID = 2**62
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
KEYED = ('assistance_request', 'offer', 'delivery')


def upgrade() -> None:
    op.create_table('imported_file',
    sa.Column('id', ID, nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('release', sa.String(length=120), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.String(length=120), nullable=False),
    sa.Column('rows_read', sa.BigInteger(), nullable=False),
    sa.Column('rows_applied', sa.BigInteger(), nullable=False),
    sa.Column('rows_rejected', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imported_file')),
    )
    op.create_index(op.f('ix_imported_file_sha256'), 'imported_file', ['sha256'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"ALTER SEQUENCE imported_file_id_seq AS bigint MAXVALUE {MAX_ID}")
    # Added in place: a batch rebuild of ledger_entry would drop its append-only triggers.
    # SQLite cannot add a constraint to a table, but accepts a REFERENCES clause on an
    # added column.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            'ALTER TABLE ledger_entry ADD COLUMN imported_file_id INTEGER '
            'REFERENCES imported_file (id)'
        )
    else:
        op.add_column('ledger_entry', sa.Column('imported_file_id', ID, nullable=True))
        op.create_foreign_key(
            op.f('fk_ledger_entry_imported_file_id_imported_file'),
            'ledger_entry', 'imported_file', ['imported_file_id'], ['id'],
        )
    op.add_column('ledger_entry', sa.Column('source_line', sa.BigInteger(), nullable=True))
    for table in KEYED:
        op.add_column(table, sa.Column('external_key', sa.String(length=160), nullable=True))
        op.create_index(f'ix_{table}_external_key', table, ['external_key'], unique=True)
    op.add_column('offer', sa.Column('original_currency', sa.String(length=3), nullable=True))
    op.add_column('offer', sa.Column('original_amount_cents', sa.BigInteger(), nullable=True))
    op.add_column('offer', sa.Column('amount_usd_cents', sa.BigInteger(), nullable=True))
    op.add_column('delegation', sa.Column('gdp_eur_bn', sa.String(length=40), nullable=True))
    op.add_column('delegation', sa.Column('gdp_source', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.drop_column('gdp_source')
        batch_op.drop_column('gdp_eur_bn')
    with op.batch_alter_table('offer', schema=None) as batch_op:
        batch_op.drop_column('amount_usd_cents')
        batch_op.drop_column('original_amount_cents')
        batch_op.drop_column('original_currency')
    for table in KEYED:
        op.drop_index(f'ix_{table}_external_key', table_name=table)
        op.drop_column(table, 'external_key')
    op.drop_column('ledger_entry', 'source_line')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite drops no column that a REFERENCES clause names: the column stays, unused
        # (dropping it would mean rebuilding the table, and losing its append-only triggers).
        pass
    else:
        op.drop_constraint(
            'fk_ledger_entry_imported_file_id_imported_file', 'ledger_entry', type_='foreignkey'
        )
        op.drop_column('ledger_entry', 'imported_file_id')
    op.drop_index(op.f('ix_imported_file_sha256'), table_name='imported_file')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_table('imported_file')
