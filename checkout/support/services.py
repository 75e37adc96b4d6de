"""What support and finance do for a donor, each through the feature that owns it: receipts
resend and correct, payments cancel, pause and refund, the outbox retries. Services take a
Session and plain values; no Flask here. The caller writes the audit event and commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.core.clock import as_utc
from checkout.core.errors import CheckoutError
from checkout.core.money import Money
from checkout.donations.models import Donor, Payment, RecurringPlan
from checkout.donations.states import MONEY_KEPT, Status
from checkout.outbox.models import DEAD, PENDING, OutboxMessage
from checkout.outbox.registry import enqueue
from checkout.payments import services as payment_services
from checkout.payments.gateway import GatewayError, PaymentGateway
from checkout.payments.sync import record_subscription
from checkout.receipts import services as receipts
from checkout.receipts.models import ISSUED, Receipt
from checkout.staff.services import token_hash
from checkout.support.models import AddressConfirmation, StaffRefund, SupportNote

#: The outbox message that emails the donor the link to confirm another address.
COPY_LINK = "support.copy_link"


class ActionRefused(CheckoutError):
    """An action that cannot be done now; `code` says why, for a message in the page."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def add_note(session: Session, donor: Donor, staff_account_id: int, text: str) -> SupportNote:
    """A note on the donor's page."""
    note = SupportNote(donor_id=donor.id, staff_account_id=staff_account_id, text=text.strip())
    session.add(note)
    session.flush()
    return note


# --- receipts -----------------------------------------------------------------------------------


def _sendable(receipt: Receipt) -> None:
    if receipt.status != ISSUED:
        raise ActionRefused("receipt_void")
    if receipt.pdf is None:
        raise ActionRefused("receipt_not_rendered")


def resend_receipt(session: Session, receipt: Receipt) -> None:
    """Email the receipt's stored PDF to the donor again: the same bytes, the same Message-ID."""
    _sendable(receipt)
    receipts.resend(session, receipt)


def request_copy(
    session: Session,
    receipt: Receipt,
    address: str,
    staff_account_id: int,
    now: datetime,
    valid_for: timedelta,
) -> AddressConfirmation:
    """A copy for another address waits until the donor confirms it by a link, which the
    outbox emails to the address on file (a stranger cannot ask for a donor's receipt)."""
    _sendable(receipt)
    confirmation = AddressConfirmation(
        receipt_id=receipt.id,
        donor_id=receipt.donor_id,
        address=address.strip(),
        staff_account_id=staff_account_id,
        expires_at=now + valid_for,
    )
    session.add(confirmation)
    session.flush()
    enqueue(
        session, COPY_LINK, f"copy-link-{confirmation.id}", {"confirmation_id": confirmation.id}
    )
    return confirmation


def new_copy_token(confirmation: AddressConfirmation) -> str:
    """The random token of the link in the donor's email; only its hash is kept (a new email
    makes a new token, and the older link stops working)."""
    token = secrets.token_urlsafe(32)
    confirmation.token_hash = token_hash(token)
    return token


def copy_for_token(session: Session, token: str, now: datetime) -> AddressConfirmation | None:
    """The unconfirmed, unexpired request a link's token belongs to."""
    found = session.scalar(
        select(AddressConfirmation).where(AddressConfirmation.token_hash == token_hash(token))
    )
    if found is None or found.confirmed_at is not None or as_utc(found.expires_at) <= now:
        return None
    return found


def confirm_copy(session: Session, confirmation: AddressConfirmation, now: datetime) -> Receipt:
    """The donor confirmed: the stored PDF goes to the other address, once."""
    receipt = session.get(Receipt, confirmation.receipt_id)
    assert receipt is not None
    _sendable(receipt)
    receipts.resend(session, receipt, to=confirmation.address)
    confirmation.confirmed_at = now
    return receipt


