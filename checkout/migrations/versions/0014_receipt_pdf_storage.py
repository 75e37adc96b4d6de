"""Receipt PDFs stored out of line without compression on PostgreSQL.

A PDF's streams are compressed and then encrypted, so PostgreSQL's own compression of large
values (pglz) finds nothing to gain and only spends the server's time trying, on every
receipt. EXTERNAL keeps the value in the TOAST table, uncompressed; substring reads of it are
also cheaper. SQLite has no such setting.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE receipts ALTER COLUMN pdf SET STORAGE EXTERNAL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE receipts ALTER COLUMN pdf SET STORAGE EXTENDED")
