"""Consent: every notice text shown, and a ledger the database keeps append-only.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_code", sa.String(length=8), nullable=False),
        sa.Column(
            "purpose",
            sa.String(length=32),
            nullable=False,
            comment="data_transfer, email_fundraising, gift_aid_declaration, ...",
        ),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column(
            "sha256", sa.String(length=64), nullable=False, comment="Of the exact text below, UTF-8"
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("first_shown_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_notices")),
        sa.UniqueConstraint(
            "office_code",
            "purpose",
            "language",
            "version",
            name=op.f("uq_consent_notices_office_code_purpose_language_version"),
        ),
    )
    op.create_table(
        "consent_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("office_code", sa.String(length=8), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column(
            "channel", sa.String(length=8), nullable=True, comment="email or sms, for opt-ins"
        ),
        sa.Column(
            "legal_basis",
            sa.String(length=16),
            nullable=False,
            comment="notice, consent, soft_opt_in",
        ),
        sa.Column(
            "decision", sa.String(length=16), nullable=False, comment="acknowledged, granted, ..."
        ),
        sa.Column("donor_id", sa.Integer(), nullable=True),
        sa.Column("donation_id", sa.Integer(), nullable=True),
        sa.Column(
            "email", sa.String(length=320), nullable=False, comment="The address at the time"
        ),
        sa.Column(
            "form",
            sa.String(length=32),
            nullable=False,
            comment="Where: wizard step, email link, ...",
        ),
        sa.Column(
            "ip_hash", sa.String(length=64), nullable=True, comment="Keyed hash, never the IP"
        ),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["donation_id"], ["donations.id"], name=op.f("fk_consent_records_donation_id_donations")
        ),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donors.id"], name=op.f("fk_consent_records_donor_id_donors")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["consent_notices.id"],
            name=op.f("fk_consent_records_notice_id_consent_notices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
    )
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_records_donation_id"), ["donation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_consent_records_donor_id"), ["donor_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_consent_records_notice_id"), ["notice_id"], unique=False
        )
    _refuse_changes_to_the_ledger()


# The ledger is evidence: the database refuses to change or delete its rows, whoever asks.
_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER consent_records_no_{action.lower()}
    BEFORE {action} ON consent_records
    BEGIN SELECT RAISE(ABORT, 'consent_records is append-only'); END"""
    for action in ("UPDATE", "DELETE")
]
_POSTGRES_FUNCTION = """CREATE FUNCTION consent_records_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'consent_records is append-only'; END $$"""
_POSTGRES_TRIGGER = """CREATE TRIGGER consent_records_append_only
    BEFORE UPDATE OR DELETE ON consent_records
    FOR EACH ROW EXECUTE FUNCTION consent_records_append_only()"""


def _refuse_changes_to_the_ledger() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(_POSTGRES_FUNCTION)
        op.execute(_POSTGRES_TRIGGER)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS consent_records_no_update")
        op.execute("DROP TRIGGER IF EXISTS consent_records_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS consent_records_append_only ON consent_records")
        op.execute("DROP FUNCTION IF EXISTS consent_records_append_only()")
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_records_notice_id"))
        batch_op.drop_index(batch_op.f("ix_consent_records_donor_id"))
        batch_op.drop_index(batch_op.f("ix_consent_records_donation_id"))

    op.drop_table("consent_records")
    op.drop_table("consent_notices")
