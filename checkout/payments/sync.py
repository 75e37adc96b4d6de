"""Bring our records in line with Stripe's objects, re-fetched, so event order does not matter.

Every handler reads the object's current state from Stripe and moves our record through the
state machine towards it. An old event arriving late therefore carries no old state: it only
triggers another look at the present.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.consent import services as consent
from checkout.consent.implied import queue_gift_kept
from checkout.core.clock import utcnow
from checkout.donations.models import Donation, Payment, RecurringPlan
from checkout.donations.states import MONEY_KEPT, Status, decide
from checkout.outbox.registry import enqueue
from checkout.payments.gateway import (
    ChargeState,
    PaymentGateway,
    PaymentIntentState,
    SubscriptionState,
)

log = logging.getLogger(__name__)

#: Stripe PaymentIntent status -> ours.
INTENT_STATUS = {
    "requires_payment_method": Status.PENDING,
    "requires_confirmation": Status.PENDING,
    "requires_action": Status.PENDING,
    "requires_capture": Status.PROCESSING,
    "processing": Status.PROCESSING,
    "succeeded": Status.SUCCEEDED,
    "canceled": Status.CANCELED,
}


def intent_status(intent: PaymentIntentState) -> Status:
    """Our status for a PaymentIntent: a declined attempt waiting for another is failed."""
    if intent.status == "requires_payment_method" and intent.error_code:
        return Status.FAILED
    return INTENT_STATUS.get(intent.status, Status.PENDING)


def charge_status(charge: ChargeState) -> Status:
    """A settled payment's status after refunds and disputes."""
    if charge.dispute_status == "lost":
        return Status.LOST
    if charge.amount_refunded_minor >= charge.amount.minor:
        return Status.REFUNDED
    if charge.dispute_status not in (None, "won", "warning_closed"):
        return Status.DISPUTED
    if charge.amount_refunded_minor > 0:
        return Status.PARTIALLY_REFUNDED
    return Status.WON if charge.dispute_status == "won" else Status.SUCCEEDED


def move(record: Donation | Payment, target: Status) -> bool:
    """Move `record` to `target` through the state machine; False when there was nothing to do."""
    if not decide(Status(record.status), target):
        return False
    record.status = target.value
    return True


def sync_one_time(session: Session, donation: Donation, gateway: PaymentGateway) -> None:
    """Fetch the donation's PaymentIntent (and charge) and apply what Stripe says now."""
    assert donation.stripe_payment_intent_id is not None
    intent = gateway.payment_intent(donation.office_code, donation.stripe_payment_intent_id)
    target = intent_status(intent)
    if target in (Status.PROCESSING, Status.SUCCEEDED) or intent.latest_charge_id:
        payment = _payment_for_intent(session, donation, intent)
        if intent.latest_charge_id and target == Status.SUCCEEDED:
            charge = gateway.charge(donation.office_code, intent.latest_charge_id)
            record_charge(payment, charge)
            target = charge_status(charge)
        move(payment, target)
        mark_receipt_due(session, payment)
    move(donation, target)


def _payment_for_intent(
    session: Session, donation: Donation, intent: PaymentIntentState
) -> Payment:
    payment = session.scalar(select(Payment).where(Payment.stripe_payment_intent_id == intent.id))
    if payment is None:
        payment = Payment(
            donation=donation,
            status=Status.PENDING.value,
            amount_minor=intent.amount.minor,
            currency=intent.amount.currency,
            stripe_payment_intent_id=intent.id,
        )
        session.add(payment)
    return payment


def record_charge(payment: Payment, charge: ChargeState) -> None:
    """What finance needs from the charge: ids, fee, net, refunds and why, when it was paid."""
    payment.stripe_charge_id = charge.id
    payment.refunded_minor = charge.amount_refunded_minor
    payment.refund_reason = charge.refund_reason
    payment.card_last4, payment.card_brand = charge.last4, charge.brand
    payment.paid_at = payment.paid_at or datetime.fromtimestamp(charge.paid_at, UTC)
    if charge.balance is not None:
        payment.stripe_balance_transaction_id = charge.balance.id
        payment.fee_minor, payment.net_minor = charge.balance.fee_minor, charge.balance.net_minor
        payment.settlement_currency = charge.balance.currency
        payment.exchange_rate = charge.balance.exchange_rate


#: Outbox message names the receipts feature registers handlers for.
ISSUE_RECEIPT = "receipts.issue"
PLAN_STARTED = "payments.plan_started"
REVISE_RECEIPT = "receipts.revise"


def mark_receipt_due(session: Session, payment: Payment) -> None:
    """Once the money is kept, queue its receipt (the outbox runs it after this commits)."""
    if Status(payment.status) in MONEY_KEPT and payment.receipt_due_at is None:
        payment.receipt_due_at = utcnow()
        session.flush()
        enqueue(
            session, ISSUE_RECEIPT, f"receipt-for-payment-{payment.id}", {"payment_id": payment.id}
        )
        consent.queue_confirmation(session, payment.donation_id)
        queue_gift_kept(session, payment.id)


def revise_receipt(session: Session, payment: Payment) -> None:
    """A refund or lost dispute changed what was kept: void (and maybe reissue) its receipt."""
    session.flush()
    enqueue(
        session,
        REVISE_RECEIPT,
        f"revise-receipt-{payment.id}-{payment.status}-{payment.refunded_minor}",
        {"payment_id": payment.id},
    )


