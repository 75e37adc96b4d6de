"""The donor portal's sign-in links, sessions and changes to recurring gifts; sign-ups waiting
for their confirmation; and each recurring plan's amount, and the end of a pause, as Stripe
has them after a change.

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from checkout.dbtypes import UtcDateTime

revision = "0021"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _sign_in_links()
    _sessions()
    _plan_changes()
    _pending_signups()
    with op.batch_alter_table("recurring_plans") as batch:
        batch.add_column(
            sa.Column(
                "paused_until",
                UtcDateTime(),
                nullable=True,
                comment="While paused: when collection resumes by itself, if set",
            )
        )
        batch.add_column(
            sa.Column(
                "amount_minor",
                sa.Integer(),
                nullable=True,
                comment="Charged each period now (gift plus any covered fee), minor units, as "
                "Stripe has it after a change; None: the donation's total",
            )
        )


def _sign_in_links() -> None:
    op.create_table(
        "portal_sign_in_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "public_id", sa.String(length=32), nullable=False, comment="Names the outbox message"
        ),
        sa.Column("email", sa.String(length=320), nullable=False, comment="As typed, lower-cased"),
        sa.Column(
            "language",
            sa.String(length=8),
            nullable=False,
            comment="Of the page: the email's language",
        ),
        sa.Column(
            "token_hash",
            sa.String(length=64),
            nullable=True,
            comment="SHA-256 of the link's token; none for unknown addresses",
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("used_at", UtcDateTime(), nullable=True, comment="Single use"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sign_in_links")),
        sa.UniqueConstraint("public_id", name=op.f("uq_portal_sign_in_links_public_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_sign_in_links_token_hash")),
    )
    with op.batch_alter_table("portal_sign_in_links") as batch:
        batch.create_index(batch.f("ix_portal_sign_in_links_created_at"), ["created_at"])


def _sessions() -> None:
    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "token_hash", sa.String(length=64), nullable=False, comment="SHA-256 of token"
        ),
        sa.Column(
            "email",
            sa.String(length=320),
            nullable=False,
            comment="The address the link was sent to",
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column(
            "ip_hash", sa.String(length=64), nullable=True, comment="Keyed hash, never the IP"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_sessions_token_hash")),
    )
    with op.batch_alter_table("portal_sessions") as batch:
        batch.create_index(batch.f("ix_portal_sessions_created_at"), ["created_at"])


def _plan_changes() -> None:
    op.create_table(
        "portal_plan_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "public_id",
            sa.String(length=32),
            nullable=False,
            comment="Stripe idempotency key source",
        ),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=8),
            nullable=False,
            comment="amount, pause, resume, cancel, method",
        ),
        sa.Column(
            "amount_minor",
            sa.Integer(),
            nullable=True,
            comment="amount: the new charge per period (gift plus any covered fee), minor units",
        ),
        sa.Column(
            "resumes_at",
            UtcDateTime(),
            nullable=True,
            comment="pause: when collection resumes by itself",
        ),
        sa.Column("setup_intent_id", sa.String(length=64), nullable=True),
        sa.Column(
            "method_type", sa.String(length=20), nullable=True, comment="method: the new type"
        ),
        sa.Column(
            "last4", sa.String(length=4), nullable=True, comment="method: its last four digits"
        ),
        sa.Column("brand", sa.String(length=20), nullable=True, comment="method: a card's brand"),
        sa.Column(
            "status",
            sa.String(length=32),
            nullable=False,
            comment="started, done, failed, or a SetupIntent's status",
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column(
            "finished_at", UtcDateTime(), nullable=True, comment="When Stripe confirmed the change"
        ),
        sa.CheckConstraint(
            "kind IN ('amount', 'pause', 'resume', 'cancel', 'method')",
            name=op.f("ck_portal_plan_changes_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["recurring_plans.id"],
            name=op.f("fk_portal_plan_changes_plan_id_recurring_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_plan_changes")),
        sa.UniqueConstraint("public_id", name=op.f("uq_portal_plan_changes_public_id")),
        sa.UniqueConstraint(
            "setup_intent_id", name=op.f("uq_portal_plan_changes_setup_intent_id")
        ),
    )
    with op.batch_alter_table("portal_plan_changes") as batch:
        batch.create_index(batch.f("ix_portal_plan_changes_plan_id"), ["plan_id"])


def _pending_signups() -> None:
    op.create_table(
        "pending_signups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "public_id", sa.String(length=32), nullable=False, comment="Names the outbox message"
        ),
        sa.Column("office_code", sa.String(length=8), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False, comment="Lower-cased"),
        sa.Column("country", sa.String(length=2), nullable=False, comment="ISO 3166 alpha-2"),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "notice_id", sa.Integer(), nullable=False, comment="The exact text the form showed"
        ),
        sa.Column(
            "ip_hash", sa.String(length=64), nullable=True, comment="Keyed hash, never the IP"
        ),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column(
            "token_hash",
            sa.String(length=64),
            nullable=True,
            comment="SHA-256 of the confirmation link's token",
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["consent_notices.id"],
            name=op.f("fk_pending_signups_notice_id_consent_notices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_signups")),
        sa.UniqueConstraint("public_id", name=op.f("uq_pending_signups_public_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pending_signups_token_hash")),
    )
    with op.batch_alter_table("pending_signups") as batch:
        batch.create_index(batch.f("ix_pending_signups_created_at"), ["created_at"])


def downgrade() -> None:
    with op.batch_alter_table("recurring_plans") as batch:
        batch.drop_column("amount_minor")
        batch.drop_column("paused_until")
    op.drop_table("pending_signups")
    op.drop_table("portal_plan_changes")
    op.drop_table("portal_sessions")
    op.drop_table("portal_sign_in_links")
