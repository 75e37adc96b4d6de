"""Money moves exactly once, and our records follow Stripe's truth (the stand-in over HTTP)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import stripe
from flask import Flask
from sqlalchemy import func, select

from checkout import create_app
from checkout.db import get_database
from checkout.donations.models import Donation, RecurringPlan
from checkout.payments.credentials import standin_keys
from checkout.payments.models import StripeEvent
from tests.conftest import test_settings
from tests.payments_support import Office, client_secret, pay


@pytest.fixture
def app(connection, database_url, stripe_standin) -> Iterator[Flask]:
    """The app talking to the stand-in (each office its own account there)."""
    settings = test_settings(
        database_url,
        STRIPE_API_BASE=stripe_standin.base_url,
        STRIPE_MAX_NETWORK_RETRIES=0,
        PAY_RATE_LIMIT="1000 per hour",
    )
    app = create_app(settings, environ={})
    get_database(app).bind_to(connection)
    yield app
    get_database(app).engine.dispose()


def office(app: Flask, stripe_standin, code: str) -> Office:
    return Office(code, app, stripe_standin.client(standin_keys(code).secret_key))


def the_donation(db_session) -> Donation:
    db_session.expire_all()  # the requests changed rows behind this session's back
    donation = db_session.scalars(select(Donation).order_by(Donation.id.desc())).first()
    assert donation is not None
    return donation


def intent_of(secret: str) -> str:
    return secret.split("_secret_")[0]


def confirm_sepa(office_: Office, intent: str) -> None:
    """What the browser does for a SEPA debit: the IBAN and the donor's online mandate."""
    method = office_.client.v1.payment_methods.create(
        params={
            "type": "sepa_debit",
            "sepa_debit": {"iban": "DE89370400440532013000"},
            "billing_details": {"name": "Alex Doe", "email": "alex@example.org"},
        }
    )
    acceptance = {"type": "online", "online": {"ip_address": "127.0.0.1", "user_agent": "pytest"}}
    office_.client.v1.payment_intents.confirm(
        intent,
        params={"payment_method": method.id, "mandate_data": {"customer_acceptance": acceptance}},
    )


def send_mail_to(app: Flask, smtp_server) -> None:
    """Point the app's mail at the loopback SMTP server."""
    app.config.update(
        MAIL_TRANSPORT="smtp",
        SMTP_HOST=smtp_server.host,
        SMTP_PORT=smtp_server.port,
        SMTP_SECURITY="none",
    )


def test_a_card_gift_succeeds_and_its_fee_follows_with_charge_updated(
    app, client, db_session, stripe_standin
):
    since = int(time.time()) - 1
    de = office(app, stripe_standin, "DE")
    secret = client_secret(pay(client, "DE", method="card"))
    donation = the_donation(db_session)
    assert donation.status == "pending"
    assert donation.stripe_payment_intent_id == intent_of(secret)
    de.client.v1.payment_intents.confirm(
        intent_of(secret), params={"payment_method": "pm_card_visa"}
    )
    events = de.events_about({intent_of(secret)}, since)
    seen = {e["id"] for e in events}
    assert "payment_intent.succeeded" in [e["type"] for e in events]
    assert set(de.deliver(events)) == {200}
    donation = the_donation(db_session)
    assert donation.status == "succeeded"
    [payment] = donation.payments
    assert payment.status == "succeeded"
    assert payment.receipt_due_at is not None
    page = client.get(f"/donate/thanks/{donation.public_id}").get_data(as_text=True)
    assert "Thank you!" in page
    # Asynchronous capture: the fee is not known yet; charge.updated brings it.
    assert payment.stripe_charge_id and payment.stripe_balance_transaction_id is None
    assert (payment.fee_minor, payment.net_minor) == (None, None)
    booked = stripe_standin.control.complete_captures(standin_keys("DE").secret_key)
    assert payment.stripe_charge_id in booked
    updated = [e for e in de.events_about({intent_of(secret)}, since) if e["id"] not in seen]
    assert [e["type"] for e in updated] == ["charge.updated"]
    assert de.deliver(updated) == [200]
    [payment] = the_donation(db_session).payments
    assert payment.stripe_balance_transaction_id
    assert payment.fee_minor and payment.fee_minor > 0
    assert payment.net_minor == payment.amount_minor - payment.fee_minor
    assert payment.settlement_currency == "EUR"


