"""A donation: one gift (or one recurring plan's start) that a donor asked Stripe to pay.

The payments work extends this record (Stripe ids, payments, state machine); the wizard only
creates it when payment starts and the thank-you page reads its status.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checkout.core.clock import utcnow
from checkout.core.ids import new_public_id
from checkout.core.money import Money
from checkout.db import Base
from checkout.dbtypes import UtcDateTime
from checkout.wizard.models import CheckoutDraft

#: Status values; the payments work adds the transitions between them.
PENDING = "pending"  # created, payment not yet confirmed by the donor's bank or card
PROCESSING = "processing"  # a bank debit was submitted and settles in a few days
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELED = "canceled"
STATUSES = (PENDING, PROCESSING, SUCCEEDED, FAILED, CANCELED)


class Donation(Base):
    """A gift to one office, in one currency, by one method, once or as a recurring plan."""

    __tablename__ = "donations"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("fee_minor >= 0", name="fee_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32),
        unique=True,
        default=new_public_id,
        comment="Unguessable id for the thank-you URL; not the draft's cookie id",
    )
    draft_id: Mapped[int] = mapped_column(ForeignKey("checkout_drafts.id"), index=True)
    office_code: Mapped[str] = mapped_column(String(8), comment="Office that owns the gift")
    currency: Mapped[str] = mapped_column(String(3), comment="ISO 4217 code")
    amount_minor: Mapped[int] = mapped_column(comment="The gift, in minor units of currency")
    fee_minor: Mapped[int] = mapped_column(
        default=0, comment="Processing fee the donor chose to cover, minor units (added)"
    )
    frequency: Mapped[str] = mapped_column(String(10), comment="once, monthly or yearly")
    method: Mapped[str] = mapped_column(String(20), comment="Stripe payment_method type")
    status: Mapped[str] = mapped_column(String(20), default=PENDING)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    draft: Mapped[CheckoutDraft] = relationship()

    @property
    def amount(self) -> Money:
        """The gift itself."""
        return Money(self.amount_minor, self.currency)

    @property
    def total(self) -> Money:
        """What the donor is charged: the gift plus any covered fee."""
        return Money(self.amount_minor + self.fee_minor, self.currency)
