"""Replacing the card or bank account a recurring gift is debited from.

The page's Payment Element (in "setup" mode) turns what the donor typed into a
ConfirmationToken; our server creates and confirms a SetupIntent with it for the plan's
Customer (our row first, its idempotency key from the row), then points the subscription at
the saved method. 3-D Secure runs in the page with the secret given for that one step;
`after_action` then reads the SetupIntent again. Services take a Session; no Flask.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from checkout.donations.models import RecurringPlan
from checkout.payments.gateway import PaymentGateway, SetupRequest, SetupState
from checkout.payments.sync import record_subscription
from checkout.portal import plans
from checkout.portal.models import PlanChange


def start(session: Session, plan: RecurringPlan) -> PlanChange:
    """Our row for one attempt to save a new method (each attempt has its own)."""
    if not plan.stripe_customer_id:
        raise plans.ChangeRefused("ended")
    return plans.start(session, plan, "method")


def send(
    session: Session, change: PlanChange, gateway: PaymentGateway, token: str, return_url: str
) -> SetupState:
    """Create and confirm the SetupIntent with the page's token; adopt the method if saved."""
    plan = change.plan
    assert plan.stripe_customer_id is not None
    state = gateway.create_setup(
        plan.donation.office_code,
        SetupRequest(
            key=f"plan-change-{change.public_id}",
            customer_id=plan.stripe_customer_id,
            method=plan.donation.method,
            confirmation_token=token,
            return_url=return_url,
            metadata={"plan_id": str(plan.id), "change": change.public_id},
        ),
    )
    return _apply(session, change, state, gateway)


def after_action(session: Session, change: PlanChange, gateway: PaymentGateway) -> SetupState:
    """The donor finished 3-D Secure in the page: read the SetupIntent and adopt its method."""
    assert change.setup_intent_id is not None
    state = gateway.setup(change.plan.donation.office_code, change.setup_intent_id)
    return _apply(session, change, state, gateway)


def _apply(
    session: Session, change: PlanChange, state: SetupState, gateway: PaymentGateway
) -> SetupState:
    change.setup_intent_id = change.setup_intent_id or state.id or None
    change.status = state.status
    if state.status == "succeeded" and change.finished_at is None and state.payment_method_id:
        plan = change.plan
        record_subscription(
            plan,
            gateway.use_payment_method(
                plan.donation.office_code, plan.stripe_subscription_id, state.payment_method_id
            ),
        )
        change.method_type, change.last4, change.brand = state.method_type, state.last4, state.brand
        if state.mandate_reference:  # a new bank account debits under its own mandate
            plan.mandate_reference, plan.mandate_revoked_at = state.mandate_reference, None
        plans.finish(session, change)
    return state