def test_each_event_delivered_twice_has_one_effect(app, client, db_session, stripe_standin):
    since = int(time.time()) - 1
    de = office(app, stripe_standin, "DE")
    secret = client_secret(pay(client, "DE", method="card"))
    de.client.v1.payment_intents.confirm(
        intent_of(secret), params={"payment_method": "pm_card_visa"}
    )
    events = de.events_about({intent_of(secret)}, since)
    assert set(de.deliver([e for e in events for _ in (1, 2)])) == {200}
    donation = the_donation(db_session)
    assert len(donation.payments) == 1
    stored = db_session.scalar(
        select(func.count())
        .select_from(StripeEvent)
        .where(StripeEvent.event_id.in_([e["id"] for e in events]))
    )
    assert stored == len(events)


def test_a_bad_signature_or_another_offices_secret_is_refused(app, stripe_standin):
    de = office(app, stripe_standin, "DE")
    event = {
        "id": "evt_forged",
        "type": "payment_intent.succeeded",
        "created": 1,
        "object": "event",
        "data": {"object": {"id": "pi_x", "object": "payment_intent"}},
    }
    assert de.deliver([event], secret="whsec_wrong") == [400]
    assert de.deliver([event], secret=standin_keys("UK").webhook_secret) == [400]


def test_an_unknown_event_type_is_stored_and_answered(app, db_session, stripe_standin):
    de = office(app, stripe_standin, "DE")
    event = {
        "id": "evt_unknown_type_1",
        "type": "radar.early_fraud_warning.created",
        "created": 1,
        "object": "event",
        "api_version": "2025-01-01",
        "data": {"object": {"id": "issfr_1", "object": "radar.early_fraud_warning"}},
    }
    assert de.deliver([event]) == [200]
    stored = db_session.scalar(select(StripeEvent).where(StripeEvent.event_id == event["id"]))
    assert stored is not None
    assert stored.outcome == "unhandled"


def test_the_return_page_looks_at_stripe_once_without_a_webhook(
    app, client, db_session, stripe_standin
):
    de = office(app, stripe_standin, "DE")
    secret = client_secret(pay(client, "DE", method="card"))
    de.client.v1.payment_intents.confirm(
        intent_of(secret), params={"payment_method": "pm_card_visa"}
    )
    donation = the_donation(db_session)
    response = client.get(f"/donate/return/{donation.public_id}")
    assert response.headers["Location"] == f"/donate/thanks/{donation.public_id}"
    assert the_donation(db_session).status == "succeeded"


def test_a_declined_card_then_a_good_one_on_the_same_draft(app, client, db_session, stripe_standin):
    since = int(time.time()) - 1
    de = office(app, stripe_standin, "DE")
    intent = intent_of(client_secret(pay(client, "DE", method="card")))
    with pytest.raises(stripe.CardError, match="declined"):
        de.client.v1.payment_intents.confirm(
            intent, params={"payment_method": "pm_card_chargeDeclined"}
        )
    de.deliver(de.events_about({intent}, since))
    assert the_donation(db_session).status == "failed"
    assert client.get("/donate/pay").status_code == 200  # the donor can try again at once
    de.client.v1.payment_intents.confirm(intent, params={"payment_method": "pm_card_visa"})
    de.deliver(de.events_about({intent}, since))
    donation = the_donation(db_session)
    assert donation.status == "succeeded"
    assert (
        db_session.scalar(
            select(func.count()).select_from(Donation).where(Donation.draft_id == donation.draft_id)
        )
        == 1
    )


