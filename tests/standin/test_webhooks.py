"""Webhooks: signed so the SDK verifies them, retried after failures, duplicated, reordered."""

from __future__ import annotations

import json

import pytest
import stripe

from checkout.testing.stripe_standin.pytest_plugin import StandinAccount
from checkout.testing.stripe_standin.receiver import webhook_receiver

SECRET = "whsec_test_secret_for_the_receiver"


def _pay(account: StandinAccount) -> stripe.PaymentIntent:
    """A succeeded card payment (which emits created, charge.succeeded and succeeded)."""
    return account.client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "eur",
            "confirm": True,
            "payment_method": "pm_card_visa",
            "allowed_payment_method_types": ["card"],
        }
    )


def test_events_are_signed_so_the_sdk_verifies_them(standin_account: StandinAccount) -> None:
    with webhook_receiver() as receiver:
        standin_account.control.register_webhook(
            standin_account.secret_key, receiver.url, SECRET, ["payment_intent.succeeded"]
        )
        pi = _pay(standin_account)
        [delivered] = receiver.wait_for(1)
    event = stripe.Webhook.construct_event(delivered.body, delivered.signature, SECRET)
    assert event.type == "payment_intent.succeeded"
    assert event.data.object["id"] == pi.id
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivered.body, delivered.signature, "whsec_wrong")
    listed = standin_account.client.v1.events.retrieve(event.id)
    assert listed.type == "payment_intent.succeeded"


def test_a_500_is_retried_with_backoff(standin_account: StandinAccount) -> None:
    key = standin_account.secret_key
    standin_account.control.set_delivery_mode(key, backoff=[0.05, 0.1], max_attempts=4)
    with webhook_receiver() as receiver:
        receiver.planned = [500, 502]
        standin_account.control.register_webhook(
            key, receiver.url, SECRET, ["payment_intent.succeeded"]
        )
        _pay(standin_account)
        received = receiver.wait_for(3)
    assert received[0].body == received[2].body
    attempts = standin_account.control.deliveries(key, "payment_intent.succeeded")
    assert [(a.attempt, a.status) for a in attempts] == [(1, 500), (2, 502), (3, 200)]


def test_retries_stop_after_max_attempts(standin_account: StandinAccount) -> None:
    key = standin_account.secret_key
    standin_account.control.set_delivery_mode(key, backoff=[0.02], max_attempts=2)
    with webhook_receiver() as receiver:
        receiver.planned = [500] * 5
        standin_account.control.register_webhook(
            key, receiver.url, SECRET, ["payment_intent.created"]
        )
        standin_account.client.v1.payment_intents.create(params={"amount": 900, "currency": "eur"})
        receiver.wait_for(2)
        standin_account.client.v1.payment_intents.create(params={"amount": 900, "currency": "eur"})
        receiver.wait_for(4)
    attempts = standin_account.control.deliveries(key)
    assert [a.attempt for a in attempts] == [1, 2, 1, 2]


def test_duplicate_delivery_sends_each_event_twice(standin_account: StandinAccount) -> None:
    key = standin_account.secret_key
    standin_account.control.set_delivery_mode(key, duplicate=True)
    with webhook_receiver() as receiver:
        standin_account.control.register_webhook(key, receiver.url, SECRET, ["customer.created"])
        standin_account.client.v1.customers.create()
        received = receiver.wait_for(2)
    ids = [json.loads(r.body)["id"] for r in received]
    assert len(ids) == 2
    assert ids[0] == ids[1]


def test_out_of_order_delivery_sends_newest_first(standin_account: StandinAccount) -> None:
    key = standin_account.secret_key
    standin_account.control.set_delivery_mode(key, out_of_order=True, hold_seconds=0.3)
    with webhook_receiver() as receiver:
        standin_account.control.register_webhook(
            key, receiver.url, SECRET, ["payment_intent.created", "payment_intent.succeeded"]
        )
        _pay(standin_account)
        received = receiver.wait_for(2)
    assert [json.loads(r.body)["type"] for r in received] == [
        "payment_intent.succeeded",
        "payment_intent.created",
    ]


def test_events_list_by_type(standin_account: StandinAccount) -> None:
    _pay(standin_account)
    events = standin_account.client.v1.events.list(params={"type": "charge.*"})
    assert [e.type for e in events.data] == ["charge.succeeded"]
