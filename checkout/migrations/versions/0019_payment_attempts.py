"""Payment attempts made by our server, and each plan's first PaymentIntent.

Card attempts now reach Stripe only through our server (ConfirmationTokens): each attempt is a
row before Stripe is asked, so its idempotency key comes from our row, and support can see every
try. A recurring gift's first invoice PaymentIntent is kept on its plan, for our server to
confirm.

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "public_id",
            sa.String(length=32),
            nullable=False,
            comment="Stripe idempotency key source",
        ),
        sa.Column("donation_id", sa.Integer(), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=64), nullable=False),
        sa.Column(
            "confirmation_token",
            sa.String(length=64),
            nullable=True,
            comment="Stripe's ctoken_ id; None for a confirm after 3-D Secure",
        ),
        sa.Column("method_type", sa.String(length=32), nullable=False),
        sa.Column(
            "card_fingerprint",
            sa.String(length=64),
            nullable=True,
            comment="Stripe's fingerprint of the card tried (the same card, the same value)",
        ),
        sa.Column(
            "outcome",
            sa.String(length=24),
            nullable=False,
            comment="started, succeeded, processing, requires_action, declined, refused, error",
        ),
        sa.Column("decline_code", sa.String(length=64), nullable=True),
        sa.Column("stripe_charge_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["donation_id"], ["donations.id"], name=op.f("fk_payment_attempts_donation_id_donations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_attempts")),
        sa.UniqueConstraint("public_id", name=op.f("uq_payment_attempts_public_id")),
        sa.UniqueConstraint(
            "confirmation_token", name=op.f("uq_payment_attempts_confirmation_token")
        ),
        sa.UniqueConstraint("stripe_charge_id", name=op.f("uq_payment_attempts_stripe_charge_id")),
    )
    with op.batch_alter_table("payment_attempts") as batch:
        batch.create_index(batch.f("ix_payment_attempts_donation_id"), ["donation_id"])
        batch.create_index(batch.f("ix_payment_attempts_payment_intent_id"), ["payment_intent_id"])
    with op.batch_alter_table("recurring_plans") as batch:
        batch.add_column(
            sa.Column(
                "first_payment_intent_id",
                sa.String(length=64),
                nullable=True,
                comment="The first invoice's PaymentIntent, confirmed by us",
            )
        )
        batch.create_unique_constraint(
            batch.f("uq_recurring_plans_first_payment_intent_id"), ["first_payment_intent_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("recurring_plans") as batch:
        batch.drop_constraint(batch.f("uq_recurring_plans_first_payment_intent_id"), type_="unique")
        batch.drop_column("first_payment_intent_id")
    op.drop_table("payment_attempts")
