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


#: Dispute statuses while the outcome is open: an inquiry (`warning_*`), a chargeback waiting
#: for or under review, and its appeal (pre-arbitration). The SDK's `Dispute.status` list;
#: https://docs.stripe.com/disputes/how-disputes-work, /disputes/arbitration.
OPEN_DISPUTES = frozenset(
    {
        "warning_needs_response",
        "warning_under_review",
        "needs_response",
        "under_review",
        "appeal_needs_response",
        "appeal_under_review",
    }
)
#: Dispute statuses that are over without the charity losing the money by them (`prevented`
#: is over either way: `dispute_withdrawn` says whether the money went).
CLOSED_DISPUTES = frozenset({"won", "warning_closed", "prevented"})


def charge_status(charge: ChargeState) -> Status:
    """A settled payment's status after refunds and disputes.

    What each dispute status means for the gift: an open one (inquiries and appeals too) holds
    it `disputed` (its receipt stands, its office export waits for the outcome); `lost` is
    money gone (the receipt is voided, the gift never exported); `won` is money back; an
    inquiry closed (`warning_closed`) leaves the gift as it was, kept; `prevented` (stopped
    before it became a chargeback, the cardholder refunded) counts as lost when it took money
    from the balance, and otherwise as whatever refunds say. A status Stripe may add later is
    held as disputed until someone looks.
    """
    dispute = charge.dispute_status
    if dispute == "lost" or (dispute == "prevented" and charge.dispute_withdrawn):
        return Status.LOST
    if charge.amount_refunded_minor >= charge.amount.minor:
        return Status.REFUNDED
    if dispute is not None and dispute not in CLOSED_DISPUTES:
        return Status.DISPUTED
    if charge.amount_refunded_minor > 0:
        return Status.PARTIALLY_REFUNDED
    return Status.WON if dispute == "won" else Status.SUCCEEDED


def move(record: Donation | Payment, target: Status, *, settled: bool = False) -> bool:
    """Move `record` to `target` through the state machine; False when there was nothing to do.

    `settled`: `target` comes from the charge as Stripe has it now (`charge_status`), so money
    that came back (a failed refund, a dispute that ended without a chargeback) counts.
    """
    if not decide(Status(record.status), target, settled=settled):
        return False
    record.status = target.value
    return True


def sync_one_time(session: Session, donation: Donation, gateway: PaymentGateway) -> None:
    """Fetch the donation's PaymentIntent (and charge) and apply what Stripe says now."""
    assert donation.stripe_payment_intent_id is not None
    intent = gateway.payment_intent(donation.office_code, donation.stripe_payment_intent_id)
    target, settled = intent_status(intent), False
    if target in (Status.PROCESSING, Status.SUCCEEDED) or intent.latest_charge_id:
        payment = _payment_for_intent(session, donation, intent)
        if intent.latest_charge_id:
            charge = gateway.charge(donation.office_code, intent.latest_charge_id)
            record_charge(payment, charge)
            if target == Status.SUCCEEDED:
                target, settled = charge_status(charge), True
        move(payment, target, settled=settled)
        mark_receipt_due(session, payment)
    move(donation, target, settled=settled)


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
    """What finance needs from the charge: ids, fee, net, refunds and why, when it was paid.

    With asynchronous capture a card charge's balance transaction (fee, net, exchange rate)
    comes later than its success, with `charge.updated`; a bank debit's is booked at
    submission, and a failed one is reversed by a second transaction, kept beside it.
    """
    if payment.stripe_charge_id != charge.id:  # a new attempt: nothing of the last one stays
        payment.stripe_balance_transaction_id = payment.stripe_failure_balance_transaction_id = None
        payment.fee_minor = payment.net_minor = None
        payment.settlement_currency = payment.exchange_rate = None
    payment.stripe_charge_id = charge.id
    payment.refunded_minor = charge.amount_refunded_minor
    payment.refund_reason = charge.refund_reason
    payment.card_last4, payment.card_brand = charge.last4, charge.brand
    if charge.status == "succeeded":
        payment.paid_at = payment.paid_at or datetime.fromtimestamp(charge.paid_at, UTC)
    if charge.balance is not None:
        payment.stripe_balance_transaction_id = charge.balance.id
        payment.fee_minor, payment.net_minor = charge.balance.fee_minor, charge.balance.net_minor
        payment.settlement_currency = charge.balance.currency
        payment.exchange_rate = charge.balance.exchange_rate
    payment.stripe_failure_balance_transaction_id = charge.failure_balance_id


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
    """A refund, a dispute or a failed refund changed what was kept: void (and maybe reissue)
    its receipt. Each change is its own message (the same state can come back: refunded, the
    refund failed, refunded again); revising reads the payment as it is then, and leaves a
    receipt that already states what was kept alone."""
    session.flush()
    change = f"{payment.status}-{payment.refunded_minor}-{utcnow().timestamp():.6f}"
    enqueue(
        session, REVISE_RECEIPT, f"revise-receipt-{payment.id}-{change}", {"payment_id": payment.id}
    )


#: Moves after which the receipt no longer states what the charity kept.
_REVISING = frozenset({Status.PARTIALLY_REFUNDED, Status.REFUNDED, Status.LOST})


