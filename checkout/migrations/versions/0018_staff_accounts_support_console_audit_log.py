"""Staff accounts and their second factors, the support console's rows, the append-only
audit log, card last four and brand on payments, and paused collection on plans.

The audit log is evidence, like the consent ledger (0008): the database refuses UPDATE and
DELETE on its rows (and TRUNCATE on PostgreSQL), whoever asks, with one exception: erasure of
a donor, which blanks the free text (reason, detail) of a row and, where the donor acted, the
hash of their address, and changes nothing else.

Revision ID: 0018
Revises: 0019
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime

revision = "0018"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False, comment="Lower-cased"),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column(
            "password_hash",
            sa.String(length=200),
            nullable=True,
            comment="Argon2id; empty until enrolment",
        ),
        sa.Column(
            "totp_secret",
            sa.String(length=64),
            nullable=True,
            comment="Base32 RFC 6238 secret; set once the first code was right",
        ),
        sa.Column(
            "totp_last_step",
            sa.Integer(),
            nullable=True,
            comment="The 30-second step of the last code accepted: a code is good once",
        ),
        sa.Column(
            "webauthn_user_handle",
            sa.String(length=64),
            nullable=False,
            comment="Random, base64url; what passkeys know the person as",
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "session_generation",
            sa.Integer(),
            nullable=False,
            comment="Raised to end every session at once (sign out everywhere)",
        ),
        sa.Column(
            "enrolment_token_hash",
            sa.String(length=64),
            nullable=True,
            comment="SHA-256 of the one-time enrolment link's token",
        ),
        sa.Column("enrolment_expires_at", UtcDateTime(), nullable=True),
        sa.Column("enrolled_at", UtcDateTime(), nullable=True),
        sa.Column("deactivated_at", UtcDateTime(), nullable=True),
        sa.Column("last_sign_in_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_accounts_email")),
        sa.UniqueConstraint(
            "enrolment_token_hash", name=op.f("uq_staff_accounts_enrolment_token_hash")
        ),
        sa.UniqueConstraint(
            "webauthn_user_handle", name=op.f("uq_staff_accounts_webauthn_user_handle")
        ),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column(
            "actor_kind",
            sa.String(length=10),
            nullable=False,
            comment="staff, donor, system, anonymous",
        ),
        sa.Column(
            "staff_account_id",
            sa.Integer(),
            nullable=True,
            comment="The staff member who acted, if one",
        ),
        sa.Column(
            "action",
            sa.String(length=64),
            nullable=False,
            comment="e.g. staff.sign_in, support.search, support.refund",
        ),
        sa.Column("outcome", sa.String(length=8), nullable=False, comment="ok, denied, failed"),
        sa.Column(
            "office_code",
            sa.String(length=8),
            nullable=True,
            comment="The office whose data this touched, if one",
        ),
        sa.Column(
            "donor_id",
            sa.Integer(),
            nullable=True,
            comment="The donor looked at or acted for, if one",
        ),
        sa.Column(
            "object_type",
            sa.String(length=32),
            nullable=True,
            comment="receipt, payment, plan, outbox, staff_account, ...",
        ),
        sa.Column("object_id", sa.String(length=64), nullable=True, comment="Its id or number"),
        sa.Column(
            "reason",
            sa.Text(),
            nullable=False,
            comment="Why, as the person wrote it (blanked when the donor is erased)",
        ),
        sa.Column(
            "detail",
            sa.Text(),
            nullable=False,
            comment="Search terms and the like (blanked when the donor is erased)",
        ),
        sa.Column(
            "ip_hash",
            sa.String(length=64),
            nullable=True,
            comment="Keyed hash of the client address (EVIDENCE_HASH_KEY), never the IP",
        ),
        sa.CheckConstraint(
            "actor_kind IN ('staff', 'donor', 'system', 'anonymous')",
            name=op.f("ck_audit_events_actor_kind_known"),
        ),
        sa.CheckConstraint(
            "outcome IN ('ok', 'denied', 'failed')", name=op.f("ck_audit_events_outcome_known")
        ),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donors.id"], name=op.f("fk_audit_events_donor_id_donors")
        ),
        sa.ForeignKeyConstraint(
            ["staff_account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_audit_events_staff_account_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_donor_id"), ["donor_id"], unique=False)
        batch_op.create_index("ix_audit_events_occurred_at", ["occurred_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_events_office_code"), ["office_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_events_staff_account_id"), ["staff_account_id"], unique=False
        )

    op.create_table(
        "staff_offices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("office_code", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_offices_account_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_offices")),
        sa.UniqueConstraint(
            "account_id", "office_code", name=op.f("uq_staff_offices_account_id_office_code")
        ),
    )
    with op.batch_alter_table("staff_offices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_offices_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "staff_passkeys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False, comment="base64url"),
        sa.Column("public_key", sa.LargeBinary(), nullable=False, comment="COSE public key"),
        sa.Column("sign_count", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False, comment="Chosen by its owner"),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_used_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_passkeys_account_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_passkeys")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_staff_passkeys_credential_id")),
    )
    with op.batch_alter_table("staff_passkeys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_passkeys_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "staff_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "code_hash", sa.String(length=200), nullable=False, comment="Argon2id of the code"
        ),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_recovery_codes_account_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_recovery_codes")),
    )
    with op.batch_alter_table("staff_recovery_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_recovery_codes_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "staff_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "role IN ('support', 'finance', 'admin')", name=op.f("ck_staff_roles_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_roles_account_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_roles")),
        sa.UniqueConstraint("account_id", "role", name=op.f("uq_staff_roles_account_id_role")),
    )
    with op.batch_alter_table("staff_roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_roles_account_id"), ["account_id"], unique=False)

    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False, comment="SHA-256 of token"),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "generation",
            sa.Integer(),
            nullable=False,
            comment="The account's session generation at start",
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.Column(
            "second_factor_at",
            UtcDateTime(),
            nullable=False,
            comment="Last proof of the second factor (re-auth)",
        ),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column(
            "ip_hash", sa.String(length=64), nullable=True, comment="Keyed hash, never the IP"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_sessions_account_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_sessions_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "support_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("staff_account_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donors.id"], name=op.f("fk_support_notes_donor_id_donors")
        ),
        sa.ForeignKeyConstraint(
            ["staff_account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_support_notes_staff_account_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_notes")),
    )
    with op.batch_alter_table("support_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_notes_donor_id"), ["donor_id"], unique=False)

    op.create_table(
        "support_address_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "token_hash",
            sa.String(length=64),
            nullable=True,
            comment="SHA-256 of the link's token, made when it is emailed",
        ),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column(
            "address", sa.String(length=320), nullable=False, comment="Where the copy is to go"
        ),
        sa.Column("staff_account_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("confirmed_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["donor_id"],
            ["donors.id"],
            name=op.f("fk_support_address_confirmations_donor_id_donors"),
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["receipts.id"],
            name=op.f("fk_support_address_confirmations_receipt_id_receipts"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_support_address_confirmations_staff_account_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_address_confirmations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_support_address_confirmations_token_hash")),
    )
    with op.batch_alter_table("support_address_confirmations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_support_address_confirmations_donor_id"), ["donor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_support_address_confirmations_receipt_id"), ["receipt_id"], unique=False
        )

    op.create_table(
        "staff_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "public_id",
            sa.String(length=32),
            nullable=False,
            comment="Stripe's idempotency key part",
        ),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("staff_account_id", sa.Integer(), nullable=False),
        sa.Column(
            "amount_minor",
            sa.Integer(),
            nullable=False,
            comment="Refunded, minor units of currency",
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("stripe_refund_id", sa.String(length=64), nullable=True),
        sa.Column(
            "error", sa.String(length=300), nullable=True, comment="Stripe's refusal, if any"
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_staff_refunds_amount_positive")),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_staff_refunds_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["staff_account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_refunds_staff_account_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_refunds")),
        sa.UniqueConstraint("public_id", name=op.f("uq_staff_refunds_public_id")),
        sa.UniqueConstraint("stripe_refund_id", name=op.f("uq_staff_refunds_stripe_refund_id")),
    )
    with op.batch_alter_table("staff_refunds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_refunds_payment_id"), ["payment_id"], unique=False
        )

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "card_last4",
                sa.String(length=4),
                nullable=True,
                comment="Last four digits of the card (or account) charged, for support",
            )
        )
        batch_op.add_column(
            sa.Column(
                "card_brand", sa.String(length=20), nullable=True, comment="visa, mastercard, ..."
            )
        )
        batch_op.create_index(batch_op.f("ix_payments_card_last4"), ["card_last4"], unique=False)

    with op.batch_alter_table("recurring_plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "pause_collection",
                sa.String(length=24),
                nullable=True,
                comment="Stripe's pause_collection behavior while paused (void, ...), or none",
            )
        )

    _keep_the_audit_log_append_only()


# Every column but the erasable ones must stay as it was; the erasable ones may only be blanked.
_UNCHANGED = (
    "id",
    "occurred_at",
    "actor_kind",
    "staff_account_id",
    "action",
    "outcome",
    "office_code",
    "donor_id",
    "object_type",
    "object_id",
)


def _erasure(same: str) -> str:
    """The one UPDATE the log accepts: blank the free text (and a donor's address hash)."""
    unchanged = " AND ".join(f"NEW.{column} {same} OLD.{column}" for column in _UNCHANGED)
    blanked = f"NEW.reason = '' AND NEW.detail = '' AND (NEW.ip_hash IS NULL OR NEW.ip_hash {same} OLD.ip_hash)"
    return f"{blanked} AND {unchanged}"


_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER audit_events_no_update
    BEFORE UPDATE ON audit_events
    WHEN NOT ({_erasure("IS")})
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only (erasure aside)'); END""",
    """CREATE TRIGGER audit_events_no_delete
    BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
)
_POSTGRES_STATEMENTS = (
    f"""CREATE FUNCTION audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND {_erasure("IS NOT DISTINCT FROM")} THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only (erasure aside)';
    END $$""",
    """CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
    """CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()""",
)


