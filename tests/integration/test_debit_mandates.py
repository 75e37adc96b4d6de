"""Bank debits that would fail at an office's launch, against the stand-in over HTTP: Canadian
pre-authorised debits (mandate terms, micro-deposit verification), Bacs mandates and who emails
the donor, and plans cancelled at the end of their period."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.donations.models import Donation, RecurringPlan
from checkout.outbox.models import OutboxMessage
from tests.card_support import browser_token, confirm, csrf_of
from tests.money_support import Gift, the_payment
from tests.payments_support import client_secret, pay

ACSS_DETAILS = {"institution_number": "000", "transit_number": "11000"}
DONOR = {"name": "Alex Doe", "email": "alex@example.org"}
MANDATE = {
    "customer_acceptance": {
        "type": "online",
        "online": {"ip_address": "127.0.0.1", "user_agent": "pytest"},
    }
}


def acss_token(gift: Gift, account_number: str) -> str:
    """What Stripe.js makes of the bank details the donor typed."""
    return browser_token(
        gift.account.standin.base_url,
        gift.account.publishable_key,
        payment_method_data={
            "type": "acss_debit",
            "acss_debit": {**ACSS_DETAILS, "account_number": account_number},
            "billing_details": DONOR,
        },
    )


def intent_id(session: Session) -> str:
    """The PaymentIntent of the newest donation."""
    session.expire_all()
    found = session.scalar(
        select(Donation.stripe_payment_intent_id).order_by(Donation.id.desc()).limit(1)
    )
    assert found is not None
    return found


def mails(folder: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for path in sorted(folder.rglob("*.eml"))
    ]


def test_a_pad_gift_sends_the_mandate_terms_stripe_requires(gift_in, db_session) -> None:
    gift = gift_in("CA")
    page = pay(gift.client, "CA", method="acss_debit")
    answer = confirm(gift.client, acss_token(gift, "000123456789"), csrf_of(page))
    assert answer.get_json()["outcome"] == "done"
    intent = gift.office.client.v1.payment_intents.retrieve(intent_id(db_session))
    options = intent.payment_method_options
    assert options is not None and options.acss_debit is not None
    terms = options.acss_debit.mandate_options
    assert terms is not None
    assert (terms.payment_schedule, terms.transaction_type) == ("sporadic", "personal")
    assert intent.status == "processing"  # verified instantly, submitted


def test_a_pad_gift_waiting_for_micro_deposits_tells_the_donor_what_to_do(
    gift_in, db_session, tmp_path
) -> None:
    gift = gift_in("CA")
    page = pay(gift.client, "CA", method="acss_debit")
    answer = confirm(gift.client, acss_token(gift, "000999999999"), csrf_of(page))
    body = answer.get_json()
    assert body["outcome"] == "done"  # no dialog: the page goes on to the thank-you page
    assert "client_secret" not in body
    thanks = gift.client.get(gift.client.get(body["redirect"]).headers["Location"])
    text = thanks.get_data(as_text=True)
    assert "Please confirm your bank account" in text
    assert "two small deposits" in text

    gift.run_worker()
    [message] = [m for m in mails(tmp_path / "mail") if "confirm your bank account" in m["Subject"]]
    plain = message.get_body(("plain",)).get_content()
    assert message["To"] == "alex@example.org"
    intent = gift.office.client.v1.payment_intents.retrieve(intent_id(db_session))
    assert intent.next_action is not None and intent.next_action.verify_with_microdeposits
    assert intent.next_action.verify_with_microdeposits.hosted_verification_url in plain
    confirm(gift.client, acss_token(gift, "000999999999"), csrf_of(page))  # a second try
    gift.run_worker()
    assert len([m for m in mails(tmp_path / "mail") if "bank account" in m["Subject"]]) == 1

    gift.office.client.v1.payment_intents.verify_microdeposits(
        intent.id, params={"amounts": [32, 45]}
    )
    gift.control.settle_debits(gift.key)
    gift.deliver_new()
    payment = the_payment(db_session)
    assert (payment.status, payment.donation.status) == ("succeeded", "succeeded")
    after = gift.client.get(f"/donate/thanks/{payment.donation.public_id}").get_data(as_text=True)
    assert "Please confirm your bank account" not in after


def bacs_confirm(gift: Gift, secret: str, account_number: str = "00012345") -> None:
    """What the browser does for a Bacs debit: the account and the donor's online mandate."""
    method = gift.office.client.v1.payment_methods.create(
        params={
            "type": "bacs_debit",
            "bacs_debit": {"sort_code": "108800", "account_number": account_number},
            "billing_details": DONOR,
        }
    )
    gift.office.client.v1.payment_intents.confirm(
        secret.split("_secret_")[0], params={"payment_method": method.id, "mandate_data": MANDATE}
    )


