"""Donors, donations, their payments and recurring plans: the records that follow Stripe's truth.

Every Stripe id that identifies one of our records is unique in the database, so a retried
webhook or a double click can never attach the same charge, invoice or PaymentIntent twice.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from checkout.addresses import PostalAddress
from checkout.core.clock import utcnow
from checkout.core.ids import new_public_id
from checkout.core.money import Money
from checkout.db import Base
from checkout.dbtypes import UtcDateTime
from checkout.donations.states import Status

STATUSES = tuple(status.value for status in Status)
_STATUS_CHECK = "status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")"


class Donor(Base):
    """A person who gives to one office; details as last given (receipts keep their own copy)."""

    __tablename__ = "donors"
    __table_args__ = (UniqueConstraint("office_code", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_code: Mapped[str] = mapped_column(String(8), comment="The office this donor gives to")
    email: Mapped[str] = mapped_column(String(320), comment="Normalised address, receipts go here")
    first_name: Mapped[str] = mapped_column(String(100))
    middle_initial: Mapped[str] = mapped_column(String(1), default="")
    last_name: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2), comment="ISO 3166 alpha-2")
    address_line1: Mapped[str] = mapped_column(String(100), default="")
    address_line2: Mapped[str] = mapped_column(String(100), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    region: Mapped[str | None] = mapped_column(
        String(100), comment="State, province or region, where the country's addresses have one"
    )
    phone: Mapped[str] = mapped_column(String(20), default="", comment="E.164, or empty")
    locale: Mapped[str] = mapped_column(String(8), default="en", comment="Language for emails")
    stripe_customer_id: Mapped[str | None] = mapped_column(
        String(64), unique=True, comment="Customer in the office's Stripe account"
    )
    erased_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="Personal data erased after the office's retention period"
    )
    restricted_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="Erasure asked for: only what tax law needs is kept, for nothing else"
    )
    restricted_until: Mapped[date | None] = mapped_column(
        Date, comment="Restricted data is erased after this day (the end of the tax period)"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    @property
    def full_name(self) -> str:
        """First name, middle initial and last name, as a receipt prints them."""
        middle = f" {self.middle_initial}." if self.middle_initial else ""
        return f"{self.first_name}{middle} {self.last_name}"

    @property
    def postal_address(self) -> PostalAddress:
        """The address for checkout/addresses (postal order, the country's required fields)."""
        return PostalAddress(
            country=self.country,
            street_lines=(self.address_line1, self.address_line2),
            city=self.city,
            postcode=self.postcode,
            region=self.region or "",
        )


class Donation(Base):
    """A gift to one office: once (a PaymentIntent) or recurring (a RecurringPlan)."""

    __tablename__ = "donations"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("fee_minor >= 0", name="fee_not_negative"),
        CheckConstraint(_STATUS_CHECK, name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32),
        unique=True,
        default=new_public_id,
        comment="Unguessable id for the thank-you URL; not the draft's cookie id",
    )
    draft_id: Mapped[int] = mapped_column(
        ForeignKey("checkout_drafts.id"),
        unique=True,
        comment="One donation per draft: concurrent pay clicks cannot make two",
    )
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"), index=True)
    office_code: Mapped[str] = mapped_column(String(8), comment="Office that owns the gift")
    currency: Mapped[str] = mapped_column(String(3), comment="ISO 4217 code")
    amount_minor: Mapped[int] = mapped_column(comment="The gift, in minor units of currency")
    fee_minor: Mapped[int] = mapped_column(
        default=0, comment="Processing fee the donor chose to cover, minor units (added)"
    )
    frequency: Mapped[str] = mapped_column(String(10), comment="once, monthly or yearly")
    method: Mapped[str] = mapped_column(String(20), comment="Stripe payment_method type")
    status: Mapped[str] = mapped_column(String(20), default=Status.PENDING.value)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(
        String(64), unique=True, comment="One-time gifts: the PaymentIntent"
    )
    gift_aid_declared_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="UK: when the donor made the Gift Aid declaration for this gift"
    )
    gift_aid_cancelled_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="UK: when the donor cancelled it; later payments claim no Gift Aid"
    )
    stripe_client_secret: Mapped[str | None] = mapped_column(
        String(200), comment="Lets the pay page confirm; never logged"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    donor: Mapped[Donor | None] = relationship()
    plan: Mapped[RecurringPlan | None] = relationship(back_populates="donation")
    payments: Mapped[list[Payment]] = relationship(back_populates="donation", order_by="Payment.id")

    @property
    def amount(self) -> Money:
        """The gift itself."""
        return Money(self.amount_minor, self.currency)

    @property
    def total(self) -> Money:
        """What the donor is charged each time: the gift plus any covered fee."""
        return Money(self.amount_minor + self.fee_minor, self.currency)

    @property
    def is_recurring(self) -> bool:
        """Monthly or yearly."""
        return self.frequency != "once"


class RecurringPlan(Base):
    """A monthly or yearly gift: a Stripe Subscription and the payments it makes."""

    __tablename__ = "recurring_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), unique=True)
    stripe_subscription_id: Mapped[str] = mapped_column(String(64), unique=True)
    first_payment_intent_id: Mapped[str | None] = mapped_column(
        String(64), unique=True, comment="The first invoice's PaymentIntent, confirmed by us"
    )
    stripe_customer_id: Mapped[str | None] = mapped_column(
        String(64), index=True, comment="Blank once the Customer was deleted at erasure"
    )
    status: Mapped[str] = mapped_column(
        String(24), comment="Stripe's subscription status: incomplete, active, past_due, ..."
    )
    interval: Mapped[str] = mapped_column(String(8), comment="month or year")
    mandate_reference: Mapped[str | None] = mapped_column(
        String(64), index=True, comment="SEPA mandate reference, told to the donor before debits"
    )
    mandate_revoked_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="When the donor's bank reported the mandate revoked"
    )
    current_period_end: Mapped[datetime | None] = mapped_column(UtcDateTime)
    pause_collection: Mapped[str | None] = mapped_column(
        String(24), comment="Stripe's pause_collection behavior while paused (void, ...), or none"
    )
    paused_until: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="While paused: when collection resumes by itself, if set"
    )
    canceled_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="When the plan ended (not when an end at period end was asked for)"
    )
    cancel_at_period_end: Mapped[bool] = mapped_column(
        default=False,
        server_default=false(),
        comment="Cancelled by request: it still debits until its period ends",
    )
    cancel_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="When a plan cancelled at period end stops (Stripe's cancel_at)"
    )
    amount_minor: Mapped[int | None] = mapped_column(
        comment="Charged each period now (gift plus any covered fee), minor units, as Stripe "
        "has it after a change; None: the donation's total"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    donation: Mapped[Donation] = relationship(back_populates="plan")

    @property
    def per_period(self) -> Money:
        """What each period's debit charges now."""
        if self.amount_minor is None:
            return self.donation.total
        return Money(self.amount_minor, self.donation.currency)


class Payment(Base):
    """Money that moved (or is moving): one per one-time gift, one per paid instalment."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("refunded_minor >= 0", name="refunded_not_negative"),
        CheckConstraint(_STATUS_CHECK, name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), index=True)
    # The office whose Stripe account took the money: its donation's, which never changes.
    # Kept here so that finance can tell an office's payments apart in a scan of payments
    # alone, without joining a million donations to them (finance/reconciliation.py).
    office_code: Mapped[str] = mapped_column(
        String(8), comment="The office whose Stripe account took it (the donation's)"
    )
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("recurring_plans.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    amount_minor: Mapped[int] = mapped_column(comment="Charged, minor units of currency")
    currency: Mapped[str] = mapped_column(String(3))
    refunded_minor: Mapped[int] = mapped_column(default=0, comment="Refunded so far, minor units")
    refund_reason: Mapped[str | None] = mapped_column(
        String(32),
        comment="Stripe's refund reason: duplicate, fraudulent, requested_by_customer",
    )
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    stripe_charge_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    stripe_invoice_id: Mapped[str | None] = mapped_column(
        String(64), unique=True, comment="Recurring instalments: the paid invoice"
    )
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(64), index=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    stripe_balance_transaction_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    stripe_failure_balance_transaction_id: Mapped[str | None] = mapped_column(
        String(64),
        unique=True,
        comment="A failed debit: the balance transaction reversing its submission",
    )
    card_last4: Mapped[str | None] = mapped_column(
        String(4),
        index=True,
        comment="Last four digits of the card (or account) charged, for support",
    )
    card_brand: Mapped[str | None] = mapped_column(String(20), comment="visa, mastercard, ...")
    fee_minor: Mapped[int | None] = mapped_column(
        comment="Stripe's fee, minor units of the settlement currency"
    )
    net_minor: Mapped[int | None] = mapped_column(comment="What reaches the office, settlement")
    settlement_currency: Mapped[str | None] = mapped_column(String(3))
    exchange_rate: Mapped[str | None] = mapped_column(
        String(32), comment="Decimal text; set when settlement currency differs"
    )
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    receipt_due_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="When the payment succeeded and a receipt became due"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    donation: Mapped[Donation] = relationship(back_populates="payments")
    plan: Mapped[RecurringPlan | None] = relationship()

    @validates("donation")
    def _takes_the_donations_office(self, _key: str, donation: Donation) -> Donation:
        """A payment belongs to its donation's office from the moment it is made for it."""
        self.office_code = donation.office_code
        return donation