def sync_charge(session: Session, office: str, charge_id: str, gateway: PaymentGateway) -> bool:
    """A charge changed (its balance transaction booked, a refund, a dispute): re-read it and
    move its payment and donation.

    A move into or out of a state whose receipt no longer (or again) states what was kept
    revises the receipt: a refund that failed after the receipt was voided gives the money
    back to the charity, and the receipt is issued again. A charge not yet settled (a debit
    still pending, or failed) only has its ids and balance recorded; its PaymentIntent's
    events move it. False when the charge belongs to no payment of ours.
    """
    charge = gateway.charge(office, charge_id)
    payment = _payment_for_charge(session, charge)
    if payment is None:
        return _sync_unseen_charge(session, office, charge, gateway)
    record_charge(payment, charge)
    if charge.status != "succeeded":
        return True
    before, target = Status(payment.status), charge_status(charge)
    if move(payment, target, settled=True) and (target in _REVISING or before in _REVISING):
        revise_receipt(session, payment)
    if not payment.donation.is_recurring:
        move(payment.donation, target, settled=True)
    return True


def _sync_unseen_charge(
    session: Session, office: str, charge: ChargeState, gateway: PaymentGateway
) -> bool:
    """A charge event that overtook the payment's own event: read the whole gift now (a
    one-time gift's PaymentIntent, or a plan's paid invoice)."""
    if not charge.payment_intent_id:
        return _unmatched(office, charge)
    donation = session.scalar(
        select(Donation).where(
            Donation.stripe_payment_intent_id == charge.payment_intent_id,
            Donation.office_code == office,
        )
    )
    if donation is not None:
        sync_one_time(session, donation, gateway)
        return True
    invoice_id = gateway.invoice_of_payment_intent(office, charge.payment_intent_id)
    plan = _plan_of_invoice(session, office, invoice_id, gateway) if invoice_id else None
    if plan is None or invoice_id is None:
        return _unmatched(office, charge)
    record_invoice(session, plan, invoice_id, gateway)
    return True


def _plan_of_invoice(
    session: Session, office: str, invoice_id: str, gateway: PaymentGateway
) -> RecurringPlan | None:
    subscription = gateway.invoice(office, invoice_id).subscription_id
    plan = session.scalar(
        select(RecurringPlan).where(RecurringPlan.stripe_subscription_id == subscription)
    )
    return plan if plan is not None and plan.donation.office_code == office else None


def _unmatched(office: str, charge: ChargeState) -> bool:
    log.warning("charge %s of office %s matches no payment of ours", charge.id, office)
    return False


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


#: Subscription statuses after which a plan never debits again.
ENDED = frozenset({"canceled", "incomplete_expired"})


def record_subscription(plan: RecurringPlan, state: SubscriptionState) -> None:
    """What we keep of a subscription: status, period end, paused collection (and until when),
    cancellation, and what each period charges.

    A plan cancelled at the end of its period is not cancelled yet: Stripe sets `canceled_at`
    to the time of the request while the plan stays active and debits until `cancel_at`. So
    `canceled_at` here is when the plan ended, and only once it has; until then
    `cancel_at_period_end` and `cancel_at` say that it will.
    """
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
        plan.current_period_end = _moment(state.current_period_end)
    plan.cancel_at_period_end = state.cancel_at_period_end
    plan.cancel_at = _moment(state.cancel_at) if state.cancel_at else None
    ended = state.ended_at or state.canceled_at
    if state.status in ENDED and ended:
        plan.canceled_at = _moment(ended)
    elif state.status not in ENDED:
        plan.canceled_at = None


def _moment(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


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
    _note_mandate(session, plan, payment, gateway)
    return payment


#: Debits whose mandate reference we keep on the plan (to trace a revocation to it).
MANDATE_DEBITS = frozenset({"sepa_debit", "bacs_debit", "acss_debit", "au_becs_debit"})


def _note_mandate(
    session: Session, plan: RecurringPlan, payment: Payment, gateway: PaymentGateway
) -> None:
    """A debit plan's first paid debit: note its mandate; for SEPA, queue our pre-notification.

    Bacs is different: Stripe sends the Direct Debit confirmation and each advance notice
    itself, in the office's name, unless the office has had its own emails approved by Stripe
    (https://docs.stripe.com/payments/bacs-debit/email-customization), so nothing is sent here
    and the donor does not get the same notice twice.
    """
    method = plan.donation.method
    if method not in MANDATE_DEBITS or plan.mandate_reference or not payment.stripe_charge_id:
        return
    plan.mandate_reference = gateway.mandate_reference(
        plan.donation.office_code, payment.stripe_charge_id
    )
    if plan.mandate_reference and method == "sepa_debit":
        session.flush()
        enqueue(session, PLAN_STARTED, f"plan-started-{plan.id}", {"plan_id": plan.id})


def _settle_instalment(
    session: Session, payment: Payment, intent_id: str | None, office: str, gateway: PaymentGateway
) -> None:
    target, settled = Status.SUCCEEDED, False
    if intent_id:
        intent = gateway.payment_intent(office, intent_id)
        if intent.latest_charge_id:
            charge = gateway.charge(office, intent.latest_charge_id)
            record_charge(payment, charge)
            target, settled = charge_status(charge), True
    move(payment, target, settled=settled)
    mark_receipt_due(session, payment)
