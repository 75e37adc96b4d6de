"""Evidence that cannot be rewritten, and erasure that leaves nothing behind.

- consent_notices becomes append-only like the ledger (UPDATE and DELETE refused by triggers);
- each ledger row keeps the SHA-256 of the notice it cites (existing rows are filled from
  their notice), and the database refuses a row whose copy differs from the notice's;
- on PostgreSQL, TRUNCATE of the ledger, the notices, the receipts and the receipt counters is
  refused (SQLite has no TRUNCATE);
- donors get a region (state, province) and the marks of an erasure request (restricted);
- a plan's Stripe Customer id may be blanked once the Customer is deleted at erasure;
- stored Stripe events record when their payload was erased;
- office batches record every folder they were written to, and each redaction of a donor with
  the files' new hashes.

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime

revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None

#: The ledger's columns that erasure must leave as they are (0012's list).
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
    "url",
    "office_legal_name",
    "implied_consent_lapses_at",
)
_UNCHANGED_NOW = (*_UNCHANGED_BEFORE, "notice_sha256")
#: Evidence and tax records: PostgreSQL refuses to TRUNCATE them.
_NO_TRUNCATE = ("consent_records", "consent_notices", "receipts", "receipt_counters")


def _erasure(columns: tuple[str, ...], same: str) -> str:
    """The one UPDATE the ledger accepts: blank the personal parts, change nothing else."""
    unchanged = " AND ".join(f"NEW.{column} {same} OLD.{column}" for column in columns)
    return f"NEW.email = '' AND NEW.ip_hash IS NULL AND NEW.user_agent IS NULL AND {unchanged}"


def _ledger_guard(dialect: str, columns: tuple[str, ...]) -> None:
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS consent_records_no_update")
        op.execute(
            f"""CREATE TRIGGER consent_records_no_update
            BEFORE UPDATE ON consent_records
            WHEN NOT ({_erasure(columns, "IS")})
            BEGIN SELECT RAISE(ABORT, 'consent_records is append-only (erasure aside)'); END"""
        )
    elif dialect == "postgresql":
        op.execute(
            f"""CREATE OR REPLACE FUNCTION consent_records_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND {_erasure(columns, "IS NOT DISTINCT FROM")} THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'consent_records is append-only (erasure aside)';
            END $$"""
        )


_FILL_NOTICE_SHA256 = """UPDATE consent_records SET notice_sha256 =
    (SELECT sha256 FROM consent_notices WHERE consent_notices.id = consent_records.notice_id)"""


def _ledger_cites_notice_hash(dialect: str) -> None:
    """Add and fill the column with the ledger's guard lifted, then guard it with the rest."""
    op.add_column(  # plain ADD COLUMN: SQLite keeps the ledger's triggers
        "consent_records",
        sa.Column(
            "notice_sha256",
            sa.String(length=64),
            nullable=True,
            comment="SHA-256 of the notice text as cited; the insert trigger checks it",
        ),
    )
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS consent_records_no_update")
        op.execute(_FILL_NOTICE_SHA256)
        op.execute(
            """CREATE TRIGGER consent_records_cite_notice
            BEFORE INSERT ON consent_records
            WHEN NEW.notice_sha256 IS NOT
                (SELECT sha256 FROM consent_notices WHERE id = NEW.notice_id)
            BEGIN SELECT RAISE(ABORT, 'consent_records.notice_sha256 differs from the notice');
            END"""
        )
    elif dialect == "postgresql":
        op.execute("ALTER TABLE consent_records DISABLE TRIGGER consent_records_append_only")
        op.execute(_FILL_NOTICE_SHA256)
        op.execute("ALTER TABLE consent_records ENABLE TRIGGER consent_records_append_only")
        op.execute(
            """CREATE FUNCTION consent_records_cite_notice() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.notice_sha256 IS DISTINCT FROM
                    (SELECT sha256 FROM consent_notices WHERE id = NEW.notice_id) THEN
                    RAISE EXCEPTION 'consent_records.notice_sha256 differs from the notice';
                END IF;
                RETURN NEW;
            END $$"""
        )
        op.execute(
            """CREATE TRIGGER consent_records_cite_notice
            BEFORE INSERT ON consent_records
            FOR EACH ROW EXECUTE FUNCTION consent_records_cite_notice()"""
        )
    _ledger_guard(dialect, _UNCHANGED_NOW)


def _notices_append_only(dialect: str) -> None:
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"""CREATE TRIGGER consent_notices_no_{action.lower()}
                BEFORE {action} ON consent_notices
                BEGIN SELECT RAISE(ABORT, 'consent_notices is append-only'); END"""
            )
    elif dialect == "postgresql":
        op.execute(
            """CREATE FUNCTION consent_notices_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'consent_notices is append-only'; END $$"""
        )
        op.execute(
            """CREATE TRIGGER consent_notices_append_only
            BEFORE UPDATE OR DELETE ON consent_notices
            FOR EACH ROW EXECUTE FUNCTION consent_notices_append_only()"""
        )


