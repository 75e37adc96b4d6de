"""Erasure after retention: when a donor's and a receipt's personal data were erased, and the
one change the consent ledger accepts.

The ledger stays append-only, with a single exception: erasure, which blanks the address, the
IP hash and the user agent of a row and changes nothing else. Every other UPDATE, and every
DELETE, is still refused by the database.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_UNCHANGED = (
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
_ERASURE = "NEW.email = '' AND NEW.ip_hash IS NULL AND NEW.user_agent IS NULL AND " + " AND ".join(
    f"NEW.{column} IS NOT DISTINCT FROM OLD.{column}" for column in _UNCHANGED
)

_SQLITE_UPDATE_TRIGGER = f"""CREATE TRIGGER consent_records_no_update
    BEFORE UPDATE ON consent_records
    WHEN NOT ({_ERASURE.replace("IS NOT DISTINCT FROM", "IS")})
    BEGIN SELECT RAISE(ABORT, 'consent_records is append-only (erasure aside)'); END"""
_SQLITE_OLD_UPDATE_TRIGGER = """CREATE TRIGGER consent_records_no_update
    BEFORE UPDATE ON consent_records
    BEGIN SELECT RAISE(ABORT, 'consent_records is append-only'); END"""

_POSTGRES_FUNCTION = f"""CREATE OR REPLACE FUNCTION consent_records_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND {_ERASURE} THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'consent_records is append-only (erasure aside)';
    END $$"""
_POSTGRES_OLD_FUNCTION = """CREATE OR REPLACE FUNCTION consent_records_append_only()
    RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'consent_records is append-only'; END $$"""


def upgrade() -> None:
    for table, comment in (
        ("donors", "Personal data erased after the office's retention period"),
        ("receipts", "Name, address and PDF erased after the retention period"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("erased_at", UtcDateTime(), nullable=True, comment=comment)
            )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS consent_records_no_update")
        op.execute(_SQLITE_UPDATE_TRIGGER)
    elif dialect == "postgresql":
        op.execute(_POSTGRES_FUNCTION)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS consent_records_no_update")
        op.execute(_SQLITE_OLD_UPDATE_TRIGGER)
    elif dialect == "postgresql":
        op.execute(_POSTGRES_OLD_FUNCTION)
    for table in ("receipts", "donors"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("erased_at")
