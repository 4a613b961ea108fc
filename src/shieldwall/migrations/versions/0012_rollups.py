"""rollups: maintained balances of the ledger, in the same transaction as its entries

``ledger_rollup`` sums the entries by the keys the summaries group and filter by and the keys
that decide who may read them (the offer's member, partner, request and releasability), at three
grains: every key (0), without the item (1), without the item and the month (2); item and
request 0 and month '' stand for none. ``offer_balance`` holds each offer's balances. Cents are
summed as two halves (the high bits and the low 32 bits of each entry) so that no sum can
overflow 64 bits. Both are filled here from the entries already written, so that an upgraded database
is consistent (``shieldwall ledger check`` compares them with the entries).

Revision ID: 0012_rollups
Revises: 0010_item_without_price
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0012_rollups'
down_revision = '0011_matching'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
MEASURES = ('offered', 'committed', 'delivered')
KEYS = (
    'grain', 'member_id', 'partner_id', 'kind', 'area_id', 'item_id', 'month', 'request_id',
    'releasability',
)


def _sums() -> list[sa.Column]:
    parts = ('quantity', 'cents_hi', 'cents_lo')
    return [
        sa.Column(f'{m}_{p}', sa.BigInteger(), server_default='0', nullable=False)
        for m in MEASURES for p in parts
    ]


def _sum_sql() -> tuple[str, str]:
    """The sums' column names and their expressions over ``e`` (ledger_entry)."""
    names, sums = [], []
    for m in MEASURES:
        parts = {
            'quantity': 'e.quantity',
            'cents_hi': 'e.value_cents >> 32',
            'cents_lo': 'e.value_cents & 4294967295',
        }
        for p, expression in parts.items():
            names.append(f'{m}_{p}')
            sums.append(f"SUM(CASE WHEN e.measure = '{m}' THEN {expression} ELSE 0 END)")
    return ', '.join(names), ', '.join(sums)


def _fill() -> None:
    names, sums = _sum_sql()
    for grain, item, month in (
        (0, 'COALESCE(e.item_id, 0)', 'e.month'), (1, '0', 'e.month'), (2, '0', "''")
    ):
        grouped = ['e.member_id', 'e.partner_id', 'e.kind', 'e.area_id',
                   'COALESCE(e.request_id, 0)', 'o.releasability']
        grouped += [x for x in (item, month) if x not in ('0', "''")]
        op.execute(
            f"INSERT INTO ledger_rollup ({', '.join(KEYS)}, {names}) "
            f"SELECT {grain}, e.member_id, e.partner_id, e.kind, e.area_id, {item}, {month}, "
            f"COALESCE(e.request_id, 0), o.releasability, {sums} "
            f"FROM ledger_entry e JOIN offer o ON o.id = e.offer_id "
            f"GROUP BY {', '.join(grouped)}"
        )
    names, sums = _sum_sql()
    op.execute(
        f"INSERT INTO offer_balance (offer_id, {names}) "
        f"SELECT e.offer_id, {sums} FROM ledger_entry e GROUP BY e.offer_id"
    )


def upgrade() -> None:
    op.create_table('ledger_rollup',
    sa.Column('grain', sa.SmallInteger(), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('partner_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('area_id', sa.BigInteger(), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('request_id', sa.BigInteger(), nullable=False),
    sa.Column('releasability', sa.String(length=16), nullable=False),
    *_sums(),
    sa.PrimaryKeyConstraint(*KEYS, name=op.f('pk_ledger_rollup')),
    )
    op.create_table('offer_balance',
    sa.Column('offer_id', ID, nullable=False),
    *_sums(),
    sa.ForeignKeyConstraint(['offer_id'], ['offer.id'], name=op.f('fk_offer_balance_offer_id_offer')),
    sa.PrimaryKeyConstraint('offer_id', name=op.f('pk_offer_balance')),
    )
    _fill()


def downgrade() -> None:
    op.drop_table('offer_balance')
    op.drop_table('ledger_rollup')
