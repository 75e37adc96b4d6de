"""Receipts are numbered first and rendered after: the PDF may be absent for a moment.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recurring", sa.Boolean(), nullable=False, server_default=sa.false(),
                      comment="Instalments of a plan")
        )
        batch_op.alter_column(
            "pdf", existing_type=sa.LargeBinary(), nullable=True,
            comment="The bytes sent; rendered once after numbering, never again",
        )
        batch_op.alter_column("pdf_sha256", existing_type=sa.String(length=64), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.alter_column("pdf_sha256", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column(
            "pdf", existing_type=sa.LargeBinary(), nullable=False,
            comment="The bytes sent; never re-rendered",
        )
        batch_op.drop_column("recurring")
