"""Why a payment was refunded: Stripe's refund reason, so fraud can be told apart.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