def _keep_the_audit_log_append_only() -> None:
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": _SQLITE_TRIGGERS, "postgresql": _POSTGRES_STATEMENTS}
    for statement in statements.get(dialect, ()):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    with op.batch_alter_table("recurring_plans", schema=None) as batch_op:
        batch_op.drop_column("pause_collection")

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_card_last4"))
        batch_op.drop_column("card_brand")
        batch_op.drop_column("card_last4")

    with op.batch_alter_table("staff_refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_refunds_payment_id"))

    op.drop_table("staff_refunds")
    with op.batch_alter_table("support_address_confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_address_confirmations_receipt_id"))
        batch_op.drop_index(batch_op.f("ix_support_address_confirmations_donor_id"))

    op.drop_table("support_address_confirmations")
    with op.batch_alter_table("support_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_notes_donor_id"))

    op.drop_table("support_notes")
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sessions_account_id"))

    op.drop_table("staff_sessions")
    with op.batch_alter_table("staff_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_roles_account_id"))

    op.drop_table("staff_roles")
    with op.batch_alter_table("staff_recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_recovery_codes_account_id"))

    op.drop_table("staff_recovery_codes")
    with op.batch_alter_table("staff_passkeys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_passkeys_account_id"))

    op.drop_table("staff_passkeys")
    with op.batch_alter_table("staff_offices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_offices_account_id"))

    op.drop_table("staff_offices")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_staff_account_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_office_code"))
        batch_op.drop_index("ix_audit_events_occurred_at")
        batch_op.drop_index(batch_op.f("ix_audit_events_donor_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_action"))

    op.drop_table("audit_events")
    op.drop_table("staff_accounts")
