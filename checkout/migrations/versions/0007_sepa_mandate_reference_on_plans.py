"""The SEPA mandate reference of a recurring gift, for the pre-notification.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recurring_plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "mandate_reference",
                sa.String(length=64),
                nullable=True,
                comment="SEPA mandate reference, told to the donor before debits",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("recurring_plans", schema=None) as batch_op:
        batch_op.drop_column("mandate_reference")
