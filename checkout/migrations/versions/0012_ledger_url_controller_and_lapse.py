"""The ledger also records the page's path, the office's legal name and, in Canada, when the
consent a gift implies lapses; the erasure rule now covers those columns too.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_UNCHANGED_BEFORE = (
    "id",
    "notice_id",
    "office_code",
    "purpose",
    "channel",
    "legal_basis",
    "decision",
    "donor_id",
    "donation_id",
    "form",
    "recorded_at",
)
_NEW_COLUMNS = ("url", "office_legal_name", "implied_consent_lapses_at")


def _erasure(columns: tuple[str, ...], same: str) -> str:
    """The one UPDATE the ledger accepts: blank the personal parts, change nothing else."""
    unchanged = " AND ".join(f"NEW.{column} {same} OLD.{column}" for column in columns)
    return f"NEW.email = '' AND NEW.ip_hash IS NULL AND NEW.user_agent IS NULL AND {unchanged}"


def _sqlite_trigger(columns: tuple[str, ...]) -> str:
    return f"""CREATE TRIGGER consent_records_no_update
    BEFORE UPDATE ON consent_records
    WHEN NOT ({_erasure(columns, "IS")})
    BEGIN SELECT RAISE(ABORT, 'consent_records is append-only (erasure aside)'); END"""


def _postgres_function(columns: tuple[str, ...]) -> str:
    return f"""CREATE OR REPLACE FUNCTION consent_records_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND {_erasure(columns, "IS NOT DISTINCT FROM")} THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'consent_records is append-only (erasure aside)';
    END $$"""


def _guard(columns: tuple[str, ...]) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS consent_records_no_update")
        op.execute(_sqlite_trigger(columns))
    elif dialect == "postgresql":
        op.execute(_postgres_function(columns))


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild), so SQLite keeps the ledger's triggers.
    op.add_column(
        "consent_records",
        sa.Column(
            "url",
            sa.String(length=200),
            nullable=True,
            comment="The page's path (never a token or personal data)",
        ),
    )
    op.add_column(
        "consent_records",
        sa.Column(
            "office_legal_name",
            sa.String(length=200),
            nullable=True,
            comment="The controller the donor was told about, as named then",
        ),
    )
    op.add_column(
        "consent_records",
        sa.Column(
            "implied_consent_lapses_at",
            UtcDateTime(),
            nullable=True,
            comment="Canada: when the consent this gift implies lapses",
        ),
    )
    _guard(_UNCHANGED_BEFORE + _NEW_COLUMNS)


def downgrade() -> None:
    _guard(_UNCHANGED_BEFORE)
    for column in reversed(_NEW_COLUMNS):
        op.drop_column("consent_records", column)
