"""A donor's changes to their recurring gift: a new amount, a pause, resuming, stopping.

Each change is our row first (the view commits it), then one call to Stripe through the
gateway with an idempotency key from that row; what Stripe answers is recorded on the plan
at once, and the webhooks that follow bring the rest of our state along. A confirmation
email is queued for every change that Stripe accepted. Services take a Session; no Flask.
"""

from __future__ import annotations

import calendar
from datetime import datetime

from sqlalchemy.orm import Session

from checkout.core.clock import utcnow
from checkout.core.errors import CheckoutError
from checkout.core.money import Money
from checkout.donations.fees import covered_fee
from checkout.donations.models import RecurringPlan
from checkout.offices import CurrencyRules
from checkout.outbox.registry import enqueue
from checkout.payments import services as payment_services
from checkout.payments.gateway import GatewayError, PaymentGateway, SubscriptionState
from checkout.payments.sync import record_subscription
from checkout.portal.models import PlanChange

#: The outbox message that emails the donor what changed (checkout/portal/handlers.py).
CHANGE_EMAIL = "portal.plan_changed"
#: Stripe states in which a plan may still be changed.
_CHANGEABLE = ("active", "past_due", "trialing")
PAUSE_MONTHS = (1, 2, 3)


class ChangeRefused(CheckoutError):
    """A change that cannot be made now; `code` says why, for a message in the page."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def changeable(plan: RecurringPlan) -> bool:
    """True while the plan debits (or will again): it may be changed, paused or stopped."""
    return plan.status in _CHANGEABLE and plan.canceled_at is None


def paused(plan: RecurringPlan) -> bool:
    """True while collection is paused."""
    return plan.pause_collection is not None


def per_period(gift: Money, plan: RecurringPlan, rules: CurrencyRules) -> Money:
    """What each period charges for a gift of `gift`: with the processing fee on top when the
    donor chose to cover it when they started."""
    if plan.donation.fee_minor > 0:
        return gift + covered_fee(gift, rules)
    return gift


def months_later(moment: datetime, months: int) -> datetime:
    """The same moment `months` later (the 31st becomes the month's last day)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return moment.replace(year=year, month=month, day=min(moment.day, last))


def start(
    session: Session,
    plan: RecurringPlan,
    kind: str,
    *,
    amount: Money | None = None,
    months: int | None = None,
) -> PlanChange:
    """Our row for a change, checked: the view commits it before Stripe is asked."""
    if not changeable(plan):
        raise ChangeRefused("ended")
    if kind == "pause" and (paused(plan) or months not in PAUSE_MONTHS):
        raise ChangeRefused("paused" if paused(plan) else "months")
    if kind == "resume" and not paused(plan):
        raise ChangeRefused("not_paused")
    if kind == "amount" and (amount is None or amount.currency != plan.donation.currency):
        raise ChangeRefused("amount")
    change = PlanChange(
        plan=plan,
        kind=kind,
        amount_minor=amount.minor if amount is not None else None,
        resumes_at=months_later(utcnow(), months) if kind == "pause" and months else None,
    )
    session.add(change)
    session.flush()
    return change


def send(session: Session, change: PlanChange, gateway: PaymentGateway) -> None:
    """Ask Stripe for the change, record its answer, queue the donor's confirmation email."""
    plan = change.plan
    try:
        if change.kind == "cancel":
            payment_services.cancel_recurring(plan, gateway)
        else:
            record_subscription(plan, _ask(change, gateway))
    except GatewayError:
        change.status = "failed"
        raise ChangeRefused("gateway") from None
    finish(session, change)


def finish(session: Session, change: PlanChange) -> None:
    """Stripe accepted the change: note it, and queue the confirmation email."""
    change.status, change.finished_at = "done", utcnow()
    session.flush()
    enqueue(session, CHANGE_EMAIL, f"plan-change-{change.public_id}", {"change_id": change.id})


def _ask(change: PlanChange, gateway: PaymentGateway) -> SubscriptionState:
    plan = change.plan
    office, subscription = plan.donation.office_code, plan.stripe_subscription_id
    if change.kind == "amount":
        assert change.amount_minor is not None
        amount = Money(change.amount_minor, plan.donation.currency)
        return gateway.change_recurring_amount(
            office, subscription, amount, f"plan-change-{change.public_id}"
        )
    if change.kind == "pause":
        assert change.resumes_at is not None
        return gateway.pause_recurring(office, subscription, int(change.resumes_at.timestamp()))
    return gateway.resume_recurring(office, subscription)
