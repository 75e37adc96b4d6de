"""Confirming a payment from our server: every card attempt passes our limits first.

The pay page's Payment Element turns what the donor typed into a ConfirmationToken; the page
posts its id here, and our server confirms the donation's PaymentIntent with it. Nothing in
the browser can confirm a card payment by itself: one-time card intents are created with
`confirmation_method=manual`, which refuses the publishable key (stripe_gateway.py).

Each attempt is a row before Stripe is asked (its idempotency key comes from the row), then
its outcome is written on the row. Declines are counted (card_testing.py) and feed the
site-wide breaker (breaker.py); a PaymentIntent that collected too many declines is
cancelled, and the donor is told what to do next.

Two halves, so the view can commit between them (our row first): `open_attempt`, then
`send_attempt`. After 3-D Secure in the page, `after_action` looks at the intent again and,
for a manual intent, confirms it once more from here.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.donations.models import Donation
from checkout.donations.states import Status
from checkout.outbox.registry import enqueue
from checkout.payments.breaker import Breaker
from checkout.payments.card_testing import Attempt, Guard
from checkout.payments.gateway import (
    Confirmation,
    ConfirmRequest,
    GatewayError,
    Microdeposits,
    PaymentGateway,
)
from checkout.payments.models import PaymentAttempt
from checkout.payments.sync import move

log = logging.getLogger(__name__)
TOKEN_ID = re.compile(r"ctoken_[A-Za-z0-9_]{1,60}")
WAITING = (Status.PENDING.value, Status.FAILED.value)
#: An attempt's outcome while its bank account waits for micro-deposit verification.
MICRODEPOSITS = "microdeposits"
#: The outbox message payments/notifications.py sends the donor's instructions with.
VERIFY_BANK_ACCOUNT = "payments.verify_bank_account"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the pay page is told about an attempt."""

    kind: str  # done, action, declined, stopped, refused, invalid, unavailable
    client_secret: str | None = None  # for "action": the page runs 3-D Secure with it
    decline_code: str | None = None  # for "declined": which message to show
    retry_after: int = 0  # for "refused": seconds until the limit lets the donor try again


@dataclass(frozen=True, slots=True)
class Context:
    """Everything an attempt is checked and carried out with."""

    gateway: PaymentGateway
    guard: Guard
    breaker: Breaker
    address: str
    draft: str  # the draft's public id (declines are counted per draft too)
    return_url: str


def intent_of(donation: Donation) -> str | None:
    """The PaymentIntent our server confirms: the gift's own, or a plan's first invoice's."""
    if donation.plan is not None:
        return donation.plan.first_payment_intent_id
    return donation.stripe_payment_intent_id


def _identity(donation: Donation, context: Context, fingerprint: str | None) -> Attempt:
    donor = donation.donor
    return Attempt(
        intent=intent_of(donation) or "",
        draft=context.draft,
        address=context.address,
        email=donor.email if donor is not None else "",
        fingerprint=fingerprint,
    )


def open_attempt(
    session: Session, donation: Donation, token: str, context: Context
) -> PaymentAttempt | Outcome:
    """Check the attempt against every limit; the row to send, or why there is none."""
    intent = intent_of(donation)
    if donation.status not in WAITING:
        return Outcome("done")
    if intent is None or not TOKEN_ID.fullmatch(token):
        return Outcome("invalid")
    refused = _refused(session, donation, intent, token, context, fingerprint=None)
    if refused is not None:
        return refused
    try:
        preview = context.gateway.confirmation_token(donation.office_code, token)
    except GatewayError as error:
        log.info("confirmation token of donation %s unreadable: %s", donation.id, error.code)
        context.breaker.record(failed=True)
        return Outcome("invalid")
    if preview.method_type != donation.method or preview.used:
        return Outcome("invalid")
    refused = _refused(session, donation, intent, token, context, preview.card_fingerprint)
    if refused is not None:
        return refused
    attempt = PaymentAttempt(
        donation_id=donation.id,
        payment_intent_id=intent,
        confirmation_token=token,
        method_type=preview.method_type,
        card_fingerprint=preview.card_fingerprint,
    )
    session.add(attempt)
    session.flush()
    return attempt


