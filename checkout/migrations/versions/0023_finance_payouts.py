"""Finance: payouts, their balance transactions, reconciliation exceptions, the sync cursor.

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime

revision = "0023"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finance_payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stripe_payout_id", sa.String(length=64), nullable=False, comment="po_ id"),
        sa.Column(
            "office_code",
            sa.String(length=8),
            nullable=False,
            comment="Whose Stripe account paid it",
        ),
        sa.Column(
            "amount_minor", sa.Integer(), nullable=False, comment="Paid to the bank, minor units"
        ),
        sa.Column("currency", sa.String(length=3), nullable=False, comment="ISO 4217, upper case"),
        sa.Column(
            "status",
            sa.String(length=16),
            nullable=False,
            comment="Stripe's: pending, in_transit, paid, failed, canceled",
        ),
        sa.Column(
            "reconciliation_status",
            sa.String(length=16),
            nullable=False,
            comment="Stripe's: not_applicable, in_progress, completed",
        ),
        sa.Column(
            "arrival_date", sa.Date(), nullable=False, comment="Expected at the bank (UTC day)"
        ),
        sa.Column("stripe_created", UtcDateTime(), nullable=False),
        sa.Column("failure_code", sa.String(length=64), nullable=True),
        sa.Column(
            "exchange_rates",
            sa.String(length=200),
            nullable=True,
            comment="Foreign-exchange payouts: the distinct rates of its lines, decimal text",
        ),
        sa.Column(
            "lines_complete_at",
            UtcDateTime(),
            nullable=True,
            comment="When its balance transactions were stored in full",
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_payouts")),
        sa.UniqueConstraint("stripe_payout_id", name=op.f("uq_finance_payouts_stripe_payout_id")),
    )
    with op.batch_alter_table("finance_payouts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_finance_payouts_office_arrival", ["office_code", "arrival_date"], unique=False
        )

    op.create_table(
        "finance_sync_cursors",
        sa.Column("office_code", sa.String(length=8), nullable=False),
        sa.Column(
            "starting_after",
            sa.String(length=64),
            nullable=True,
            comment="The last payout stored by a run that has not finished",
        ),
        sa.Column("since", sa.Date(), nullable=True, comment="The unfinished run's --since"),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("office_code", name=op.f("pk_finance_sync_cursors")),
    )
    op.create_table(
        "finance_balance_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "stripe_balance_transaction_id", sa.String(length=64), nullable=False, comment="txn_ id"
        ),
        sa.Column("office_code", sa.String(length=8), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=True, comment="The payout that paid it out"),
        sa.Column(
            "type",
            sa.String(length=32),
            nullable=False,
            comment="charge, payment, refund, adjustment, payout, ...",
        ),
        sa.Column("reporting_category", sa.String(length=32), nullable=False),
        sa.Column(
            "source_id",
            sa.String(length=64),
            nullable=True,
            comment="The charge, refund, dispute or payout it comes from",
        ),
        sa.Column(
            "charge_id",
            sa.String(length=64),
            nullable=True,
            comment="The charge behind the source (a refund's, a dispute's)",
        ),
        sa.Column(
            "amount_minor", sa.Integer(), nullable=False, comment="Gross, settlement currency"
        ),
        sa.Column("fee_minor", sa.Integer(), nullable=False),
        sa.Column("net_minor", sa.Integer(), nullable=False),
        sa.Column(
            "currency",
            sa.String(length=3),
            nullable=False,
            comment="Settlement currency, upper case",
        ),
        sa.Column(
            "exchange_rate",
            sa.String(length=32),
            nullable=True,
            comment="Decimal text, when the charge's currency was converted",
        ),
        sa.Column("stripe_created", UtcDateTime(), nullable=False),
        sa.Column(
            "payment_id",
            sa.Integer(),
            nullable=True,
            comment="Our payment it books, refunds or disputes",
        ),
        sa.Column("refund_id", sa.String(length=64), nullable=True, comment="Stripe's re_ id"),
        sa.Column("dispute_id", sa.String(length=64), nullable=True, comment="Stripe's du_ id"),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_finance_balance_transactions_payment_id_payments"),
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"],
            ["finance_payouts.id"],
            name=op.f("fk_finance_balance_transactions_payout_id_finance_payouts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_balance_transactions")),
        sa.UniqueConstraint(
            "stripe_balance_transaction_id",
            name=op.f("uq_finance_balance_transactions_stripe_balance_transaction_id"),
        ),
    )
    with op.batch_alter_table("finance_balance_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finance_balance_transactions_charge_id"), ["charge_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_finance_balance_transactions_office_code"), ["office_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_finance_balance_transactions_payment_id"), ["payment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_finance_balance_transactions_payout_id"), ["payout_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_finance_balance_transactions_source_id"), ["source_id"], unique=False
        )

    op.create_table(
        "finance_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("office_code", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
        sa.Column(
            "stripe_reference",
            sa.String(length=64),
            nullable=True,
            comment="The Stripe object it is about (txn_, ch_, po_)",
        ),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("expected_minor", sa.Integer(), nullable=True, comment="What our records say"),
        sa.Column("actual_minor", sa.Integer(), nullable=True, comment="What Stripe says"),
        sa.Column("found_at", UtcDateTime(), nullable=False),
        sa.Column(
            "seen_at",
            UtcDateTime(),
            nullable=False,
            comment="The last reconciliation that found it",
        ),
        sa.Column(
            "cleared_at",
            UtcDateTime(),
            nullable=True,
            comment="A later reconciliation no longer found it",
        ),
        sa.Column("explained_at", UtcDateTime(), nullable=True),
        sa.Column("explained_by", sa.Integer(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True, comment="The staff member's note"),
        sa.ForeignKeyConstraint(
            ["explained_by"],
            ["staff_accounts.id"],
            name=op.f("fk_finance_exceptions_explained_by_staff_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_finance_exceptions_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"],
            ["finance_payouts.id"],
            name=op.f("fk_finance_exceptions_payout_id_finance_payouts"),
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipts.id"], name=op.f("fk_finance_exceptions_receipt_id_receipts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_exceptions")),
        sa.UniqueConstraint("key", name=op.f("uq_finance_exceptions_key")),
    )
    with op.batch_alter_table("finance_exceptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finance_exceptions_office_code"), ["office_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_finance_exceptions_payment_id"), ["payment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_finance_exceptions_payout_id"), ["payout_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("finance_exceptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finance_exceptions_payout_id"))
        batch_op.drop_index(batch_op.f("ix_finance_exceptions_payment_id"))
        batch_op.drop_index(batch_op.f("ix_finance_exceptions_office_code"))

    op.drop_table("finance_exceptions")
    with op.batch_alter_table("finance_balance_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finance_balance_transactions_source_id"))
        batch_op.drop_index(batch_op.f("ix_finance_balance_transactions_payout_id"))
        batch_op.drop_index(batch_op.f("ix_finance_balance_transactions_payment_id"))
        batch_op.drop_index(batch_op.f("ix_finance_balance_transactions_office_code"))
        batch_op.drop_index(batch_op.f("ix_finance_balance_transactions_charge_id"))

    op.drop_table("finance_balance_transactions")
    op.drop_table("finance_sync_cursors")
    with op.batch_alter_table("finance_payouts", schema=None) as batch_op:
        batch_op.drop_index("ix_finance_payouts_office_arrival")

    op.drop_table("finance_payouts")
