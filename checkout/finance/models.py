"""Payouts, their balance transactions, reconciliation exceptions and the sync cursor.

Every Stripe id is unique, so a webhook and a `finance sync` that bring the same payout or
transaction store it once. Amounts are integer minor units with their currency; balance
transactions are in the account's settlement currency, as Stripe books them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from checkout.core.clock import utcnow
from checkout.db import Base
from checkout.dbtypes import UtcDateTime

#: Balance transaction types that book a payment.
BOOKING_TYPES = ("charge", "payment")
#: Balance transaction types whose source is a refund (its failure returns the money).
REFUND_TYPES = ("refund", "refund_failure")


class Payout(Base):
    """Money Stripe sent (or tried to send) from an office's balance to its bank."""

    __tablename__ = "finance_payouts"
    __table_args__ = (Index("ix_finance_payouts_office_arrival", "office_code", "arrival_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_payout_id: Mapped[str] = mapped_column(String(64), unique=True, comment="po_ id")
    office_code: Mapped[str] = mapped_column(String(8), comment="Whose Stripe account paid it")
    amount_minor: Mapped[int] = mapped_column(comment="Paid to the bank, minor units")
    currency: Mapped[str] = mapped_column(String(3), comment="ISO 4217, upper case")
    status: Mapped[str] = mapped_column(
        String(16), comment="Stripe's: pending, in_transit, paid, failed, canceled"
    )
    reconciliation_status: Mapped[str] = mapped_column(
        String(16), comment="Stripe's: not_applicable, in_progress, completed"
    )
    arrival_date: Mapped[date] = mapped_column(Date, comment="Expected at the bank (UTC day)")
    stripe_created: Mapped[datetime] = mapped_column(UtcDateTime)
    failure_code: Mapped[str | None] = mapped_column(String(64))
    exchange_rates: Mapped[str | None] = mapped_column(
        String(200),
        comment="Foreign-exchange payouts: the distinct rates of its lines, decimal text",
    )
    lines_complete_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="When its balance transactions were stored in full"
    )
    # What its lines hold (its own payout transaction left out), summed each time they are
    # stored (finance/ingest.py): a payout's lines are Stripe's and do not change, and
    # summing a million of them for every look at the payouts was most of a reconciliation.
    # Null until its lines are stored.
    gross_minor: Mapped[int | None] = mapped_column(BigInteger, comment="Charges, payments")
    refunds_minor: Mapped[int | None] = mapped_column(BigInteger, comment="Refunds (negative)")
    disputes_minor: Mapped[int | None] = mapped_column(BigInteger, comment="Disputes")
    other_minor: Mapped[int | None] = mapped_column(BigInteger, comment="Anything else")
    fees_minor: Mapped[int | None] = mapped_column(BigInteger, comment="Stripe's fees")
    net_minor: Mapped[int | None] = mapped_column(BigInteger, comment="What the lines net")
    line_count: Mapped[int | None] = mapped_column(comment="How many lines it holds")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class BalanceTransaction(Base):
    """One movement in an office's Stripe balance, and what of ours it matches."""

    __tablename__ = "finance_balance_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_balance_transaction_id: Mapped[str] = mapped_column(
        String(64), unique=True, comment="txn_ id"
    )
    office_code: Mapped[str] = mapped_column(String(8), index=True)
    payout_id: Mapped[int | None] = mapped_column(
        ForeignKey("finance_payouts.id"), index=True, comment="The payout that paid it out"
    )
    type: Mapped[str] = mapped_column(
        String(32), comment="charge, payment, refund, adjustment, payout, ..."
    )
    reporting_category: Mapped[str] = mapped_column(String(32), default="")
    source_id: Mapped[str | None] = mapped_column(
        String(64), index=True, comment="The charge, refund, dispute or payout it comes from"
    )
    charge_id: Mapped[str | None] = mapped_column(
        String(64), index=True, comment="The charge behind the source (a refund's, a dispute's)"
    )
    amount_minor: Mapped[int] = mapped_column(comment="Gross, settlement currency")
    fee_minor: Mapped[int] = mapped_column(default=0)
    net_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), comment="Settlement currency, upper case")
    exchange_rate: Mapped[str | None] = mapped_column(
        String(32), comment="Decimal text, when the charge's currency was converted"
    )
    stripe_created: Mapped[datetime] = mapped_column(UtcDateTime)
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id"), index=True, comment="Our payment it books, refunds or disputes"
    )
    refund_id: Mapped[str | None] = mapped_column(String(64), comment="Stripe's re_ id")
    dispute_id: Mapped[str | None] = mapped_column(String(64), comment="Stripe's du_ id")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReconciliationException(Base):
    """Something that does not match between Stripe and our records, until it is explained.

    `key` names the mismatch (its kind and the records it is about), so finding it again on
    the next run adds nothing; `cleared_at` is set when a later run no longer finds it.
    """

    __tablename__ = "finance_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    office_code: Mapped[str] = mapped_column(String(8), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("finance_payouts.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    stripe_reference: Mapped[str | None] = mapped_column(
        String(64), comment="The Stripe object it is about (txn_, ch_, po_)"
    )
    currency: Mapped[str | None] = mapped_column(String(3))
    expected_minor: Mapped[int | None] = mapped_column(comment="What our records say")
    actual_minor: Mapped[int | None] = mapped_column(comment="What Stripe says")
    found_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, comment="The last reconciliation that found it"
    )
    cleared_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="A later reconciliation no longer found it"
    )
    explained_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    explained_by: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"))
    explanation: Mapped[str | None] = mapped_column(Text, comment="The staff member's note")


class SyncCursor(Base):
    """How far `finance sync` got for an office: resumes where a broken run stopped."""

    __tablename__ = "finance_sync_cursors"

    office_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    starting_after: Mapped[str | None] = mapped_column(
        String(64), comment="The last payout stored by a run that has not finished"
    )
    since: Mapped[date | None] = mapped_column(Date, comment="The unfinished run's --since")
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
