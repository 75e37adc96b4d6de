"""StripeGateway against a fresh stand-in account: idempotency, plans, refunds, reads, events."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
import stripe

from checkout.core.money import Money
from checkout.payments.credentials import OfficeKeys
from checkout.payments.gateway import (
    EventVerificationError,
    GatewayError,
    OneTimePaymentRequest,
    RecurringPlanRequest,
)
from checkout.payments.stripe_gateway import StripeGateway, _translated_errors
from tests.payments_support import sign

WEBHOOK_SECRET = "whsec_gateway_tests"


@pytest.fixture
def gateway(standin_account, stripe_standin) -> StripeGateway:
    keys = OfficeKeys(standin_account.secret_key, standin_account.publishable_key, WEBHOOK_SECRET)
    return StripeGateway({"DE": keys}, stripe_standin.base_url, retries=0)


def one_time(key: str = "donation-gw1", minor: int = 5000) -> OneTimePaymentRequest:
    return OneTimePaymentRequest(
        donation_id=7,
        key=key,
        amount=Money(minor, "EUR"),
        method="card",
        email="alex@example.org",
        description="Donation gw1",
    )


def recurring(key: str = "donation-gw2", customer_id: str | None = None) -> RecurringPlanRequest:
    return RecurringPlanRequest(
        donation_id=8,
        key=key,
        donor_id=3,
        amount=Money(1000, "EUR"),
        interval="month",
        method="card",
        email="sam@example.org",
        name="Sam Roe",
        customer_id=customer_id,
        product_name="Recurring gift",
    )


def paid_intent(gateway: StripeGateway, standin_account, key: str = "donation-paid") -> str:
    created = gateway.create_one_time_payment("DE", one_time(key))
    standin_account.client.v1.payment_intents.confirm(
        created.payment_intent_id, params={"payment_method": "pm_card_visa"}
    )
    return created.payment_intent_id


def intent_of(client_secret: str) -> str:
    return client_secret.split("_secret_")[0]


def test_a_one_time_payment_is_created_once_per_key(gateway, standin_account):
    first = gateway.create_one_time_payment("DE", one_time())
    again = gateway.create_one_time_payment("DE", one_time())
    assert first.payment_intent_id.startswith("pi_")
    assert again.payment_intent_id == first.payment_intent_id
    assert again.client_secret == first.client_secret
    assert first.client_secret.startswith(f"{first.payment_intent_id}_secret_")
    assert first.status == "requires_payment_method"
    listed = standin_account.client.v1.payment_intents.list(params={"limit": 100})
    assert [intent.id for intent in listed.data] == [first.payment_intent_id]
    intent = standin_account.client.v1.payment_intents.retrieve(first.payment_intent_id)
    assert (intent.amount, intent.currency) == (5000, "eur")
    assert intent.metadata.to_dict() == {"donation_id": "7", "office": "DE"}


def test_a_changed_amount_under_the_same_key_is_refused(gateway, standin_account):
    gateway.create_one_time_payment("DE", one_time())
    with pytest.raises(GatewayError) as refused:
        gateway.create_one_time_payment("DE", one_time(minor=5100))
    assert refused.value.status == 400
    assert "same parameters" in str(refused.value)
    assert len(standin_account.client.v1.payment_intents.list().data) == 1


def test_a_recurring_plan_waits_for_its_first_payment(gateway, standin_account):
    plan = gateway.create_recurring_plan("DE", recurring())
    assert plan.status == "incomplete"
    assert plan.subscription_id.startswith("sub_")
    assert plan.customer_id.startswith("cus_")
    assert "_secret_" in plan.client_secret
    assert plan.current_period_end is not None
    subscription = standin_account.client.v1.subscriptions.retrieve(plan.subscription_id)
    assert subscription.status == "incomplete"
    customer = standin_account.client.v1.customers.retrieve(plan.customer_id)
    assert (customer.email, customer.name) == ("sam@example.org", "Sam Roe")


def test_a_known_customer_is_reused(gateway, standin_account):
    first = gateway.create_recurring_plan("DE", recurring())
    second = gateway.create_recurring_plan(
        "DE", recurring(key="donation-gw3", customer_id=first.customer_id)
    )
    assert second.customer_id == first.customer_id
    assert second.subscription_id != first.subscription_id
    customers = standin_account.client.v1.customers.list(params={"limit": 100}).data
    assert [customer.id for customer in customers] == [first.customer_id]


def test_partial_then_full_refund(gateway, standin_account):
    intent = paid_intent(gateway, standin_account)
    charge_id = gateway.payment_intent("DE", intent).latest_charge_id
    assert charge_id is not None
    partial = gateway.refund("DE", intent, Money(500, "EUR"), key="refund-1")
    assert partial.startswith("re_")
    assert gateway.refund("DE", intent, Money(500, "EUR"), key="refund-1") == partial
    assert gateway.charge("DE", charge_id).amount_refunded_minor == 500
    rest = gateway.refund("DE", intent, None, key="refund-2")
    assert rest != partial
    assert gateway.charge("DE", charge_id).amount_refunded_minor == 5000
    with pytest.raises(GatewayError):
        gateway.refund("DE", intent, Money(1, "EUR"), key="refund-3")  # nothing left


def test_cancelling_a_plan(gateway, standin_account):
    plan = gateway.create_recurring_plan("DE", recurring())
    standin_account.client.v1.payment_intents.confirm(
        intent_of(plan.client_secret), params={"payment_method": "pm_card_visa"}
    )
    assert gateway.subscription("DE", plan.subscription_id).status == "active"
    state = gateway.cancel_recurring("DE", plan.subscription_id)
    assert state.status == "canceled"
    assert state.canceled_at is not None
    assert gateway.subscription("DE", plan.subscription_id).status == "canceled"


def test_reading_a_paid_intent_and_its_charge(gateway, standin_account):
    intent_id = paid_intent(gateway, standin_account)
    intent = gateway.payment_intent("DE", intent_id)
    assert intent.status == "succeeded"
    assert intent.amount == Money(5000, "EUR")
    assert intent.error_code is None
    assert intent.metadata == {"donation_id": "7", "office": "DE"}
    assert intent.latest_charge_id and intent.latest_charge_id.startswith("ch_")
    charge = gateway.charge("DE", intent.latest_charge_id)
    assert charge.payment_intent_id == intent_id
    assert charge.amount == Money(5000, "EUR")
    assert (charge.amount_refunded_minor, charge.dispute_status) == (0, None)
    assert charge.paid_at > 0
    assert charge.status == "succeeded"
    assert charge.balance is None  # asynchronous capture: booked a little later
    standin_account.control.complete_captures(standin_account.secret_key)
    charge = gateway.charge("DE", intent.latest_charge_id)
    assert charge.balance is not None
    assert charge.balance.id.startswith("txn_")
    # The stand-in's card fee: 1.5 % + 25 minor units.
    assert (charge.balance.fee_minor, charge.balance.net_minor) == (100, 4900)
    assert (charge.balance.currency, charge.balance.exchange_rate) == ("EUR", None)


def test_reading_a_dispute_on_the_charge(gateway, standin_account):
    intent_id = paid_intent(gateway, standin_account)
    charge_id = gateway.payment_intent("DE", intent_id).latest_charge_id
    dispute = standin_account.control.open_dispute(standin_account.secret_key, charge_id)
    assert gateway.charge("DE", charge_id).dispute_status == "needs_response"
    standin_account.control.close_dispute(standin_account.secret_key, dispute, won=True)
    assert gateway.charge("DE", charge_id).dispute_status == "won"


def test_reading_a_paid_invoice_and_its_subscription(gateway, standin_account):
    plan = gateway.create_recurring_plan("DE", recurring())
    intent = intent_of(plan.client_secret)
    standin_account.client.v1.payment_intents.confirm(
        intent, params={"payment_method": "pm_card_visa"}
    )
    subscription = standin_account.client.v1.subscriptions.retrieve(plan.subscription_id)
    invoice_id = subscription.latest_invoice
    assert isinstance(invoice_id, str)
    invoice = gateway.invoice("DE", invoice_id)
    assert invoice.status == "paid"
    assert invoice.subscription_id == plan.subscription_id
    assert invoice.customer_id == plan.customer_id
    assert invoice.amount_paid == Money(1000, "EUR")
    assert invoice.payment_intent_id == intent
    assert invoice.paid_at is not None
    state = gateway.subscription("DE", plan.subscription_id)
    assert (state.id, state.status, state.customer_id) == (
        plan.subscription_id,
        "active",
        plan.customer_id,
    )
    assert state.current_period_end == plan.current_period_end
    assert state.canceled_at is None
    assert state.metadata == {"donation_id": "8"}


def a_real_event(gateway, standin_account) -> bytes:
    paid_intent(gateway, standin_account)
    events = standin_account.client.v1.events.list(params={"type": "payment_intent.succeeded"})
    return json.dumps(events.data[0].to_dict(), default=float).encode()


def test_a_correctly_signed_event_is_accepted(gateway, standin_account):
    payload = a_real_event(gateway, standin_account)
    sent = json.loads(payload)
    event = gateway.verify_event("DE", payload, sign(payload, WEBHOOK_SECRET))
    assert (event.id, event.type) == (sent["id"], "payment_intent.succeeded")
    assert event.object_id == sent["data"]["object"]["id"]
    assert event.created == sent["created"]
    assert event.payload == sent


def test_a_tampered_old_or_foreign_event_is_refused(gateway, standin_account):
    payload = a_real_event(gateway, standin_account)
    signature = sign(payload, WEBHOOK_SECRET)
    tampered = payload.replace(b'"succeeded"', b'"canceled"', 1)
    assert tampered != payload
    with pytest.raises(EventVerificationError):
        gateway.verify_event("DE", tampered, signature)
    with pytest.raises(EventVerificationError):
        gateway.verify_event("DE", payload, sign(payload, "whsec_someone_else"))
    with pytest.raises(EventVerificationError):
        gateway.verify_event("DE", payload, sign(payload, WEBHOOK_SECRET, int(time.time()) - 3600))
    with pytest.raises(EventVerificationError):
        gateway.verify_event("DE", payload, "")


def test_a_decline_carries_its_decline_code(gateway, standin_account):
    created = gateway.create_one_time_payment("DE", one_time())
    with pytest.raises(GatewayError) as declined, _translated_errors():
        standin_account.client.v1.payment_intents.confirm(
            created.payment_intent_id, params={"payment_method": "pm_card_chargeDeclined"}
        )
    assert isinstance(declined.value.__cause__, stripe.CardError)
    assert declined.value.code == "generic_decline"
    assert declined.value.status == 402
    state = gateway.payment_intent("DE", created.payment_intent_id)
    assert (state.status, state.error_code) == ("requires_payment_method", "generic_decline")


def test_a_failed_debit_reads_back_its_failure_code(gateway, standin_account):
    """A failed debit's error has a code but no decline_code (Stripe omits absent fields)."""
    created = gateway.create_one_time_payment("DE", replace(one_time(), method="sepa_debit"))
    method = standin_account.client.v1.payment_methods.create(
        params={
            "type": "sepa_debit",
            "sepa_debit": {"iban": "DE89370400440532013000"},
            "billing_details": {"name": "Alex Doe", "email": "alex@example.org"},
        }
    )
    standin_account.client.v1.payment_intents.confirm(
        created.payment_intent_id,
        params={
            "payment_method": method.id,
            "mandate_data": {
                "customer_acceptance": {
                    "type": "online",
                    "online": {"ip_address": "127.0.0.1", "user_agent": "pytest"},
                }
            },
        },
    )
    assert gateway.payment_intent("DE", created.payment_intent_id).status == "processing"
    standin_account.control.settle_debits(standin_account.secret_key, fail=True)
    state = gateway.payment_intent("DE", created.payment_intent_id)
    assert (state.status, state.error_code) == ("requires_payment_method", "insufficient_funds")
