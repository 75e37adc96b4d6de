"""What each Stripe event means for us. Handlers re-fetch the object they are about.

The webhook stores an event and queues it (`record_event`) in one transaction, and answers;
an outbox worker applies it later (`apply_stored`, registered in payments/applying.py), so
Stripe's round trips never hold a web process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.core.clock import utcnow
from checkout.db import insert_or_skip
from checkout.donations.models import Donation, RecurringPlan
from checkout.donations.states import Status
from checkout.outbox.registry import enqueue
from checkout.payments import confirming, payouts, sync
from checkout.payments.event_payloads import for_applying, minimal
from checkout.payments.gateway import GatewayError, PaymentGateway, VerifiedEvent
from checkout.payments.models import StripeEvent

log = logging.getLogger(__name__)
#: The outbox message payments/notifications.py registers a handler for.
NOTIFY_RENEWAL = "payments.notify_renewal"
#: The outbox message that applies one stored event (payments/applying.py).
APPLY_EVENT = "payments.apply_event"
Handler = Callable[[Session, str, VerifiedEvent, PaymentGateway], str]


def record_event(session: Session, office: str, event: VerifiedEvent) -> int | None:
    """Store the event under its unique id, minimised (no donor's personal data, see
    event_payloads.py), and queue it for a worker to apply; the stored row's id, or None when
    it was stored before (a redelivery).

    INSERT ... ON CONFLICT DO NOTHING: two deliveries of one event at the same moment both
    reach this line, and the database lets exactly one of them insert (and queue).
    """
    dialect = session.get_bind().dialect.name
    inserted = session.execute(
        insert_or_skip(dialect, StripeEvent.__table__, "event_id", "id"),
        {
            "event_id": event.id,
            "office_code": office,
            "type": event.type,
            "object_id": event.object_id,
            "stripe_created": event.created,
            "payload": for_applying(event.payload),
            "received_at": utcnow(),
        },
    ).scalar()
    if inserted is None:
        return None
    enqueue(session, APPLY_EVENT, f"event-{event.id}", {"stripe_event": inserted})
    return int(inserted)


def apply_stored(session: Session, stored: StripeEvent, gateway: PaymentGateway) -> bool:
    """Apply a stored event once (False when it was applied before), then keep only its
    minimal record."""
    if stored.processed_at is not None:
        return False
    event = VerifiedEvent(
        stored.event_id, stored.type, stored.object_id, stored.stripe_created, stored.payload
    )
    handle(session, stored, event, gateway)
    stored.payload = minimal(stored.payload)
    return True


def handle(
    session: Session, stored: StripeEvent, event: VerifiedEvent, gateway: PaymentGateway
) -> None:
    """Apply the event; unknown types are kept and answered, not acted on."""
    handler = HANDLERS.get(event.type)
    stored.outcome = (
        handler(session, stored.office_code, event, gateway) if handler else "unhandled"
    )
    stored.processed_at = utcnow()


def _object(event: VerifiedEvent) -> dict[str, Any]:
    data = event.payload.get("data", {})
    found = data.get("object", {}) if isinstance(data, dict) else {}
    return found if isinstance(found, dict) else {}


def on_payment_intent(
    session: Session, office: str, event: VerifiedEvent, gateway: PaymentGateway
) -> str:
    """A one-time gift's PaymentIntent changed: read it and move the donation."""
    donation = session.scalar(
        select(Donation).where(
            Donation.stripe_payment_intent_id == event.object_id, Donation.office_code == office
        )
    )
    if donation is None:
        return _on_plan_intent(session, office, event, gateway)
    sync.sync_one_time(session, donation, gateway)
    return "applied"


def _on_plan_intent(
    session: Session, office: str, event: VerifiedEvent, gateway: PaymentGateway
) -> str:
    """An instalment's PaymentIntent: its invoice event does the work, except that a declined
    try on a plan's first one that bypassed our server is counted (confirming.py)."""
    if event.type != "payment_intent.payment_failed":
        return "ignored"
    plan = session.scalar(
        select(RecurringPlan).where(RecurringPlan.first_payment_intent_id == event.object_id)
    )
    if plan is None or plan.donation.office_code != office:
        return "ignored"
    charge = _object(event).get("latest_charge")
    per_intent = int(current_app.config["CARD_DECLINES_PER_INTENT"])
    counted = confirming.outside_decline(
        session,
        event.object_id,
        plan.donation,
        charge if isinstance(charge, str) else None,
        gateway,
        per_intent,
    )
    return "applied" if counted else "ignored"


def _plan(session: Session, office: str, subscription_id: str | None) -> RecurringPlan | None:
    if not subscription_id:
        return None
    plan = session.scalar(
        select(RecurringPlan).where(RecurringPlan.stripe_subscription_id == subscription_id)
    )
    if plan is None or plan.donation.office_code != office:
        return None
    return plan


def _invoice_subscription(event: VerifiedEvent) -> str | None:
    parent = _object(event).get("parent") or {}
    details = parent.get("subscription_details") or {} if isinstance(parent, dict) else {}
    subscription = details.get("subscription") if isinstance(details, dict) else None
    return subscription if isinstance(subscription, str) else None


def on_invoice_paid(
    session: Session, office: str, event: VerifiedEvent, gateway: PaymentGateway
) -> str:
    """A recurring instalment was paid: one Payment under the plan."""
    plan = _plan(session, office, _invoice_subscription(event))
    if plan is None:
        return "ignored"
    sync.record_invoice(session, plan, event.object_id, gateway)
    sync.sync_plan(plan, gateway)
    return "applied"