def test_sepa_is_pending_until_the_debit_settles(app, client, db_session, stripe_standin):
    since = int(time.time()) - 1
    de = office(app, stripe_standin, "DE")
    intent = intent_of(client_secret(pay(client, "DE", method="sepa_debit")))
    confirm_sepa(de, intent)
    de.deliver(de.events_about({intent}, since))
    donation = the_donation(db_session)
    assert donation.status == "processing"
    page = client.get(f"/donate/thanks/{donation.public_id}").get_data(as_text=True)
    assert "being processed" in page
    stripe_standin.control.settle_debits(standin_keys("DE").secret_key)
    de.deliver(de.events_about({intent}, since))
    assert the_donation(db_session).status == "succeeded"


def test_refunds_and_disputes_move_the_state(app, client, db_session, stripe_standin):
    since = int(time.time()) - 1
    de = office(app, stripe_standin, "DE")
    key = standin_keys("DE").secret_key
    intent = intent_of(client_secret(pay(client, "DE", method="card")))
    de.client.v1.payment_intents.confirm(intent, params={"payment_method": "pm_card_visa"})
    de.deliver(de.events_about({intent}, since))
    payment = the_donation(db_session).payments[0]
    stripe_standin.control.dashboard_refund(key, payment.stripe_charge_id, amount=500)
    de.deliver(de.events_about({intent, payment.stripe_charge_id}, since))
    donation = the_donation(db_session)
    assert donation.status == "partially_refunded"
    assert donation.payments[0].refunded_minor == 500
    dispute = stripe_standin.control.open_dispute(key, payment.stripe_charge_id)
    de.deliver(de.events_about({intent, payment.stripe_charge_id}, since))
    assert the_donation(db_session).status == "disputed"
    stripe_standin.control.close_dispute(key, dispute, won=False)
    de.deliver(de.events_about({intent, payment.stripe_charge_id}, since))
    assert the_donation(db_session).status == "lost"


def test_a_refund_keeps_stripes_reason_and_fraud_outranks_a_later_one(
    app, client, db_session, stripe_standin
):
    since = int(time.time()) - 1
    de = office(app, stripe_standin, "DE")
    key = standin_keys("DE").secret_key
    intent = intent_of(client_secret(pay(client, "DE", method="card")))
    de.client.v1.payment_intents.confirm(intent, params={"payment_method": "pm_card_visa"})
    de.deliver(de.events_about({intent}, since))
    payment = the_donation(db_session).payments[0]
    assert payment.refund_reason is None
    charge = payment.stripe_charge_id
    stripe_standin.control.dashboard_refund(key, charge, amount=100, reason="fraudulent")
    de.deliver(de.events_about({intent, charge}, since))
    assert the_donation(db_session).payments[0].refund_reason == "fraudulent"
    stripe_standin.control.dashboard_refund(key, charge, amount=100, reason="duplicate")
    de.deliver(de.events_about({intent, charge}, since))
    payment = the_donation(db_session).payments[0]
    assert (payment.status, payment.refunded_minor) == ("partially_refunded", 200)
    assert payment.refund_reason == "fraudulent"


def test_a_refund_asked_for_by_the_donor_is_not_fraud(app, client, db_session, stripe_standin):
    since = int(time.time()) - 1
    de = office(app, stripe_standin, "DE")
    key = standin_keys("DE").secret_key
    intent = intent_of(client_secret(pay(client, "DE", method="card")))
    de.client.v1.payment_intents.confirm(intent, params={"payment_method": "pm_card_visa"})
    de.deliver(de.events_about({intent}, since))
    charge = the_donation(db_session).payments[0].stripe_charge_id
    stripe_standin.control.dashboard_refund(key, charge, reason="requested_by_customer")
    de.deliver(de.events_about({intent, charge}, since))
    payment = the_donation(db_session).payments[0]
    assert (payment.status, payment.refund_reason) == ("refunded", "requested_by_customer")


