"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29 15:59:05.134304

The ledger is append-only in the database itself: triggers refuse UPDATE and DELETE on
ledger_entry, whatever client connects.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("delegation", sa.String(length=8), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("before_state", sa.Text(), nullable=True),
        sa.Column("after_state", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_record")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_record_hash")),
    )
    op.create_table(
        "capability_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capability_area")),
        sa.UniqueConstraint("code", name=op.f("uq_capability_area_code")),
    )
    op.create_table(
        "delegation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegation")),
        sa.UniqueConstraint("code", name=op.f("uq_delegation_code")),
    )
    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_record")),
        sa.UniqueConstraint("scope", "key", name=op.f("uq_idempotency_record_scope")),
    )
    op.create_table(
        "capability_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("reference_unit_value_cents", sa.BigInteger(), nullable=False),
        sa.Column("price_date", sa.Date(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["capability_area.id"],
            name=op.f("fk_capability_item_area_id_capability_area"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capability_item")),
        sa.UniqueConstraint("code", name=op.f("uq_capability_item_code")),
    )
    with op.batch_alter_table("capability_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_capability_item_area_id"), ["area_id"], unique=False
        )

    op.create_table(
        "assistance_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=True),
        sa.Column("value_cents", sa.BigInteger(), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("need_by", sa.Date(), nullable=True),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("to_all_members", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("illustrative", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["capability_area.id"],
            name=op.f("fk_assistance_request_area_id_capability_area"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["capability_item.id"],
            name=op.f("fk_assistance_request_item_id_capability_item"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["delegation.id"],
            name=op.f("fk_assistance_request_partner_id_delegation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance_request")),
    )
    with op.batch_alter_table("assistance_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assistance_request_area_id"), ["area_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_assistance_request_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "offer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("value_cents", sa.BigInteger(), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("illustrative", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["capability_area.id"],
            name=op.f("fk_offer_area_id_capability_area"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["capability_item.id"],
            name=op.f("fk_offer_item_id_capability_item"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["delegation.id"], name=op.f("fk_offer_member_id_delegation")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["delegation.id"],
            name=op.f("fk_offer_partner_id_delegation"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_request.id"],
            name=op.f("fk_offer_request_id_assistance_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer")),
    )
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_offer_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_offer_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "request_addressee",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("delegation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delegation_id"],
            ["delegation.id"],
            name=op.f("fk_request_addressee_delegation_id_delegation"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_request.id"],
            name=op.f("fk_request_addressee_request_id_assistance_request"),
        ),
        sa.PrimaryKeyConstraint(
            "request_id", "delegation_id", name=op.f("pk_request_addressee")
        ),
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offer.id"], name=op.f("fk_delivery_offer_id_offer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_offer_id"), ["offer_id"], unique=False
        )

    op.create_table(
        "ledger_entry",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("entry_type", sa.String(length=16), nullable=False),
        sa.Column("measure", sa.String(length=16), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("value_cents", sa.BigInteger(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "corrects_entry_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["capability_area.id"],
            name=op.f("fk_ledger_entry_area_id_capability_area"),
        ),
        sa.ForeignKeyConstraint(
            ["corrects_entry_id"],
            ["ledger_entry.id"],
            name=op.f("fk_ledger_entry_corrects_entry_id_ledger_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["delivery.id"],
            name=op.f("fk_ledger_entry_delivery_id_delivery"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["capability_item.id"],
            name=op.f("fk_ledger_entry_item_id_capability_item"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["delegation.id"],
            name=op.f("fk_ledger_entry_member_id_delegation"),
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offer.id"], name=op.f("fk_ledger_entry_offer_id_offer")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["delegation.id"],
            name=op.f("fk_ledger_entry_partner_id_delegation"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_request.id"],
            name=op.f("fk_ledger_entry_request_id_assistance_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
    )
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entry_member_kind", ["member_id", "kind"], unique=False
        )
        batch_op.create_index("ix_ledger_entry_month", ["month"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ledger_entry_offer_id"), ["offer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_entry_request_id"), ["request_id"], unique=False
        )
    _append_only_ledger()


APPEND_ONLY = "ledger entries are append-only: write a correction instead"


def _append_only_ledger() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION shieldwall_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry "
            "FOR EACH ROW EXECUTE FUNCTION shieldwall_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ledger_entry_no_{event.lower()} BEFORE {event} ON ledger_entry "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ledger_entry_append_only ON ledger_entry")
        op.execute("DROP FUNCTION shieldwall_append_only()")
    else:
        op.execute("DROP TRIGGER ledger_entry_no_update")
        op.execute("DROP TRIGGER ledger_entry_no_delete")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entry_request_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_entry_offer_id"))
        batch_op.drop_index("ix_ledger_entry_month")
        batch_op.drop_index("ix_ledger_entry_member_kind")

    op.drop_table("ledger_entry")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_offer_id"))

    op.drop_table("delivery")
    op.drop_table("request_addressee")
    with op.batch_alter_table("offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offer_request_id"))
        batch_op.drop_index(batch_op.f("ix_offer_member_id"))

    op.drop_table("offer")
    with op.batch_alter_table("assistance_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assistance_request_partner_id"))
        batch_op.drop_index(batch_op.f("ix_assistance_request_area_id"))

    op.drop_table("assistance_request")
    with op.batch_alter_table("capability_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capability_item_area_id"))

    op.drop_table("capability_item")
    op.drop_table("idempotency_record")
    op.drop_table("delegation")
    op.drop_table("capability_area")
    op.drop_table("audit_record")
