"""When a recurring gift's debit mandate was revoked; plans found by mandate reference.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recurring_plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "mandate_revoked_at",
                UtcDateTime(),
                nullable=True,
                comment="When the donor's bank reported the mandate revoked",
            )
        )
        batch_op.create_index(
            batch_op.f("ix_recurring_plans_mandate_reference"), ["mandate_reference"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recurring_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recurring_plans_mandate_reference"))
        batch_op.drop_column("mandate_revoked_at")
