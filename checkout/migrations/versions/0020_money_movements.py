"""A failed debit's reversal on its payment; a plan's cancellation at the end of its period
(and `canceled_at` documented as when the plan ended).

Revision ID: 0020
Revises: 0022
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime

revision = "0020"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "stripe_failure_balance_transaction_id",
                sa.String(length=64),
                nullable=True,
                comment="A failed debit: the balance transaction reversing its submission",
            )
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_payments_stripe_failure_balance_transaction_id"),
            ["stripe_failure_balance_transaction_id"],
        )
    with op.batch_alter_table("recurring_plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "cancel_at_period_end",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
                comment="Cancelled by request: it still debits until its period ends",
            )
        )
        batch_op.add_column(
            sa.Column(
                "cancel_at",
                UtcDateTime(),
                nullable=True,
                comment="When a plan cancelled at period end stops (Stripe's cancel_at)",
            )
        )
        batch_op.alter_column(
            "canceled_at",
            existing_type=UtcDateTime(),
            existing_nullable=True,
            comment="When the plan ended (not when an end at period end was asked for)",
        )


def downgrade() -> None:
    with op.batch_alter_table("recurring_plans", schema=None) as batch_op:
        batch_op.alter_column(
            "canceled_at",
            existing_type=UtcDateTime(),
            existing_nullable=True,
            comment=None,
            existing_comment="When the plan ended (not when an end at period end was asked for)",
        )
        batch_op.drop_column("cancel_at")
        batch_op.drop_column("cancel_at_period_end")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_payments_stripe_failure_balance_transaction_id"), type_="unique"
        )
        batch_op.drop_column("stripe_failure_balance_transaction_id")