def test_a_monthly_gift_makes_an_active_plan_and_renews(app, client, db_session, stripe_standin):
    since = int(time.time()) - 1
    uk = office(app, stripe_standin, "UK")
    key = standin_keys("UK").secret_key
    secret = client_secret(
        pay(client, "UK", method="card", frequency="monthly", amount="other", other_amount="10")
    )
    plan = db_session.scalars(select(RecurringPlan).order_by(RecurringPlan.id.desc())).first()
    assert plan is not None
    assert plan.status == "incomplete"
    uk.client.v1.payment_intents.confirm(
        intent_of(secret), params={"payment_method": "pm_card_visa"}
    )
    subscription = plan.stripe_subscription_id
    uk.deliver(uk.events_about({subscription, intent_of(secret)}, since))
    db_session.refresh(plan)
    assert plan.status == "active"
    donation = the_donation(db_session)
    assert donation.status == "succeeded"
    assert [p.amount_minor for p in donation.payments] == [1000]
    # The office's account is shared with other tests: move its clock until *this*
    # subscription has renewed (the nearest renewal may be another test's).
    for _ in range(6):
        stripe_standin.control.advance_to_next_renewal(key)
        invoices = uk.client.v1.invoices.list(params={"subscription": subscription})
        if len(invoices.data) >= 2:
            break
    uk.deliver(uk.events_about({subscription}, since))
    donation = the_donation(db_session)
    assert len(donation.payments) == 2
    assert all(p.stripe_invoice_id for p in donation.payments)
    assert len({p.stripe_invoice_id for p in donation.payments}) == 2


def test_a_changed_total_sends_the_donor_back_to_review(app, client, db_session) -> None:
    import re

    from tests.wizard_driver import WizardDriver, reach_review, registry_of

    def donations() -> int:
        return db_session.scalar(select(func.count()).select_from(Donation)) or 0

    donor = WizardDriver(client)
    review = reach_review(donor, registry_of(client).get("DE")).get_data(as_text=True)
    before = donations()  # other tests' committed rows may exist (the PostgreSQL pass)
    token = re.search(r'name="csrf_token" value="([^"]+)"', review).group(1)  # type: ignore
    response = client.post("/donate/pay", data={"csrf_token": token, "shown_total": "EUR:1"})
    assert response.headers["Location"] == "/donate/review"
    assert donations() == before
    html = client.get("/donate/review").get_data(as_text=True)
    assert "The amount changed" in html


def test_a_recurring_gift_is_cancelled_through_the_gateway(app, client, db_session, stripe_standin):
    since = int(time.time()) - 1
    uk = office(app, stripe_standin, "UK")
    secret = client_secret(
        pay(client, "UK", method="card", frequency="monthly", amount="other", other_amount="12")
    )
    uk.client.v1.payment_intents.confirm(
        intent_of(secret), params={"payment_method": "pm_card_visa"}
    )
    plan = db_session.scalars(select(RecurringPlan).order_by(RecurringPlan.id.desc())).first()
    assert plan is not None
    uk.deliver(uk.events_about({plan.stripe_subscription_id, intent_of(secret)}, since))
    result = app.test_cli_runner().invoke(args=["plans", "cancel", plan.stripe_subscription_id])
    assert result.exit_code == 0, result.output
    assert uk.client.v1.subscriptions.retrieve(plan.stripe_subscription_id).status == "canceled"
    db_session.expire_all()
    assert plan.status == "canceled"
    assert plan.canceled_at is not None
    # Stripe's own event about it changes nothing further.
    uk.deliver(uk.events_about({plan.stripe_subscription_id}, since))
    db_session.expire_all()
    assert plan.status == "canceled"


def test_cancelling_an_unknown_plan_is_a_clear_error(app) -> None:
    result = app.test_cli_runner().invoke(args=["plans", "cancel", "sub_nothing"])
    assert result.exit_code != 0
    assert "no recurring gift with subscription sub_nothing" in result.output


