"""Initial schema: server-side drafts of donations in progress.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkout_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False,
                  comment="Random id kept in the session cookie; never derived from personal data"),
        sa.Column("locale", sa.String(length=8), nullable=False,
                  comment="Language the donor used last (en, de, nl, fr)"),
        sa.Column("data", sa.JSON(), nullable=False, comment="Values typed per step, keyed by step name"),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("frozen_at", UtcDateTime(), nullable=True,
                  comment="When payment started; a frozen draft no longer changes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkout_drafts")),
        sa.UniqueConstraint("public_id", name=op.f("uq_checkout_drafts_public_id")),
    )


def downgrade() -> None:
    op.drop_table("checkout_drafts")
