"""Payments: donors, payments, recurring plans and the store of Stripe events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The statuses of checkout/donations/states.py as of this revision (a migration must not
# import the model's current list: later revisions may change it).
STATUS_CHECK = (
    "status IN ('draft', 'pending', 'processing', 'succeeded', 'failed', 'canceled', "
    "'partially_refunded', 'refunded', 'disputed', 'won', 'lost')"
)


def upgrade() -> None:
    op.create_table(
        "donors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "office_code",
            sa.String(length=8),
            nullable=False,
            comment="The office this donor gives to",
        ),
        sa.Column(
            "email",
            sa.String(length=320),
            nullable=False,
            comment="Normalised address, receipts go here",
        ),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("middle_initial", sa.String(length=1), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False, comment="ISO 3166 alpha-2"),
        sa.Column("address_line1", sa.String(length=100), nullable=False),
        sa.Column("address_line2", sa.String(length=100), nullable=False),
        sa.Column("postcode", sa.String(length=20), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False, comment="E.164, or empty"),
        sa.Column("locale", sa.String(length=8), nullable=False, comment="Language for emails"),
        sa.Column(
            "stripe_customer_id",
            sa.String(length=64),
            nullable=True,
            comment="Customer in the office's Stripe account",
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donors")),
        sa.UniqueConstraint("office_code", "email", name=op.f("uq_donors_office_code_email")),
        sa.UniqueConstraint("stripe_customer_id", name=op.f("uq_donors_stripe_customer_id")),
    )
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False, comment="Stripe's evt_ id"),
        sa.Column(
            "office_code", sa.String(length=8), nullable=False, comment="Whose endpoint received it"
        ),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False, comment="data.object.id"),
        sa.Column(
            "stripe_created",
            sa.Integer(),
            nullable=False,
            comment="Stripe's timestamp, Unix seconds",
        ),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("processed_at", UtcDateTime(), nullable=True),
        sa.Column(
            "outcome",
            sa.String(length=24),
            nullable=True,
            comment="applied, ignored, unhandled or failed",
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_stripe_events_event_id")),
    )
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stripe_events_object_id"), ["object_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stripe_events_type"), ["type"], unique=False)

    op.create_table(
        "recurring_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donation_id", sa.Integer(), nullable=False),
        sa.Column("stripe_subscription_id", sa.String(length=64), nullable=False),
        sa.Column("stripe_customer_id", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.String(length=24),
            nullable=False,
            comment="Stripe's subscription status: incomplete, active, past_due, ...",
        ),
        sa.Column("interval", sa.String(length=8), nullable=False, comment="month or year"),
        sa.Column("current_period_end", UtcDateTime(), nullable=True),
        sa.Column("canceled_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["donation_id"], ["donations.id"], name=op.f("fk_recurring_plans_donation_id_donations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_plans")),
        sa.UniqueConstraint("donation_id", name=op.f("uq_recurring_plans_donation_id")),
        sa.UniqueConstraint(
            "stripe_subscription_id", name=op.f("uq_recurring_plans_stripe_subscription_id")
        ),
    )
    with op.batch_alter_table("recurring_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recurring_plans_stripe_customer_id"),
            ["stripe_customer_id"],
            unique=False,
        )

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donation_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "amount_minor", sa.Integer(), nullable=False, comment="Charged, minor units of currency"
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "refunded_minor", sa.Integer(), nullable=False, comment="Refunded so far, minor units"
        ),
        sa.Column("stripe_payment_intent_id", sa.String(length=64), nullable=True),
        sa.Column("stripe_charge_id", sa.String(length=64), nullable=True),
        sa.Column(
            "stripe_invoice_id",
            sa.String(length=64),
            nullable=True,
            comment="Recurring instalments: the paid invoice",
        ),
        sa.Column("stripe_subscription_id", sa.String(length=64), nullable=True),
        sa.Column("stripe_customer_id", sa.String(length=64), nullable=True),
        sa.Column("stripe_balance_transaction_id", sa.String(length=64), nullable=True),
        sa.Column(
            "fee_minor",
            sa.Integer(),
            nullable=True,
            comment="Stripe's fee, minor units of the settlement currency",
        ),
        sa.Column(
            "net_minor", sa.Integer(), nullable=True, comment="What reaches the office, settlement"
        ),
        sa.Column("settlement_currency", sa.String(length=3), nullable=True),
        sa.Column(
            "exchange_rate",
            sa.String(length=32),
            nullable=True,
            comment="Decimal text; set when settlement currency differs",
        ),
        sa.Column("paid_at", UtcDateTime(), nullable=True),
        sa.Column(
            "receipt_due_at",
            UtcDateTime(),
            nullable=True,
            comment="When the payment succeeded and a receipt became due",
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'pending', 'processing', 'succeeded', 'failed', 'canceled', 'partially_refunded', 'refunded', 'disputed', 'won', 'lost')",
            name=op.f("ck_payments_status_known"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_payments_amount_positive")),
        sa.CheckConstraint("refunded_minor >= 0", name=op.f("ck_payments_refunded_not_negative")),
        sa.ForeignKeyConstraint(
            ["donation_id"], ["donations.id"], name=op.f("fk_payments_donation_id_donations")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["recurring_plans.id"], name=op.f("fk_payments_plan_id_recurring_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint(
            "stripe_balance_transaction_id", name=op.f("uq_payments_stripe_balance_transaction_id")
        ),
        sa.UniqueConstraint("stripe_charge_id", name=op.f("uq_payments_stripe_charge_id")),
        sa.UniqueConstraint("stripe_invoice_id", name=op.f("uq_payments_stripe_invoice_id")),
        sa.UniqueConstraint(
            "stripe_payment_intent_id", name=op.f("uq_payments_stripe_payment_intent_id")
        ),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_donation_id"), ["donation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_payments_stripe_customer_id"), ["stripe_customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payments_stripe_subscription_id"),
            ["stripe_subscription_id"],
            unique=False,
        )

    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("donor_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "stripe_payment_intent_id",
                sa.String(length=64),
                nullable=True,
                comment="One-time gifts: the PaymentIntent",
            )
        )
        batch_op.add_column(
            sa.Column(
                "stripe_client_secret",
                sa.String(length=200),
                nullable=True,
                comment="Lets the pay page confirm; never logged",
            )
        )
        batch_op.drop_index(batch_op.f("ix_donations_draft_id"))
        batch_op.create_index(batch_op.f("ix_donations_donor_id"), ["donor_id"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_donations_draft_id"), ["draft_id"])
        batch_op.create_unique_constraint(
            batch_op.f("uq_donations_stripe_payment_intent_id"), ["stripe_payment_intent_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_donations_donor_id_donors"), "donors", ["donor_id"], ["id"]
        )
        batch_op.create_check_constraint(op.f("ck_donations_status_known"), STATUS_CHECK)


def downgrade() -> None:
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_donations_status_known"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_donations_donor_id_donors"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("uq_donations_stripe_payment_intent_id"), type_="unique"
        )
        batch_op.drop_constraint(batch_op.f("uq_donations_draft_id"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_donations_donor_id"))
        batch_op.create_index(batch_op.f("ix_donations_draft_id"), ["draft_id"], unique=False)
        batch_op.drop_column("stripe_client_secret")
        batch_op.drop_column("stripe_payment_intent_id")
        batch_op.drop_column("donor_id")

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_stripe_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_payments_stripe_customer_id"))
        batch_op.drop_index(batch_op.f("ix_payments_plan_id"))
        batch_op.drop_index(batch_op.f("ix_payments_donation_id"))

    op.drop_table("payments")
    with op.batch_alter_table("recurring_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recurring_plans_stripe_customer_id"))

    op.drop_table("recurring_plans")
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stripe_events_type"))
        batch_op.drop_index(batch_op.f("ix_stripe_events_object_id"))

    op.drop_table("stripe_events")
    op.drop_table("donors")
