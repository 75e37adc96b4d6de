"""The outbox, and receipts with their per-office, per-year counters.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "name",
            sa.String(length=64),
            nullable=False,
            comment="Registered handler, e.g. receipts.issue",
        ),
        sa.Column(
            "key",
            sa.String(length=200),
            nullable=False,
            comment="Idempotency key: enqueuing it again does nothing",
        ),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, comment="Failed runs so far"),
        sa.Column(
            "available_at",
            UtcDateTime(),
            nullable=False,
            comment="Not run before this moment (backoff)",
        ),
        sa.Column("claimed_by", sa.String(length=64), nullable=True, comment="Worker holding it"),
        sa.Column(
            "claimed_until",
            UtcDateTime(),
            nullable=True,
            comment="Lease: after this another worker may take it (the first died)",
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("done_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'dead')", name=op.f("ck_outbox_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "available_at"], unique=False)

    op.create_table(
        "receipt_counters",
        sa.Column("office_code", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_serial", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("office_code", "year", name=op.f("pk_receipt_counters")),
    )
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False, comment="e.g. DE-2026-000123"),
        sa.Column("office_code", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False, comment="Calendar year of the number"),
        sa.Column("serial", sa.Integer(), nullable=False, comment="Gapless within office and year"),
        sa.Column(
            "kind", sa.String(length=32), nullable=False, comment="The office's receipt kind"
        ),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True, comment="Statements only"),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "total_minor", sa.Integer(), nullable=False, comment="Sum of the gifts, minor units"
        ),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "donor_snapshot",
            sa.JSON(),
            nullable=False,
            comment="Name and address as printed (the donor may change theirs later)",
        ),
        sa.Column(
            "pdf", sa.LargeBinary(), nullable=False, comment="The bytes sent; never re-rendered"
        ),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("void_reason", sa.String(length=200), nullable=True),
        sa.Column("voided_at", UtcDateTime(), nullable=True),
        sa.Column(
            "message_id",
            sa.String(length=200),
            nullable=False,
            comment="Stable Message-ID of its email",
        ),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("emailed_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('issued', 'void')", name=op.f("ck_receipts_status_known")),
        sa.CheckConstraint("total_minor > 0", name=op.f("ck_receipts_total_positive")),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donors.id"], name=op.f("fk_receipts_donor_id_donors")
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"], ["receipts.id"], name=op.f("fk_receipts_replaces_id_receipts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("number", name=op.f("uq_receipts_number")),
        sa.UniqueConstraint(
            "office_code", "year", "serial", name=op.f("uq_receipts_office_code_year_serial")
        ),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipts_donor_id"), ["donor_id"], unique=False)

    op.create_table(
        "receipt_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_receipt_items_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipts.id"], name=op.f("fk_receipt_items_receipt_id_receipts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_items")),
    )
    with op.batch_alter_table("receipt_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_receipt_items_receipt_id"), ["receipt_id"], unique=False
        )
        batch_op.create_index(
            "uq_receipt_items_active_payment",
            ["payment_id"],
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )


def downgrade() -> None:
    with op.batch_alter_table("receipt_items", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_receipt_items_active_payment",
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )
        batch_op.drop_index(batch_op.f("ix_receipt_items_receipt_id"))

    op.drop_table("receipt_items")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipts_donor_id"))

    op.drop_table("receipts")
    op.drop_table("receipt_counters")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