def test_a_failed_renewal_tells_the_donor_once(
    app, client, db_session, stripe_standin, smtp_server
):
    from checkout.outbox.worker import Worker

    send_mail_to(app, smtp_server)
    since = int(time.time()) - 1
    uk = office(app, stripe_standin, "UK")
    key = standin_keys("UK").secret_key
    secret = client_secret(
        pay(client, "UK", method="card", frequency="monthly", amount="other", other_amount="15")
    )
    uk.client.v1.payment_intents.confirm(
        intent_of(secret), params={"payment_method": "pm_card_visa"}
    )
    plan = db_session.scalars(select(RecurringPlan).order_by(RecurringPlan.id.desc())).first()
    assert plan is not None
    subscription = uk.client.v1.subscriptions.retrieve(plan.stripe_subscription_id)
    failing = uk.client.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": str(subscription.customer)}
    )
    uk.client.v1.subscriptions.update(
        subscription.id, params={"default_payment_method": failing.id}
    )
    for _ in range(6):  # the account is shared: advance until *this* plan renews
        stripe_standin.control.advance_to_next_renewal(key)
        if uk.client.v1.subscriptions.retrieve(subscription.id).status == "past_due":
            break
    events = uk.events_about({subscription.id, intent_of(secret)}, since)
    assert "invoice.payment_failed" in [e["type"] for e in events]
    uk.deliver(events + events)  # delivered twice: still one email
    worker = Worker(get_database(app).session_factory)
    with app.app_context():
        while worker.run_once():
            pass
    renewal_mails = [
        m
        for m in smtp_server.messages
        if m["Subject"] == "Your monthly gift could not be collected"
    ]
    assert len(renewal_mails) == 1
    assert renewal_mails[0]["To"] == "alex@example.org"
    assert "£15.00" in renewal_mails[0].get_body(("plain",)).get_content()
    db_session.expire_all()
    assert plan.status == "past_due"


def test_a_sepa_plan_confirms_its_start_with_the_pre_notification(
    app, client, db_session, stripe_standin, smtp_server
):
    from checkout.outbox.worker import Worker

    send_mail_to(app, smtp_server)
    since = int(time.time()) - 1
    de = office(app, stripe_standin, "DE")
    secret = client_secret(
        pay(
            client,
            "DE",
            method="sepa_debit",
            frequency="monthly",
            amount="other",
            other_amount="20",
        )
    )
    confirm_sepa(de, intent_of(secret))
    stripe_standin.control.settle_debits(
        standin_keys("DE").secret_key, payment_intent=intent_of(secret)
    )
    plan = db_session.scalars(select(RecurringPlan).order_by(RecurringPlan.id.desc())).first()
    assert plan is not None
    de.deliver(de.events_about({plan.stripe_subscription_id, intent_of(secret)}, since))
    db_session.expire_all()
    assert plan.status == "active"
    assert plan.mandate_reference
    worker = Worker(get_database(app).session_factory)
    with app.app_context():
        while worker.run_once():
            pass
    [started] = [m for m in smtp_server.messages if "has started" in str(m["Subject"])]
    text = started.get_body(("plain",)).get_content()
    assert plan.mandate_reference in text
    assert DE_CREDITOR_ID in text
    assert "€20.00" in text
    assert "SEPA DIRECT DEBIT PRE-NOTIFICATION" in text


DE_CREDITOR_ID = "DE98ZZZ09999999999"  # config/offices.toml, office DE


def test_a_revoked_mandate_marks_its_plan(app, client, db_session, stripe_standin) -> None:
    since = int(time.time()) - 1
    de = office(app, stripe_standin, "DE")
    key = standin_keys("DE").secret_key
    secret = client_secret(
        pay(
            client,
            "DE",
            method="sepa_debit",
            frequency="monthly",
            amount="other",
            other_amount="25",
        )
    )
    confirm_sepa(de, intent_of(secret))
    stripe_standin.control.settle_debits(key, payment_intent=intent_of(secret))
    plan = db_session.scalars(select(RecurringPlan).order_by(RecurringPlan.id.desc())).first()
    assert plan is not None
    de.deliver(de.events_about({plan.stripe_subscription_id, intent_of(secret)}, since))
    db_session.expire_all()
    assert plan.mandate_reference
    assert plan.mandate_revoked_at is None
    charge = de.client.v1.payment_intents.retrieve(intent_of(secret)).latest_charge
    mandate = de.client.v1.charges.retrieve(str(charge)).payment_method_details.sepa_debit.mandate
    stripe_standin.control.revoke_mandate(key, str(mandate))
    events = [e for e in de.events_about({str(mandate)}, since) if e["type"] == "mandate.updated"]
    assert events
    assert set(de.deliver(events)) == {200}
    db_session.expire_all()
    assert plan.mandate_revoked_at is not None