def _refuse_truncate() -> None:
    op.execute(
        """CREATE FUNCTION refuse_truncate_of_evidence() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '% keeps evidence or tax records: TRUNCATE refused', TG_TABLE_NAME;
        END $$"""
    )
    for table in _NO_TRUNCATE:
        op.execute(
            f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate_of_evidence()"""
        )


def _donor_columns() -> None:
    op.add_column(
        "donors",
        sa.Column(
            "region",
            sa.String(length=100),
            nullable=True,
            comment="State, province or region, where the country's addresses have one",
        ),
    )
    op.add_column(
        "donors",
        sa.Column(
            "restricted_at",
            UtcDateTime(),
            nullable=True,
            comment="Erasure asked for: only what tax law needs is kept, for nothing else",
        ),
    )
    op.add_column(
        "donors",
        sa.Column(
            "restricted_until",
            sa.Date(),
            nullable=True,
            comment="Restricted data is erased after this day (the end of the tax period)",
        ),
    )


def _export_tables() -> None:
    op.create_table(
        "office_export_copies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column(
            "folder", sa.String(length=500), nullable=False, comment="Absolute path of the folder"
        ),
        sa.Column("written_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["office_export_batches.id"],
            name=op.f("fk_office_export_copies_batch_id_office_export_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_export_copies")),
        sa.UniqueConstraint(
            "batch_id", "folder", name=op.f("uq_office_export_copies_batch_id_folder")
        ),
    )
    op.create_index(
        op.f("ix_office_export_copies_batch_id"), "office_export_copies", ["batch_id"]
    )
    op.create_table(
        "office_export_redactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column(
            "donor_id",
            sa.Integer(),
            nullable=False,
            comment="Our id of the donor redacted (no foreign key)",
        ),
        sa.Column("redacted_at", UtcDateTime(), nullable=False),
        sa.Column(
            "gifts_csv_sha256",
            sa.String(length=64),
            nullable=False,
            comment="Of the file after it",
        ),
        sa.Column("consents_csv_sha256", sa.String(length=64), nullable=False),
        sa.Column("batch_json_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["office_export_batches.id"],
            name=op.f("fk_office_export_redactions_batch_id_office_export_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_export_redactions")),
        sa.UniqueConstraint(
            "batch_id", "donor_id", name=op.f("uq_office_export_redactions_batch_id_donor_id")
        ),
    )
    op.create_index(
        op.f("ix_office_export_redactions_batch_id"), "office_export_redactions", ["batch_id"]
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _notices_append_only(dialect)
    _ledger_cites_notice_hash(dialect)
    if dialect == "postgresql":
        _refuse_truncate()
    _donor_columns()
    with op.batch_alter_table("recurring_plans", schema=None) as batch_op:
        batch_op.alter_column(
            "stripe_customer_id",
            existing_type=sa.String(length=64),
            nullable=True,
            comment="Blank once the Customer was deleted at erasure",
        )
    op.add_column(
        "stripe_events",
        sa.Column(
            "payload_erased_at",
            UtcDateTime(),
            nullable=True,
            comment="When the stored payload was erased (retention or a donor's erasure)",
        ),
    )
    _export_tables()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_table("office_export_redactions")
    op.drop_table("office_export_copies")
    op.drop_column("stripe_events", "payload_erased_at")
    op.execute("UPDATE recurring_plans SET stripe_customer_id = '' WHERE stripe_customer_id IS NULL")
    with op.batch_alter_table("recurring_plans", schema=None) as batch_op:
        batch_op.alter_column(
            "stripe_customer_id",
            existing_type=sa.String(length=64),
            nullable=False,
            comment=None,
        )
    for column in ("restricted_until", "restricted_at", "region"):
        op.drop_column("donors", column)
    _ledger_guard(dialect, _UNCHANGED_BEFORE)
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS consent_records_cite_notice")
        op.execute("DROP TRIGGER IF EXISTS consent_notices_no_update")
        op.execute("DROP TRIGGER IF EXISTS consent_notices_no_delete")
    elif dialect == "postgresql":
        for table in _NO_TRUNCATE:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS refuse_truncate_of_evidence()")
        op.execute("DROP TRIGGER IF EXISTS consent_records_cite_notice ON consent_records")
        op.execute("DROP FUNCTION IF EXISTS consent_records_cite_notice()")
        op.execute("DROP TRIGGER IF EXISTS consent_notices_append_only ON consent_notices")
        op.execute("DROP FUNCTION IF EXISTS consent_notices_append_only()")
    op.drop_column("consent_records", "notice_sha256")
