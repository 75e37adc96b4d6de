"""Webhooks are answered once verified and stored; a worker applies them (the outbox).

The web request asks Stripe nothing: an event is answered 200 even while Stripe cannot be
reached, and the donation moves only when a worker applies the stored event.
"""

from __future__ import annotations

import json
import time

from flask import Flask
from sqlalchemy import select

from checkout import create_app
from checkout.db import get_database
from checkout.donations.models import Donation, RecurringPlan
from checkout.outbox.models import DONE, PENDING, OutboxMessage
from checkout.payments.credentials import standin_keys
from checkout.payments.events import APPLY_EVENT, NOTIFY_RENEWAL
from checkout.payments.models import StripeEvent
from tests.conftest import test_settings
from tests.integration.test_payments_flow import app
from tests.outbox_support import apply_events, run_outbox
from tests.payments_support import Office, client_secret, pay, sign

__all__ = ["app"]  # the fixture: the app on the stand-in, inside the test's transaction


def post(app: Flask, office: str, event: dict) -> int:
    """POST one signed event, without applying it."""
    body = json.dumps(event, default=float).encode()  # the SDK reads fractions as Decimal
    return (
        app.test_client()
        .post(
            f"/webhooks/stripe/{office}",
            data=body,
            content_type="application/json",
            headers={"Stripe-Signature": sign(body, standin_keys(office).webhook_secret)},
        )
        .status_code
    )


def message_for(db_session, event_id: str) -> OutboxMessage:
    db_session.expire_all()
    message = db_session.scalar(
        select(OutboxMessage).where(OutboxMessage.key == f"event-{event_id}")
    )
    assert message is not None
    return message


def test_a_verified_event_is_stored_and_queued_then_a_worker_moves_the_donation(
    app, db_session, stripe_standin
) -> None:
    since = int(time.time()) - 1
    client = app.test_client()
    de = Office("DE", app, stripe_standin.client(standin_keys("DE").secret_key))
    intent = client_secret(pay(client, "DE", method="card")).split("_secret_")[0]
    de.client.v1.payment_intents.confirm(intent, params={"payment_method": "pm_card_visa"})
    [succeeded] = [
        e for e in de.events_about({intent}, since) if e["type"] == "payment_intent.succeeded"
    ]
    assert post(app, "DE", succeeded) == 200
    stored = db_session.scalar(select(StripeEvent).where(StripeEvent.event_id == succeeded["id"]))
    assert stored is not None
    assert (stored.processed_at, stored.outcome) == (None, None)
    message = message_for(db_session, succeeded["id"])
    assert (message.name, message.status, message.payload) == (
        APPLY_EVENT,
        PENDING,
        {"stripe_event": stored.id},
    )
    donation = db_session.scalar(
        select(Donation).where(Donation.stripe_payment_intent_id == intent)
    )
    assert donation is not None and donation.status == "pending"  # nothing applied yet

    assert apply_events(app) == 1
    db_session.expire_all()
    assert donation.status == "succeeded"
    assert stored.outcome == "applied" and stored.processed_at is not None
    assert message_for(db_session, succeeded["id"]).status == DONE
    # Delivered again: answered, neither stored nor queued twice.
    assert post(app, "DE", succeeded) == 200
    assert apply_events(app) == 0


def test_events_are_answered_while_stripe_is_unreachable_and_applied_later(
    connection, database_url, db_session
) -> None:
    """The web request asks Stripe nothing; the worker's try fails and is retried later."""
    unreachable = create_app(
        test_settings(
            database_url, STRIPE_API_BASE="http://127.0.0.1:9", STRIPE_MAX_NETWORK_RETRIES=0
        ),
        environ={},
    )
    get_database(unreachable).bind_to(connection)
    try:
        event = {
            "id": "evt_queue_unreachable",
            "object": "event",
            "type": "charge.refunded",
            "created": int(time.time()),
            "data": {"object": {"id": "ch_queue_unreachable", "object": "charge"}},
        }
        assert post(unreachable, "DE", event) == 200
        assert run_outbox(unreachable, [APPLY_EVENT]) == 0
        message = message_for(db_session, event["id"])
        assert (message.status, message.attempts) == (PENDING, 1)
        assert message.last_error and message.last_error.startswith("GatewayError")
        assert message.available_at > message.created_at  # retried later, with backoff
    finally:
        get_database(unreachable).engine.dispose()


def failed_renewal_events(app: Flask, stripe_standin, db_session) -> list[dict]:
    """A monthly gift whose second instalment fails at the stand-in; its events, oldest first."""
    since = int(time.time()) - 1
    uk = Office("UK", app, stripe_standin.client(standin_keys("UK").secret_key))
    secret = client_secret(
        pay(
            app.test_client(),
            "UK",
            method="card",
            frequency="monthly",
            amount="other",
            other_amount="15",
        )
    )
    intent = secret.split("_secret_")[0]
    uk.client.v1.payment_intents.confirm(intent, params={"payment_method": "pm_card_visa"})
    plan = db_session.scalars(select(RecurringPlan).order_by(RecurringPlan.id.desc())).first()
    subscription = uk.client.v1.subscriptions.retrieve(plan.stripe_subscription_id)
    failing = uk.client.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": str(subscription.customer)}
    )
    uk.client.v1.subscriptions.update(
        subscription.id, params={"default_payment_method": failing.id}
    )
    for _ in range(6):  # the account is shared: advance until *this* plan renews
        stripe_standin.control.advance_to_next_renewal(standin_keys("UK").secret_key)
        if uk.client.v1.subscriptions.retrieve(subscription.id).status == "past_due":
            break
    return uk.events_about({subscription.id, intent}, since)


def test_the_invoice_link_reaches_the_renewal_email_and_is_not_kept(
    app, db_session, stripe_standin
) -> None:
    """A handler reads the invoice's payment link from the event; the stored record drops it
    once applied (a bearer link to the donor's invoice), and never keeps the donor's email."""
    events = failed_renewal_events(app, stripe_standin, db_session)
    [failed] = [e for e in events if e["type"] == "invoice.payment_failed"]
    link = "https://invoice.stripe.com/i/acct_1/test_link_for_the_donor"
    failed["data"]["object"].update(hosted_invoice_url=link, customer_email="alex@example.org")
    for event in events:
        assert post(app, "UK", event) == 200
    stored = db_session.scalar(select(StripeEvent).where(StripeEvent.event_id == failed["id"]))
    assert stored is not None
    assert stored.payload["data"]["object"]["hosted_invoice_url"] == link
    assert "customer_email" not in stored.payload["data"]["object"]
    assert apply_events(app) == len(events)
    db_session.expire_all()
    assert "hosted_invoice_url" not in stored.payload["data"]["object"]
    assert stored.outcome == "applied"
    notice = db_session.scalar(select(OutboxMessage).where(OutboxMessage.name == NOTIFY_RENEWAL))
    assert notice is not None and notice.payload["pay_url"] == link
