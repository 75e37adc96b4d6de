"""The suppression list, and when a Gift Aid declaration was cancelled.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suppressions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_code", sa.String(length=8), nullable=False),
        sa.Column(
            "email_hash",
            sa.String(length=64),
            nullable=False,
            comment="HMAC-SHA256 of the lower-cased address (EVIDENCE_HASH_KEY)",
        ),
        sa.Column(
            "reason",
            sa.String(length=32),
            nullable=False,
            comment="How: email_link, one_click, ...",
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressions")),
        sa.UniqueConstraint(
            "office_code", "email_hash", name=op.f("uq_suppressions_office_code_email_hash")
        ),
    )
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "gift_aid_cancelled_at",
                UtcDateTime(),
                nullable=True,
                comment="UK: when the donor cancelled it; later payments claim no Gift Aid",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("donations", schema=None) as batch_op:
        batch_op.drop_column("gift_aid_cancelled_at")
    op.drop_table("suppressions")
