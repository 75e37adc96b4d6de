"""What the support console adds to a donor's record: notes, refunds asked for, and addresses a
donor confirmed for a copy of a receipt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from checkout.core.clock import utcnow
from checkout.core.ids import new_public_id
from checkout.db import Base
from checkout.dbtypes import UtcDateTime


class SupportNote(Base):
    """A note a staff member left on a donor's page."""

    __tablename__ = "support_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), index=True)
    staff_account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StaffRefund(Base):
    """A refund finance asked for: our row first, then Stripe with a key from it."""

    __tablename__ = "staff_refunds"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=new_public_id, comment="Stripe's idempotency key part"
    )
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    staff_account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    amount_minor: Mapped[int] = mapped_column(comment="Refunded, minor units of currency")
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    error: Mapped[str | None] = mapped_column(String(300), comment="Stripe's refusal, if any")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AddressConfirmation(Base):
    """A copy of a receipt for another address, waiting for the donor to confirm it by a link
    sent to the address on file."""

    __tablename__ = "support_address_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str | None] = mapped_column(
        String(64), unique=True, comment="SHA-256 of the link's token, made when it is emailed"
    )
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), index=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), index=True)
    address: Mapped[str] = mapped_column(String(320), comment="Where the copy is to go")
    staff_account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