def _refused(
    session: Session,
    donation: Donation,
    intent: str,
    token: str,
    context: Context,
    fingerprint: str | None,
) -> Outcome | None:
    """An Outcome when a limit refuses the attempt (counted as a failure for the breaker)."""
    refusal = context.guard.refusal(_identity(donation, context, fingerprint))
    if refusal is None:
        return None
    context.breaker.record(failed=True)
    session.add(
        PaymentAttempt(
            donation_id=donation.id,
            payment_intent_id=intent,
            confirmation_token=None,
            method_type=donation.method,
            outcome="refused",
            decline_code=f"limit:{refusal.reason}",
        )
    )
    if refusal.reason == "intent":
        return Outcome("stopped")
    return Outcome("refused", retry_after=refusal.retry_after)


def send_attempt(
    session: Session, donation: Donation, attempt: PaymentAttempt, context: Context
) -> Outcome:
    """Confirm at Stripe with the attempt's token; record and answer what happened."""
    request = ConfirmRequest(
        attempt.payment_intent_id,
        attempt.confirmation_token,
        context.return_url,
        key=f"attempt-{attempt.public_id}",
    )
    return _confirm(session, donation, attempt, request, context)


def after_action(session: Session, donation: Donation, context: Context) -> Outcome:
    """The donor finished 3-D Secure in the page: confirm again (manual intents) or read it."""
    attempt = session.scalar(
        select(PaymentAttempt)
        .where(PaymentAttempt.donation_id == donation.id)
        .order_by(PaymentAttempt.id.desc())
        .limit(1)
    )
    if attempt is None or attempt.outcome != "requires_action" or donation.status not in WAITING:
        return Outcome("done") if donation.status not in WAITING else Outcome("invalid")
    state = context.gateway.payment_intent(donation.office_code, attempt.payment_intent_id)
    if state.status == "requires_confirmation":
        request = ConfirmRequest(
            attempt.payment_intent_id, None, context.return_url, f"attempt-{attempt.public_id}-2"
        )
        return _confirm(session, donation, attempt, request, context)
    confirmation = Confirmation(state.status, None, state.error_code, state.latest_charge_id)
    return _record(session, donation, attempt, confirmation, context)


def _confirm(
    session: Session,
    donation: Donation,
    attempt: PaymentAttempt,
    request: ConfirmRequest,
    context: Context,
) -> Outcome:
    try:
        confirmation = context.gateway.confirm_payment(donation.office_code, request)
    except GatewayError as error:
        attempt.outcome, attempt.decline_code = "error", error.code or None
        context.breaker.record(failed=True)
        log.warning(
            "attempt %s of donation %s failed at Stripe: %s", attempt.id, donation.id, error.code
        )
        return Outcome("invalid" if 400 <= error.status < 500 else "unavailable")
    return _record(session, donation, attempt, confirmation, context)


def _record(
    session: Session,
    donation: Donation,
    attempt: PaymentAttempt,
    confirmation: Confirmation,
    context: Context,
) -> Outcome:
    """Write what the attempt came to, count it, and say what the page shows."""
    attempt.stripe_charge_id = attempt.stripe_charge_id or confirmation.charge_id
    if confirmation.microdeposits is not None:
        _await_microdeposits(session, donation, attempt, confirmation.microdeposits)
        context.breaker.record(failed=False)
        return Outcome("done")
    if confirmation.status == "requires_action" and confirmation.client_secret:
        attempt.outcome = "requires_action"
        return Outcome("action", client_secret=confirmation.client_secret)
    if confirmation.decline_code is None and confirmation.status in ("succeeded", "processing"):
        attempt.outcome = confirmation.status
        context.breaker.record(failed=False)
        return Outcome("done")
    if confirmation.decline_code is None and confirmation.status != "requires_payment_method":
        attempt.outcome = confirmation.status[:24]  # canceled meanwhile, or nothing to say
        return Outcome("unavailable")
    attempt.outcome, attempt.decline_code = "declined", confirmation.decline_code or "declined"
    context.breaker.record(failed=True)
    if context.guard.declined(_identity(donation, context, attempt.card_fingerprint)):
        _stop(donation, context.gateway)
        return Outcome("stopped")
    move(donation, Status.FAILED)
    return Outcome("declined", decline_code=attempt.decline_code)


