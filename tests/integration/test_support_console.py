"""The support console over HTTP: search, the donor page, and each action with its reason
and confirmation; Stripe's side through the stand-in, email through the loopback SMTP server."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout import create_app
from checkout.audit.models import AuditEvent
from checkout.consent import services as consent
from checkout.db import get_database
from checkout.donations.models import Donation, Payment, RecurringPlan
from checkout.offices import load_registry
from checkout.outbox.models import PENDING, OutboxMessage
from checkout.paths import CONFIG_DIR
from checkout.payments.credentials import standin_keys
from checkout.receipts.models import Receipt
from checkout.support.models import StaffRefund
from tests.conftest import test_settings
from tests.factories import stored_draft
from tests.integration.test_receipt_delivery import drain
from tests.payments_support import Office, client_secret, pay
from tests.staff_support import Console, DonorRecords, make_donor_records, make_staff

OFFICES = load_registry(CONFIG_DIR / "offices.toml")


@pytest.fixture
def app(connection, database_url, stripe_standin, smtp_server) -> Iterator[Flask]:
    """The app on the stand-in, mailing to the loopback SMTP server."""
    settings = test_settings(
        database_url,
        STRIPE_API_BASE=stripe_standin.base_url,
        STRIPE_MAX_NETWORK_RETRIES=0,
        PAY_RATE_LIMIT="1000 per hour",
        MAIL_TRANSPORT="smtp",
        SMTP_HOST=smtp_server.host,
        SMTP_PORT=smtp_server.port,
        SMTP_SECURITY="none",
        PUBLIC_BASE_URL="https://give.example.org",
    )
    app = create_app(settings, environ={})
    get_database(app).bind_to(connection)
    yield app
    get_database(app).engine.dispose()


def audited(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def console_for(app: Flask, session: Session, role: str, office: str = "DE") -> Console:
    staff = make_staff(session, f"{role}-{office.lower()}@example.org", (role,), (office,))
    session.commit()
    console = Console(app.test_client())
    console.sign_in(staff, session)
    return console


@pytest.fixture
def records(db_session: Session) -> DonorRecords:
    made = make_donor_records(db_session, "DE", "Erika.Muster@Example.ORG")
    db_session.commit()
    return made


def found_names(page: str) -> list[str]:
    return re.findall(r'href="/staff/support/donors/\d+">([^<]+)</a>', page)


def test_search_reads_what_was_typed_and_keeps_to_the_offices(app, db_session, records) -> None:
    make_donor_records(db_session, "UK", "erika.muster@example.org", "GBP")  # another office
    db_session.commit()
    console = console_for(app, db_session, "support")
    day = records.payment.paid_at.date().isoformat()
    for query in (
        {"q": "Erika.Muster@example.org"},  # the domain is normalised, as the wizard stores it
        {"q": "erika muster"},
        {"q": records.receipt.number.lower()},
        {"q": f"D-{records.payment.donation_id}"},
        {"q": f"P-{records.payment.id}"},
        {"q": records.payment.stripe_payment_intent_id},
        {"q": records.payment.stripe_charge_id},
        {"q": records.plan.stripe_subscription_id},
        {"last4": "4242", "day": day},
    ):
        page = console.get("/staff/support/", query_string=query).get_data(as_text=True)
        assert found_names(page) == ["Erika MusterDE"], query
    nothing = console.get("/staff/support/", query_string={"last4": "4242", "day": "2020-01-01"})
    assert found_names(nothing.get_data(as_text=True)) == []
    bad = console.get("/staff/support/", query_string={"last4": "42"}).get_data(as_text=True)
    assert "Enter exactly four digits." in bad and 'href="#last4"' in bad
    searches = audited(db_session, "support.search")
    assert len(searches) == 10
    assert searches[0].detail == "email: Erika.Muster@example.org"
    assert searches[0].office_code == "DE"


def test_results_come_a_page_at_a_time(app, db_session) -> None:
    for n in range(21):
        make_donor_records(db_session, "DE", f"page{n}@example.org").donor.last_name = "Pager"
    db_session.commit()
    console = console_for(app, db_session, "finance")
    first = console.get("/staff/support/", query_string={"q": "pager"}).get_data(as_text=True)
    assert len(found_names(first)) == 20 and "page=2" in first
    second = console.get("/staff/support/", query_string={"q": "pager", "page": 2})
    assert len(found_names(second.get_data(as_text=True))) == 1


def test_the_donor_page_shows_one_timeline_and_double_charges(app, db_session, records) -> None:
    twin = Payment(
        donation=Donation(
            draft_id=stored_draft(db_session),
            donor=records.donor,
            office_code="DE",
            currency="EUR",
            amount_minor=5000,
            frequency="once",
            method="card",
            status="succeeded",
            stripe_payment_intent_id="pi_twin",
        ),
        status="succeeded",
        amount_minor=5000,
        currency="EUR",
        paid_at=records.payment.paid_at + timedelta(minutes=3),
        stripe_payment_intent_id="pi_twin",
        stripe_charge_id="ch_twin",
    )
    db_session.add(twin)
    germany = OFFICES.get("DE")
    consent.record(
        db_session,
        germany,
        germany.notices["data_transfer"],
        "en",
        decision="acknowledged",
        legal_basis="notice",
        email=records.donor.email,
        evidence=consent.Evidence("wizard.details", None, "pytest"),
        donor_id=records.donor.id,
    )
    db_session.commit()
    console = console_for(app, db_session, "support")
    page = console.get(f"/staff/support/donors/{records.donor.id}").get_data(as_text=True)
    assert page.count("Possibly a double payment") == 2
    assert "pi_twin" in page and records.payment.stripe_charge_id in page
    assert germany.notices["data_transfer"].text("en")[:60] in page.replace("&#39;", "'")
    assert records.receipt.pdf_sha256 in page and records.receipt.message_id in page.replace(
        "&lt;", "<"
    ).replace("&gt;", ">")
    assert "550 mailbox unavailable" in page  # the dead email and why
    assert "next debit:" in page
    [viewed] = audited(db_session, "support.view_donor")
    assert (viewed.donor_id, viewed.office_code) == (records.donor.id, "DE")
    pdf = console.get(f"/staff/support/receipts/{records.receipt.id}.pdf")
    assert pdf.data == records.receipt.pdf
    assert audited(db_session, "support.download_receipt")


def act(console: Console, path: str, data: dict[str, str]) -> str:
    """Fill the form, see the confirmation page, confirm; the page landed on."""
    console.get(path)
    confirm = console.post(path, data)
    assert confirm.status_code == 200 and "Please confirm" in confirm.get_data(as_text=True)
    done = console.post(path, {**data, "confirmed": "yes"})
    assert done.status_code == 302, done.get_data(as_text=True)
    return console.get(done.headers["Location"]).get_data(as_text=True)


def test_an_action_needs_a_reason_and_a_confirmation(app, db_session, records) -> None:
    console = console_for(app, db_session, "support")
    path = f"/staff/support/receipts/{records.receipt.id}/resend"
    console.get(path)
    missing = console.post(path, {"target": "donor", "reason": ""}).get_data(as_text=True)
    assert "Give a reason" in missing and 'href="#reason"' in missing
    confirm = console.post(path, {"target": "donor", "reason": "donor lost it"})
    assert "Please confirm" in confirm.get_data(as_text=True)
    assert (
        db_session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.name == "receipts.email", OutboxMessage.status == PENDING
            )
        ).all()
        == []
    )
    page = act(console, path, {"target": "donor", "reason": "donor lost it"})
    assert f"Receipt {records.receipt.number} will be sent again." in page
    [event] = audited(db_session, "support.resend_receipt")
    assert (event.reason, event.object_id) == ("donor lost it", records.receipt.number)


def test_a_copy_goes_to_another_address_only_once_the_donor_confirms(
    app, db_session, records, smtp_server
) -> None:
    console = console_for(app, db_session, "support")
    path = f"/staff/support/receipts/{records.receipt.id}/resend"
    act(
        console,
        path,
        {"target": "other", "address": "tax@advisor.example", "reason": "for the tax adviser"},
    )
    drain(app)
    [asking] = smtp_server.messages
    assert asking["To"] == records.donor.email
    link = re.search(
        r"https://give\.example\.org(/receipt-copy/\S+)", asking.get_body(("plain",)).get_content()
    ).group(1)
    donor = app.test_client()
    page = donor.get(link)
    assert "tax@advisor.example" in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert donor.post(link, data={"csrf_token": token}).status_code == 200
    drain(app)
    copy = smtp_server.messages[-1]
    assert copy["To"] == "tax@advisor.example"
    [attachment] = list(copy.iter_attachments())
    assert attachment.get_content() == records.receipt.pdf  # the same stored bytes
    assert donor.get(link).status_code == 404  # the link works once
    assert audited(db_session, "donor.confirm_copy")


def test_correcting_a_name_voids_the_receipt_and_issues_a_replacement(
    app, db_session, records
) -> None:
    console = console_for(app, db_session, "support")
    path = f"/staff/support/receipts/{records.receipt.id}/correct"
    form = console.get(path).get_data(as_text=True)
    assert 'value="Erika"' in form  # the donor's details, ready to correct
    data = {
        "first_name": "Erica",
        "middle_initial": "",
        "last_name": "Muster",
        "address_line1": "Ring 1",
        "address_line2": "",
        "postcode": "10115",
        "city": "Berlin",
        "reason": "name misspelt",
    }
    page = act(console, path, data)
    db_session.expire_all()
    old = db_session.get(Receipt, records.receipt.id)
    replacement = db_session.scalar(select(Receipt).where(Receipt.replaces_id == old.id))
    assert old.status == "void" and old.void_reason == "name misspelt"
    assert replacement is not None and replacement.donor_snapshot["full_name"] == "Erica Muster"
    assert f"replaced by {replacement.number}" in page
    [event] = audited(db_session, "support.correct_receipt")
    assert event.detail == f"replaced by {replacement.number}"


def test_finance_reads_but_does_not_act_and_support_does_not_refund(
    app, db_session, records
) -> None:
    finance = console_for(app, db_session, "finance")
    assert finance.get(f"/staff/support/receipts/{records.receipt.id}/resend").status_code == 403
    support = console_for(app, db_session, "support")
    assert support.get(f"/staff/support/payments/{records.payment.id}/refund").status_code == 403
    assert [e.action for e in audited(db_session, "staff.forbidden:donors.support")] == [
        "staff.forbidden:donors.support"
    ]


def test_a_dead_message_is_retried_and_a_note_kept(app, db_session, records) -> None:
    console = console_for(app, db_session, "support")
    act(
        console,
        f"/staff/support/outbox/{records.dead_message.id}/retry",
        {"reason": "mailbox fixed"},
    )
    db_session.expire_all()
    message = db_session.get(OutboxMessage, records.dead_message.id)
    assert (message.status, message.attempts) == (PENDING, 0)
    page = act(
        console,
        f"/staff/support/donors/{records.donor.id}/notes",
        {"text": "Called, wants a copy."},
    )
    assert "Called, wants a copy." in page
    assert audited(db_session, "support.retry_message") and audited(db_session, "support.note")


# --- through Stripe (the stand-in) --------------------------------------------------------------


def paid_card_gift(app: Flask, db_session: Session, stripe_standin) -> Payment:
    """A one-time card gift, paid at the stand-in and brought in by its webhooks."""
    since = int(time.time()) - 1
    de = Office("DE", app, stripe_standin.client(standin_keys("DE").secret_key))
    intent = client_secret(pay(app.test_client(), "DE", method="card")).split("_secret_")[0]
    de.client.v1.payment_intents.confirm(intent, params={"payment_method": "pm_card_visa"})
    assert set(de.deliver(de.events_about({intent}, since))) == {200}
    db_session.expire_all()
    return db_session.scalars(
        select(Payment).where(Payment.stripe_payment_intent_id == intent)
    ).one()


def test_the_charge_brings_its_card_digits_and_brand(app, db_session, stripe_standin) -> None:
    payment = paid_card_gift(app, db_session, stripe_standin)
    assert (payment.card_last4, payment.card_brand) == ("4242", "visa")


def test_finance_refunds_part_of_a_payment_through_stripe(app, db_session, stripe_standin) -> None:
    payment = paid_card_gift(app, db_session, stripe_standin)
    since = int(time.time()) - 1
    finance = console_for(app, db_session, "finance")
    path = f"/staff/support/payments/{payment.id}/refund"
    finance.get(path)
    too_much = finance.post(path, {"amount": "1000", "reason": "duplicate"}).get_data(as_text=True)
    assert "Enter at most" in too_much
    act(finance, path, {"amount": "10.00", "reason": "asked for part back"})
    db_session.expire_all()
    [refund] = db_session.scalars(select(StaffRefund)).all()
    assert refund.amount_minor == 1000 and refund.stripe_refund_id
    de = Office("DE", app, stripe_standin.client(standin_keys("DE").secret_key))
    at_stripe = de.client.v1.refunds.retrieve(refund.stripe_refund_id)
    assert at_stripe.amount == 1000
    assert set(de.deliver(de.events_about({payment.stripe_charge_id}, since))) == {200}
    db_session.expire_all()
    assert db_session.get(Payment, payment.id).status == "partially_refunded"
    [event] = audited(db_session, "support.refund")
    assert event.reason == "asked for part back"


def active_plan(db_session: Session, stripe_standin, records: DonorRecords) -> RecurringPlan:
    """Make the records' plan a real subscription at the stand-in, its first invoice paid as
    the pay page pays it."""
    keys = standin_keys("DE")
    client = stripe_standin.client(keys.secret_key)
    customer = client.v1.customers.create(params={"email": records.donor.email})
    product = client.v1.products.create(params={"name": "Monthly gift"})
    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "product": product.id,
                        "unit_amount": 1000,
                        "recurring": {"interval": "month"},
                    }
                }
            ],
            "payment_behavior": "default_incomplete",
            "payment_settings": {"save_default_payment_method": "on_subscription"},
            "expand": ["latest_invoice.confirmation_secret"],
        }
    )
    secret = subscription.latest_invoice.confirmation_secret.client_secret
    browser = stripe_standin.client(keys.publishable_key)
    browser.v1.payment_intents.confirm(
        secret.split("_secret_")[0],
        params={"client_secret": secret, "payment_method": "pm_card_visa"},
    )
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    records.plan.stripe_subscription_id = subscription.id
    db_session.commit()
    return records.plan


def test_support_pauses_resumes_and_cancels_a_plan_through_stripe(
    app, db_session, stripe_standin, records
) -> None:
    plan = active_plan(db_session, stripe_standin, records)
    client = stripe_standin.client(standin_keys("DE").secret_key)
    console = console_for(app, db_session, "support")
    act(console, f"/staff/support/plans/{plan.id}/pause", {"reason": "donor between jobs"})
    assert (
        client.v1.subscriptions.retrieve(plan.stripe_subscription_id).pause_collection.behavior
        == "void"
    )
    db_session.expire_all()
    assert db_session.get(RecurringPlan, plan.id).pause_collection == "void"
    act(console, f"/staff/support/plans/{plan.id}/resume", {"reason": "back in work"})
    assert client.v1.subscriptions.retrieve(plan.stripe_subscription_id).pause_collection is None
    page = act(console, f"/staff/support/plans/{plan.id}/cancel", {"reason": "donor asked to stop"})
    assert client.v1.subscriptions.retrieve(plan.stripe_subscription_id).status == "canceled"
    assert "Done: Stripe confirmed the change." in page
    assert [e.reason for e in audited(db_session, "support.cancel_plan")] == ["donor asked to stop"]
    assert "Cancel the recurring gift" not in page.split("Recurring gifts")[1].split("Receipts")[0]
