"""Office transfer batches, numbered per office with their files; why a payment was refunded.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "office_export_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "office_code", sa.String(length=8), nullable=False, comment="The office it is sent to"
        ),
        sa.Column(
            "number", sa.Integer(), nullable=False, comment="1, 2, 3, ... per office, without gaps"
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column(
            "paid_before",
            UtcDateTime(),
            nullable=False,
            comment="Cut-off: gifts kept before this moment (now minus the hold)",
        ),
        sa.Column("gift_count", sa.Integer(), nullable=False, comment="Rows of the gifts CSV"),
        sa.Column(
            "donor_count",
            sa.Integer(),
            nullable=False,
            comment="Donors with a gift or consent row in it",
        ),
        sa.Column(
            "consent_count",
            sa.Integer(),
            nullable=False,
            comment="Ledger rows sent for the first time",
        ),
        sa.Column(
            "gifts_csv", sa.LargeBinary(), nullable=True, comment="UTF-8 CSV, one row per gift"
        ),
        sa.Column("gifts_csv_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "consents_csv",
            sa.LargeBinary(),
            nullable=True,
            comment="UTF-8 CSV, one row per consent ledger row",
        ),
        sa.Column("consents_csv_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "batch_json",
            sa.LargeBinary(),
            nullable=True,
            comment="UTF-8 JSON: donors, gifts, evidence and the notice texts",
        ),
        sa.Column("batch_json_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "erased_at",
            UtcDateTime(),
            nullable=True,
            comment="Files erased after OFFICE_EXPORT_KEEP_DAYS; counts and hashes stay",
        ),
        sa.CheckConstraint("number > 0", name=op.f("ck_office_export_batches_number_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_export_batches")),
        sa.UniqueConstraint(
            "office_code", "number", name=op.f("uq_office_export_batches_office_code_number")
        ),
    )
    op.create_table(
        "office_export_counters",
        sa.Column("office_code", sa.String(length=8), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False, comment="0 before the first batch"),
        sa.PrimaryKeyConstraint("office_code", name=op.f("pk_office_export_counters")),
    )
    op.create_table(
        "office_export_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column(
            "consent_record_id",
            sa.Integer(),
            nullable=False,
            comment="Unique: sent in one batch only",
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["office_export_batches.id"],
            name=op.f("fk_office_export_consents_batch_id_office_export_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["consent_record_id"],
            ["consent_records.id"],
            name=op.f("fk_office_export_consents_consent_record_id_consent_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_export_consents")),
        sa.UniqueConstraint(
            "consent_record_id", name=op.f("uq_office_export_consents_consent_record_id")
        ),
    )
    with op.batch_alter_table("office_export_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_office_export_consents_batch_id"), ["batch_id"], unique=False
        )

    op.create_table(
        "office_export_gifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column(
            "payment_id",
            sa.Integer(),
            nullable=False,
            comment="Unique: a gift goes in one batch only",
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["office_export_batches.id"],
            name=op.f("fk_office_export_gifts_batch_id_office_export_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_office_export_gifts_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_export_gifts")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_office_export_gifts_payment_id")),
    )
    with op.batch_alter_table("office_export_gifts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_office_export_gifts_batch_id"), ["batch_id"], unique=False
        )

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "refund_reason",
                sa.String(length=32),
                nullable=True,
                comment="Stripe's refund reason: duplicate, fraudulent, requested_by_customer",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("refund_reason")

    with op.batch_alter_table("office_export_gifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_export_gifts_batch_id"))

    op.drop_table("office_export_gifts")
    with op.batch_alter_table("office_export_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_export_consents_batch_id"))

    op.drop_table("office_export_consents")
    op.drop_table("office_export_counters")
    op.drop_table("office_export_batches")