def _await_microdeposits(
    session: Session, donation: Donation, attempt: PaymentAttempt, deposits: Microdeposits
) -> None:
    """A pre-authorised debit whose bank account Stripe verifies by two small deposits: the
    payment waits for the donor. Nothing is for the page to do (no dialog): the thank-you page
    and an email (once per PaymentIntent) tell the donor to watch for the deposits and confirm
    them on Stripe's page."""
    attempt.outcome = MICRODEPOSITS
    enqueue(
        session,
        VERIFY_BANK_ACCOUNT,
        f"verify-bank-account-{attempt.payment_intent_id}",
        {
            "donation_id": donation.id,
            "arrival_date": deposits.arrival_date,
            "verification_url": deposits.verification_url,
        },
    )


def awaiting_microdeposits(session: Session, donation: Donation) -> bool:
    """Whether the donation's payment waits for the donor to confirm micro-deposits."""
    if donation.status != Status.PENDING.value:
        return False
    latest = session.scalar(
        select(PaymentAttempt.outcome)
        .where(PaymentAttempt.donation_id == donation.id)
        .order_by(PaymentAttempt.id.desc())
        .limit(1)
    )
    return latest == MICRODEPOSITS


def _stop(donation: Donation, gateway: PaymentGateway) -> None:
    """Too many declines: nobody may pay this intent any more."""
    try:
        if donation.plan is not None:
            gateway.cancel_recurring(donation.office_code, donation.plan.stripe_subscription_id)
        elif donation.stripe_payment_intent_id:
            gateway.cancel_payment(donation.office_code, donation.stripe_payment_intent_id)
    except GatewayError as error:
        # Still refused here: the intent's decline count stays over its limit.
        log.warning("could not cancel donation %s at Stripe: %s", donation.id, error.code)
    move(donation, Status.CANCELED)
    log.info("donation %s stopped after too many declined attempts", donation.id)


def outside_decline(
    session: Session,
    plan_first_intent: str,
    donation: Donation,
    charge_id: str | None,
    gateway: PaymentGateway,
    per_intent: int,
) -> bool:
    """A declined charge on a plan's first PaymentIntent that did not come through our server.

    The first invoice's PaymentIntent is Stripe's own (automatic confirmation): once its client
    secret was shown for 3-D Secure, whoever holds it could try other cards from a browser.
    Such tries reach us as webhooks; each is counted here like one of ours, and the plan is
    stopped at the same limit. True when the decline was counted.
    """
    if not charge_id or donation.status not in WAITING:
        return False
    known = select(PaymentAttempt.id).where(PaymentAttempt.stripe_charge_id == charge_id)
    if session.scalar(known) is not None:
        return False  # one of ours, counted when it happened
    session.add(
        PaymentAttempt(
            donation_id=donation.id,
            payment_intent_id=plan_first_intent,
            confirmation_token=None,
            method_type=donation.method,
            outcome="declined",
            decline_code="outside_our_server",
            stripe_charge_id=charge_id,
        )
    )
    session.flush()
    declined = select(func.count()).where(
        PaymentAttempt.payment_intent_id == plan_first_intent,
        PaymentAttempt.outcome == "declined",
    )
    if (session.scalar(declined) or 0) >= per_intent:
        _stop(donation, gateway)
    return True
