"""When a UK donor declared Gift Aid for a donation (the receipt confirms it).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "gift_aid_declared_at",
                UtcDateTime(),
                nullable=True,
                comment="UK: when the donor made the Gift Aid declaration for this gift",
            )
        )
        # Missed in 0003 (SQLite keeps no column comments, so only PostgreSQL saw it).
        batch_op.alter_column(
            "draft_id",
            existing_type=sa.Integer(),
            existing_nullable=False,
            comment="One donation per draft: concurrent pay clicks cannot make two",
        )


def downgrade() -> None:
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.alter_column(
            "draft_id", existing_type=sa.Integer(), existing_nullable=False, comment=None
        )
        batch_op.drop_column("gift_aid_declared_at")
