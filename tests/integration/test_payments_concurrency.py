"""Pressing pay many times at once, or again later, starts one donation and one PaymentIntent.

The concurrent test needs PostgreSQL (row locks across real connections), so its app is NOT
bound to the test's rolled-back transaction: its requests commit for real, and the test
deletes what it made afterwards.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, delete, func, select, text

from checkout import create_app
from checkout.consent.models import ConsentRecord
from checkout.db import get_database
from checkout.donations.models import Donation, Donor, Payment, RecurringPlan
from checkout.outbox.models import OutboxMessage
from checkout.payments.credentials import standin_keys
from checkout.payments.models import StripeEvent
from checkout.wizard.models import CheckoutDraft
from checkout.wizard.views import DRAFT_KEY
from tests.conftest import test_settings
from tests.payments_support import account_environ, client_secret, pay_page, sign
from tests.wizard_driver import WizardDriver, details_data, reach_details, registry_of

CLICKS = 20
OK = {"location": "/donate/pay"}


@dataclass
class Review:
    """A donor on the review page: their cookie, and the pay form's fields."""

    cookie: str
    form: dict[str, str]
    draft_public_id: str


def reach_pay_button(client: FlaskClient, email: str) -> Review:
    """Walk a DE card gift to review; what a browser would send when pay is pressed."""
    donor = WizardDriver(client)
    office = registry_of(client).get("DE")
    notice = reach_details(donor, office)
    response = donor.post("details", details_data(office, notice, email=email))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert donor.post("method", {"method": "card"}).status_code == 302
    html = donor.get("/donate/review").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    total = re.search(r'name="shown_total" value="([^"]+)"', html)
    assert token and total, html
    cookie = client.get_cookie(client.application.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    serializer = client.application.session_interface.get_signing_serializer(client.application)
    return Review(
        cookie.value,
        {"csrf_token": token.group(1), "shown_total": total.group(1)},
        serializer.loads(cookie.value)[DRAFT_KEY],
    )


def pay_settings(database_url: str, stripe_standin: Any) -> dict[str, Any]:
    return test_settings(
        database_url,
        STRIPE_API_BASE=stripe_standin.base_url,
        STRIPE_MAX_NETWORK_RETRIES=0,
        PAY_RATE_LIMIT="1000 per minute",
        WIZARD_RATE_LIMIT="1000 per minute",
    )


def fresh_account_environ(standin_account: Any) -> dict[str, str]:
    return account_environ(
        "DE", standin_account.secret_key, standin_account.publishable_key, "whsec_concurrency"
    )


def payment_intent_ids(standin_account: Any) -> list[str]:
    listed = standin_account.client.v1.payment_intents.list(params={"limit": 100})
    return [intent.id for intent in listed.auto_paging_iter()]


# --- twenty clicks at once, on PostgreSQL ------------------------------------------------


@pytest.fixture
def committing_app(
    engine: Engine, database_url, stripe_standin, standin_account
) -> Iterator[Flask]:
    """An app on its own connections (each request commits), DE on a fresh stand-in account."""
    app = create_app(
        pay_settings(database_url, stripe_standin), environ=fresh_account_environ(standin_account)
    )
    yield app
    get_database(app).engine.dispose()


def delete_test_consent(connection, donations) -> None:
    """The ledger refuses deletes (it is evidence); this test's rows are not, so lift the
    PostgreSQL trigger for this one statement, inside this transaction only."""
    if connection.dialect.name != "postgresql":
        return
    connection.execute(
        text("ALTER TABLE consent_records DISABLE TRIGGER consent_records_append_only")
    )
    connection.execute(delete(ConsentRecord).where(ConsentRecord.donation_id.in_(donations)))
    connection.execute(
        text("ALTER TABLE consent_records ENABLE TRIGGER consent_records_append_only")
    )


@pytest.fixture
def donor_email(engine: Engine) -> Iterator[str]:
    """A donor address used by this test only; its rows are deleted afterwards."""
    email = f"concurrent-{secrets.token_hex(6)}@example.org"
    yield email
    with engine.begin() as connection:
        drafts = select(Donation.draft_id).join(Donor).where(Donor.email == email)
        draft_ids = set(connection.scalars(drafts))
        draft_ids |= set(
            connection.scalars(
                select(CheckoutDraft.id).where(
                    CheckoutDraft.data["details"]["fields"]["email"].as_string() == email
                )
            )
        )
        donations = select(Donation.id).where(Donation.draft_id.in_(draft_ids))
        delete_test_consent(connection, donations)
        connection.execute(delete(Payment).where(Payment.donation_id.in_(donations)))
        connection.execute(delete(RecurringPlan).where(RecurringPlan.donation_id.in_(donations)))
        connection.execute(delete(Donation).where(Donation.draft_id.in_(draft_ids)))
        connection.execute(delete(Donor).where(Donor.email == email))
        connection.execute(delete(CheckoutDraft).where(CheckoutDraft.id.in_(draft_ids)))


@pytest.mark.postgres
def test_twenty_simultaneous_pay_clicks_make_one_donation_and_one_intent(
    committing_app: Flask, engine: Engine, standin_account, donor_email: str
) -> None:
    review = reach_pay_button(committing_app.test_client(), donor_email)
    cookie_name = committing_app.config["SESSION_COOKIE_NAME"]
    barrier = threading.Barrier(CLICKS)
    outcomes: list[Any] = [None] * CLICKS

    def click(index: int) -> None:
        browser = committing_app.test_client()
        browser.set_cookie(cookie_name, review.cookie)
        try:
            barrier.wait(timeout=30)
            response = browser.post("/donate/pay", data=review.form)
            outcomes[index] = (response.status_code, response.headers.get("Location"))
        except Exception as error:  # a crash in a thread is a result to report
            outcomes[index] = error

    threads = [threading.Thread(target=click, args=(i,)) for i in range(CLICKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a pay request hung"

    crashes = [o for o in outcomes if not isinstance(o, tuple)]
    assert not crashes, crashes
    redirects = [o for o in outcomes if o == (302, "/donate/pay")]
    handled = [o for o in outcomes if 400 <= o[0] < 500]
    assert len(redirects) + len(handled) == CLICKS, outcomes
    assert redirects, outcomes

    with engine.connect() as connection:
        draft_id = connection.scalar(
            select(CheckoutDraft.id).where(CheckoutDraft.public_id == review.draft_public_id)
        )
        rows = connection.execute(
            select(Donation.stripe_payment_intent_id, Donation.stripe_client_secret).where(
                Donation.draft_id == draft_id
            )
        ).all()
    assert len(rows) == 1, rows
    [(intent_id, secret)] = rows
    assert payment_intent_ids(standin_account) == [intent_id]
    assert secret and secret.startswith(f"{intent_id}_secret_")
    # The donor's own browser now shows the one PaymentIntent.
    browser = committing_app.test_client()
    browser.set_cookie(cookie_name, review.cookie)
    assert client_secret(pay_page(browser)) == secret


# --- pressing pay again later, on SQLite or PostgreSQL -----------------------------------


@pytest.fixture
def bound_app(connection, database_url, stripe_standin, standin_account) -> Iterator[Flask]:
    """The usual test app (inside the test's transaction), DE on a fresh stand-in account."""
    app = create_app(
        pay_settings(database_url, stripe_standin), environ=fresh_account_environ(standin_account)
    )
    get_database(app).bind_to(connection)
    yield app
    get_database(app).engine.dispose()


def test_pressing_pay_again_reuses_the_donation_and_its_intent(
    bound_app: Flask, connection, standin_account
) -> None:
    client = bound_app.test_client()
    review = reach_pay_button(client, "again@example.org")
    first = client.post("/donate/pay", data=review.form)
    assert first.headers.get("Location") == "/donate/pay"
    first_secret = client_secret(pay_page(client))
    second = client.post("/donate/pay", data=review.form)
    assert second.headers.get("Location") == "/donate/pay"
    assert client_secret(pay_page(client)) == first_secret

    draft_id = connection.scalar(
        select(CheckoutDraft.id).where(CheckoutDraft.public_id == review.draft_public_id)
    )
    count = connection.scalar(
        select(func.count()).select_from(Donation).where(Donation.draft_id == draft_id)
    )
    assert count == 1
    intent_id = connection.scalar(
        select(Donation.stripe_payment_intent_id).where(Donation.draft_id == draft_id)
    )
    assert first_secret.startswith(f"{intent_id}_secret_")
    assert payment_intent_ids(standin_account) == [intent_id]


# --- the same new donor in two browsers, and one event delivered twice, at once -----------


def run_at_once(count: int, action: Any) -> list[Any]:
    """Run `action(index)` on `count` threads released together; results or exceptions."""
    barrier = threading.Barrier(count)
    outcomes: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = action(index)
        except Exception as error:  # a crash in a thread is a result to report
            outcomes[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return outcomes


@pytest.mark.postgres
def test_a_new_donor_pressing_pay_in_two_browsers_at_once_is_one_donor(
    committing_app: Flask, engine: Engine, donor_email: str
) -> None:
    browsers = [committing_app.test_client() for _ in range(4)]
    reviews = [reach_pay_button(browser, donor_email) for browser in browsers]
    outcomes = run_at_once(
        len(browsers),
        lambda i: browsers[i].post("/donate/pay", data=reviews[i].form).status_code,
    )
    assert outcomes == [302] * len(browsers), outcomes
    with engine.connect() as connection:
        donors = connection.scalar(
            select(func.count()).select_from(Donor).where(Donor.email == donor_email)
        )
    assert donors == 1


@pytest.mark.postgres
def test_one_event_delivered_many_times_at_once_is_stored_once(
    committing_app: Flask, engine: Engine
) -> None:
    event_id = f"evt_simultaneous_{secrets.token_hex(6)}"
    body = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "test.simultaneous",
            "created": int(time.time()),
            "data": {"object": {"id": "obj_1"}},
        }
    ).encode()
    secret = standin_keys("UK").webhook_secret

    def deliver(_index: int) -> int:
        return (
            committing_app.test_client()
            .post(
                "/webhooks/stripe/UK",
                data=body,
                content_type="application/json",
                headers={"Stripe-Signature": sign(body, secret)},
            )
            .status_code
        )

    try:
        assert run_at_once(8, deliver) == [200] * 8
        with engine.connect() as connection:
            stored = connection.scalar(
                select(func.count())
                .select_from(StripeEvent)
                .where(StripeEvent.event_id == event_id)
            )
            queued = connection.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.key == f"event-{event_id}")
            )
        assert (stored, queued) == (1, 1)
    finally:  # this test commits: leave nothing behind for the tests after it
        with engine.begin() as connection:
            connection.execute(
                delete(OutboxMessage).where(OutboxMessage.key == f"event-{event_id}")
            )
            connection.execute(delete(StripeEvent).where(StripeEvent.event_id == event_id))
