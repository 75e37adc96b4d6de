"""Donations (read by the thank-you page) and the purge mark on drafts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "donations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "public_id",
            sa.String(length=32),
            nullable=False,
            comment="Unguessable id for the thank-you URL; not the draft's cookie id",
        ),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column(
            "office_code", sa.String(length=8), nullable=False, comment="Office that owns the gift"
        ),
        sa.Column("currency", sa.String(length=3), nullable=False, comment="ISO 4217 code"),
        sa.Column(
            "amount_minor",
            sa.Integer(),
            nullable=False,
            comment="The gift, in minor units of currency",
        ),
        sa.Column(
            "fee_minor",
            sa.Integer(),
            nullable=False,
            comment="Processing fee the donor chose to cover, minor units (added)",
        ),
        sa.Column(
            "frequency", sa.String(length=10), nullable=False, comment="once, monthly or yearly"
        ),
        sa.Column(
            "method", sa.String(length=20), nullable=False, comment="Stripe payment_method type"
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_donations_amount_positive")),
        sa.CheckConstraint("fee_minor >= 0", name=op.f("ck_donations_fee_not_negative")),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["checkout_drafts.id"], name=op.f("fk_donations_draft_id_checkout_drafts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donations")),
        sa.UniqueConstraint("public_id", name=op.f("uq_donations_public_id")),
    )
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_donations_draft_id"), ["draft_id"], unique=False)

    with op.batch_alter_table("checkout_drafts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "purged_at",
                UtcDateTime(),
                nullable=True,
                comment="When the personal data of this expired draft was erased",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("checkout_drafts", schema=None) as batch_op:
        batch_op.drop_column("purged_at")

    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_donations_draft_id"))

    op.drop_table("donations")