@dataclass(frozen=True, slots=True)
class DonorCorrection:
    """A donor's name and address as they should be printed."""

    first_name: str
    middle_initial: str
    last_name: str
    address_line1: str
    address_line2: str
    postcode: str
    city: str


def correct_receipt(
    session: Session,
    receipt: Receipt,
    correction: DonorCorrection,
    reason: str,
    ctx: receipts.ReceiptContext,
) -> Receipt | None:
    """Fix the donor's name or address, void the receipt and issue a replacement citing it;
    the replacement is emailed to the donor as every new receipt is."""
    if receipt.status != ISSUED:
        raise ActionRefused("receipt_void")
    donor = session.get(Donor, receipt.donor_id)
    assert donor is not None
    for name in DonorCorrection.__slots__:
        setattr(donor, name, getattr(correction, name).strip())
    return receipts.void_and_reissue(session, receipt, reason, ctx)


# --- recurring gifts ----------------------------------------------------------------------------


def _live(plan: RecurringPlan) -> None:
    if plan.status in ("canceled", "incomplete_expired"):
        raise ActionRefused("plan_ended")


def cancel_plan(plan: RecurringPlan, gateway: PaymentGateway) -> None:
    """Stop the recurring gift at Stripe now; its webhook brings the rest of our state along."""
    _live(plan)
    try:
        payment_services.cancel_recurring(plan, gateway)
    except GatewayError:
        raise ActionRefused("gateway") from None


def pause_plan(plan: RecurringPlan, gateway: PaymentGateway, pause: bool) -> None:
    """Pause (each period's invoice voided) or resume collection at Stripe."""
    _live(plan)
    office, subscription = plan.donation.office_code, plan.stripe_subscription_id
    try:
        state = (
            gateway.pause_recurring(office, subscription)
            if pause
            else gateway.resume_recurring(office, subscription)
        )
    except GatewayError:
        raise ActionRefused("gateway") from None
    record_subscription(plan, state)


# --- refunds ------------------------------------------------------------------------------------


def refundable(payment: Payment) -> Money:
    """What is left to refund of a payment."""
    if Status(payment.status) not in MONEY_KEPT or not payment.stripe_payment_intent_id:
        return Money(0, payment.currency)
    return Money(payment.amount_minor - payment.refunded_minor, payment.currency)


def plan_refund(
    session: Session,
    payment: Payment,
    amount: Money | None,
    reason: str,
    staff_account_id: int,
) -> StaffRefund:
    """Our row for a refund, written (and committed by the caller) before Stripe is asked."""
    left = refundable(payment)
    wanted = amount or left
    if left.minor <= 0:
        raise ActionRefused("not_refundable")
    if wanted.currency != left.currency or not 0 < wanted.minor <= left.minor:
        raise ActionRefused("too_much")
    refund = StaffRefund(
        payment_id=payment.id,
        staff_account_id=staff_account_id,
        amount_minor=wanted.minor,
        currency=wanted.currency,
        reason=reason.strip(),
    )
    session.add(refund)
    session.flush()
    return refund


def send_refund(refund: StaffRefund, payment: Payment, gateway: PaymentGateway) -> None:
    """Ask Stripe for the refund with a key from our row (a retry cannot refund twice); the
    charge.refunded webhook then moves the payment and voids or replaces its receipt."""
    assert payment.stripe_payment_intent_id is not None
    try:
        refund.stripe_refund_id = gateway.refund(
            payment.donation.office_code,
            payment.stripe_payment_intent_id,
            Money(refund.amount_minor, refund.currency),
            f"staff-refund-{refund.public_id}",
        )
    except GatewayError as error:
        refund.error = str(error)[:300]
        raise ActionRefused("gateway") from None


# --- the outbox ---------------------------------------------------------------------------------


def retry_dead(message: OutboxMessage, now: datetime) -> None:
    """Give a dead message another full set of tries, starting now."""
    if message.status != DEAD:
        raise ActionRefused("not_dead")
    message.status, message.attempts, message.available_at = PENDING, 0, now