def monthly_bacs(gift: Gift) -> str:
    return client_secret(
        pay(
            gift.client,
            "UK",
            method="bacs_debit",
            frequency="monthly",
            amount="other",
            other_amount="10",
        )
    )


def test_a_bacs_plan_waits_for_its_mandate_and_stripe_sends_the_notices(
    gift_in, db_session, tmp_path
) -> None:
    gift = gift_in("UK")
    bacs_confirm(gift, monthly_bacs(gift))
    gift.deliver_new()
    donation = db_session.scalars(select(Donation).order_by(Donation.id.desc())).first()
    assert donation is not None
    page = gift.client.get(f"/donate/thanks/{donation.public_id}").get_data(as_text=True)
    assert "Direct Debit Instruction" in page  # the bank sets it up first
    assert "Stripe, our payment provider, will email you" in page
    gift.control.settle_debits(gift.key)
    kinds = gift.deliver_new()
    assert kinds.index("mandate.updated") < kinds.index("invoice.paid")
    db_session.expire_all()
    plan = db_session.scalars(select(RecurringPlan).order_by(RecurringPlan.id.desc())).first()
    assert plan is not None and plan.status == "active"
    assert plan.mandate_reference  # a revocation finds the plan
    gift.run_worker()
    queued = db_session.scalars(select(OutboxMessage.name)).all()
    assert "payments.plan_started" not in queued  # Stripe sends Bacs confirmations itself
    assert not [m for m in mails(tmp_path / "mail") if "has started" in m["Subject"]]


def test_a_refused_bacs_mandate_fails_the_first_debit(gift_in, db_session) -> None:
    gift = gift_in("UK")
    secret = client_secret(pay(gift.client, "UK", method="bacs_debit"))
    bacs_confirm(gift, secret, "93333335")
    gift.control.settle_debits(gift.key)
    kinds = gift.deliver_new()
    assert "mandate.updated" in kinds
    payment = the_payment(db_session)
    assert (payment.status, payment.donation.status) == ("failed", "failed")
    assert payment.receipt_due_at is None


def test_a_plan_cancelled_at_period_end_keeps_debiting_until_then(gift_in, db_session) -> None:
    gift = gift_in("UK")
    secret = client_secret(
        pay(gift.client, "UK", method="card", frequency="monthly", amount="other", other_amount="8")
    )
    gift.office.client.v1.payment_intents.confirm(
        secret.split("_secret_")[0], params={"payment_method": "pm_card_visa"}
    )
    gift.deliver_new()
    db_session.expire_all()
    plan = db_session.scalars(select(RecurringPlan).order_by(RecurringPlan.id.desc())).first()
    assert plan is not None
    subscription = gift.office.client.v1.subscriptions.update(
        plan.stripe_subscription_id, params={"cancel_at_period_end": True}
    )
    assert subscription.canceled_at is not None  # Stripe: the time of the request
    gift.deliver_new()
    db_session.expire_all()
    assert (plan.status, plan.cancel_at_period_end, plan.canceled_at) == ("active", True, None)
    assert plan.cancel_at is not None and plan.cancel_at == plan.current_period_end

    gift.office.client.v1.subscriptions.update(
        plan.stripe_subscription_id, params={"cancel_at_period_end": False}
    )
    gift.deliver_new()
    db_session.expire_all()
    assert (plan.cancel_at_period_end, plan.cancel_at) == (False, None)

    gift.office.client.v1.subscriptions.update(
        plan.stripe_subscription_id, params={"cancel_at_period_end": True}
    )
    gift.control.advance_to_next_renewal(gift.key)
    gift.deliver_new()
    db_session.expire_all()
    assert plan.status == "canceled"
    assert plan.canceled_at == plan.cancel_at  # it ended when its period did
    assert len(plan.donation.payments) == 1  # no debit after the end


def test_a_monthly_pad_gift_states_its_terms_on_the_subscription(gift_in, db_session) -> None:
    gift = gift_in("CA")
    page = pay(
        gift.client,
        "CA",
        method="acss_debit",
        frequency="monthly",
        amount="other",
        other_amount="20",
    )
    answer = confirm(gift.client, acss_token(gift, "000123456789"), csrf_of(page))
    assert answer.get_json()["outcome"] == "done"
    db_session.expire_all()
    plan = db_session.scalars(select(RecurringPlan).order_by(RecurringPlan.id.desc())).first()
    assert plan is not None
    subscription = gift.office.client.v1.subscriptions.retrieve(plan.stripe_subscription_id)
    options = subscription.payment_settings.payment_method_options
    assert options is not None and options.acss_debit is not None
    assert options.acss_debit.mandate_options is not None
    assert options.acss_debit.mandate_options.transaction_type == "personal"
    intent = gift.office.client.v1.payment_intents.retrieve(str(plan.first_payment_intent_id))
    assert intent.status == "processing"