#: Moves after which the receipt no longer states what the charity kept.
_REVISING = frozenset({Status.PARTIALLY_REFUNDED, Status.REFUNDED, Status.LOST})


def sync_charge(session: Session, office: str, charge_id: str, gateway: PaymentGateway) -> bool:
    """A refund or dispute moved: re-read the charge and move its payment and donation.

    False when the charge belongs to no payment of ours (made outside the checkout).
    """
    charge = gateway.charge(office, charge_id)
    payment = _payment_for_charge(session, charge)
    if payment is None:
        return _sync_unseen_charge(session, office, charge, gateway)
    record_charge(payment, charge)
    target = charge_status(charge)
    if move(payment, target) and target in _REVISING:
        revise_receipt(session, payment)
    if not payment.donation.is_recurring:
        move(payment.donation, target)
    return True


def _sync_unseen_charge(
    session: Session, office: str, charge: ChargeState, gateway: PaymentGateway
) -> bool:
    """A refund or dispute that overtook the payment's own event: read the whole gift now."""
    donation = None
    if charge.payment_intent_id:
        donation = session.scalar(
            select(Donation).where(
                Donation.stripe_payment_intent_id == charge.payment_intent_id,
                Donation.office_code == office,
            )
        )
    if donation is None:
        log.warning("charge %s of office %s matches no payment of ours", charge.id, office)
        return False
    sync_one_time(session, donation, gateway)
    return True


def _payment_for_charge(session: Session, charge: ChargeState) -> Payment | None:
    payment = session.scalar(select(Payment).where(Payment.stripe_charge_id == charge.id))
    if payment is None and charge.payment_intent_id:
        payment = session.scalar(
            select(Payment).where(Payment.stripe_payment_intent_id == charge.payment_intent_id)
        )
    return payment


def sync_plan(plan: RecurringPlan, gateway: PaymentGateway) -> None:
    """Re-read a subscription's status, period, paused collection and cancellation."""
    state = gateway.subscription(plan.donation.office_code, plan.stripe_subscription_id)
    record_subscription(plan, state)
    if state.status == "incomplete_expired":
        move(plan.donation, Status.CANCELED)


def record_subscription(plan: RecurringPlan, state: SubscriptionState) -> None:
    """What we keep of a subscription: status, period end, paused collection (and until when),
    cancellation, and what each period charges."""
    plan.status = state.status
    plan.pause_collection = state.pause_behavior
    plan.paused_until = (
        datetime.fromtimestamp(state.resumes_at, UTC)
        if state.pause_behavior and state.resumes_at
        else None
    )
    if state.amount is not None:
        plan.amount_minor = state.amount.minor
    if state.current_period_end:
        plan.current_period_end = datetime.fromtimestamp(state.current_period_end, UTC)
    if state.canceled_at:
        plan.canceled_at = datetime.fromtimestamp(state.canceled_at, UTC)


def record_invoice(
    session: Session, plan: RecurringPlan, invoice_id: str, gateway: PaymentGateway
) -> Payment | None:
    """A paid invoice is one instalment: one Payment per invoice id, the first one included."""
    office = plan.donation.office_code
    invoice = gateway.invoice(office, invoice_id)
    if invoice.status != "paid":
        return None
    payment = session.scalar(select(Payment).where(Payment.stripe_invoice_id == invoice.id))
    if payment is None:
        payment = Payment(
            donation=plan.donation,
            plan=plan,
            status=Status.PENDING.value,
            amount_minor=invoice.amount_paid.minor,
            currency=invoice.amount_paid.currency,
            stripe_invoice_id=invoice.id,
            stripe_subscription_id=plan.stripe_subscription_id,
            stripe_customer_id=plan.stripe_customer_id,
            stripe_payment_intent_id=invoice.payment_intent_id,
        )
        session.add(payment)
    _settle_instalment(session, payment, invoice.payment_intent_id, office, gateway)
    move(plan.donation, Status.SUCCEEDED)
    _confirm_sepa_plan(session, plan, payment, gateway)
    return payment


def _confirm_sepa_plan(
    session: Session, plan: RecurringPlan, payment: Payment, gateway: PaymentGateway
) -> None:
    """A SEPA plan's first paid debit: note the mandate and queue the donor's pre-notification."""
    if (
        plan.donation.method != "sepa_debit"
        or plan.mandate_reference
        or not payment.stripe_charge_id
    ):
        return
    plan.mandate_reference = gateway.mandate_reference(
        plan.donation.office_code, payment.stripe_charge_id
    )
    if plan.mandate_reference:
        session.flush()
        enqueue(session, PLAN_STARTED, f"plan-started-{plan.id}", {"plan_id": plan.id})


def _settle_instalment(
    session: Session, payment: Payment, intent_id: str | None, office: str, gateway: PaymentGateway
) -> None:
    target = Status.SUCCEEDED
    if intent_id:
        intent = gateway.payment_intent(office, intent_id)
        if intent.latest_charge_id:
            charge = gateway.charge(office, intent.latest_charge_id)
            record_charge(payment, charge)
            target = charge_status(charge)
    move(payment, target)
    mark_receipt_due(session, payment)
