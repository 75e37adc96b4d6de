"""Payments: the office whose Stripe account took each one (its donation's), on the payment.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(
            sa.Column(
                "office_code",
                sa.String(length=8),
                nullable=True,
                comment="The office whose Stripe account took it (the donation's)",
            )
        )
    op.execute(
        "UPDATE payments SET office_code ="
        " (SELECT office_code FROM donations WHERE donations.id = payments.donation_id)"
    )
    with op.batch_alter_table("payments") as batch:
        batch.alter_column("office_code", existing_type=sa.String(length=8), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("office_code")