def on_invoice_failed(
    session: Session, office: str, event: VerifiedEvent, gateway: PaymentGateway
) -> str:
    """An instalment failed (Stripe retries it) or needs 3-D Secure: update the plan."""
    plan = _plan(session, office, _invoice_subscription(event))
    if plan is None:
        return "ignored"
    sync.sync_plan(plan, gateway)
    if not plan.donation.payments:  # the very first payment failed: the donor is on the page
        sync.move(plan.donation, Status.FAILED)
        return "applied"
    _tell_the_donor(session, plan, event)
    return "applied"


def _tell_the_donor(session: Session, plan: RecurringPlan, event: VerifiedEvent) -> None:
    """A renewal failed (Stripe retries) or needs 3-D Secure: email the donor, once."""
    invoice = _object(event)
    key = f"{event.type}-{event.object_id}"
    enqueue(
        session,
        NOTIFY_RENEWAL,
        f"notify-{key}",
        {
            "donation_id": plan.donation_id,
            "key": key,
            "amount_minor": int(invoice.get("amount_due") or plan.donation.total.minor),
            "action_required": event.type == "invoice.payment_action_required",
            "pay_url": invoice.get("hosted_invoice_url") or "",
        },
    )


def on_subscription(
    session: Session, office: str, event: VerifiedEvent, gateway: PaymentGateway
) -> str:
    """A subscription changed or ended: re-read it."""
    plan = _plan(session, office, event.object_id)
    if plan is None:
        return "ignored"
    sync.sync_plan(plan, gateway)
    return "applied"


#: Events whose object is the charge itself; refunds and disputes name it in `charge`.
_CHARGE_EVENTS = frozenset({"charge.refunded", "charge.updated"})


def on_charge(session: Session, office: str, event: VerifiedEvent, gateway: PaymentGateway) -> str:
    """A charge changed: its balance transaction arrived (`charge.updated`: with asynchronous
    capture, fee and net come only then), a refund moved (made, settled, failed) or a dispute
    did. Re-read the charge and bring the payment along."""
    charge_id = (
        event.object_id if event.type in _CHARGE_EVENTS else str(_object(event).get("charge") or "")
    )
    if not charge_id:
        return "ignored"
    try:
        matched = sync.sync_charge(session, office, charge_id, gateway)
    except GatewayError as error:
        if error.status != 404:
            raise
        matched = False
    # Kept with this outcome for finance: money moved at Stripe on a charge we never made.
    return "applied" if matched else "unmatched"


def on_mandate(session: Session, office: str, event: VerifiedEvent, gateway: PaymentGateway) -> str:
    """A debit mandate was revoked at the donor's bank: mark the plan that relies on it.

    Stripe will fail its next debit (and that failure emails the donor); marking it now lets
    support see why before then.
    """
    mandate = _object(event)
    if mandate.get("status") == "active":
        return "ignored"
    details = mandate.get("payment_method_details") or {}
    method = details.get(str(details.get("type", ""))) if isinstance(details, dict) else None
    reference = method.get("reference") if isinstance(method, dict) else None
    if not reference:
        return "ignored"
    plans = session.scalars(
        select(RecurringPlan).where(RecurringPlan.mandate_reference == str(reference))
    ).all()
    for plan in plans:
        if plan.donation.office_code == office and plan.mandate_revoked_at is None:
            plan.mandate_revoked_at = utcnow()
            log.warning("mandate of plan %s revoked (office %s)", plan.id, office)
    return "applied" if plans else "ignored"


def on_payout_changed(
    session: Session, office: str, event: VerifiedEvent, gateway: PaymentGateway
) -> str:
    """A payout was made, moved, paid or failed: re-read it and tell finance (payouts.py).
    `payout.paid` reconciles nothing: the bank should have the money, but the payout's list
    of balance transactions may still be incomplete."""
    payout = gateway.payout(office, event.object_id)
    return "applied" if payouts.announce(session, office, payout, None) else "stored"


def on_payout_reconciled(
    session: Session, office: str, event: VerifiedEvent, gateway: PaymentGateway
) -> str:
    """A payout's balance transactions can now be listed in full: back-fill our payments
    (payouts.py) and tell finance. Re-read first: until Stripe says `completed`, the list is
    not whole."""
    payout = gateway.payout(office, event.object_id)
    if payout.reconciliation_status != "completed":
        return "waiting"
    lines = gateway.payout_lines(office, payout.id)
    payouts.fill_from_payout(session, office, lines)
    payouts.announce(session, office, payout, lines)
    return "applied"


HANDLERS: dict[str, Handler] = {
    "payment_intent.processing": on_payment_intent,
    "payment_intent.succeeded": on_payment_intent,
    "payment_intent.payment_failed": on_payment_intent,
    "payment_intent.canceled": on_payment_intent,
    "payment_intent.requires_action": on_payment_intent,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_failed": on_invoice_failed,
    "invoice.payment_action_required": on_invoice_failed,
    "customer.subscription.created": on_subscription,
    "customer.subscription.updated": on_subscription,
    "customer.subscription.deleted": on_subscription,
    "charge.updated": on_charge,
    "charge.refunded": on_charge,
    "charge.refund.updated": on_charge,
    "refund.failed": on_charge,
    "charge.dispute.created": on_charge,
    "charge.dispute.updated": on_charge,
    "charge.dispute.closed": on_charge,
    "charge.dispute.funds_withdrawn": on_charge,
    "charge.dispute.funds_reinstated": on_charge,
    "mandate.updated": on_mandate,
    "payout.paid": on_payout_changed,
    "payout.failed": on_payout_changed,
    "payout.created": on_payout_changed,
    "payout.updated": on_payout_changed,
    "payout.reconciliation_completed": on_payout_reconciled,
}
