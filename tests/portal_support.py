"""Helpers for the portal's tests: a donor's records, and signing in as a donor does, through
the emailed link (the outbox sends it to the loopback SMTP server).

Factories flush, never commit: each test's transaction is rolled back.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from checkout.donations.models import Donation, Donor, Payment, RecurringPlan
from tests.factories import stored_draft
from tests.integration.test_receipt_delivery import drain

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"https?://\S+/account/sign-in/([A-Za-z0-9_\-]{40,})")


def make_donor(session: Session, email: str, office: str = "DE", **values: Any) -> Donor:
    """A donor of `office` with a name and address, added and flushed."""
    donor = Donor(
        office_code=office,
        email=email,
        first_name=values.pop("first_name", "Dana"),
        last_name=values.pop("last_name", "Donor"),
        country=values.pop("country", "DE" if office == "DE" else "GB"),
        address_line1="Ring 1",
        postcode=values.pop("postcode", "10115"),
        city="Berlin",
        locale="en",
        **values,
    )
    session.add(donor)
    session.flush()
    return donor


def give_once(session: Session, donor: Donor, amount_minor: int = 5000, **values: Any) -> Payment:
    """A paid one-time gift of `donor`, added and flushed."""
    currency = values.pop("currency", "EUR")
    donation = Donation(
        draft_id=stored_draft(session),
        donor=donor,
        office_code=donor.office_code,
        currency=currency,
        amount_minor=amount_minor,
        frequency="once",
        method="card",
        status="succeeded",
    )
    payment = Payment(
        donation=donation,
        status="succeeded",
        amount_minor=amount_minor,
        currency=currency,
        paid_at=values.pop("paid_at", datetime.now(UTC) - timedelta(days=3)),
        card_last4="4242",
        **values,
    )
    session.add(payment)
    session.flush()
    return payment


def give_monthly(
    session: Session, donor: Donor, subscription: str, customer: str, amount_minor: int = 1000
) -> RecurringPlan:
    """An active monthly gift of `donor` with one paid instalment, added and flushed."""
    donation = Donation(
        draft_id=stored_draft(session),
        donor=donor,
        office_code=donor.office_code,
        currency="EUR",
        amount_minor=amount_minor,
        frequency="monthly",
        method="card",
        status="succeeded",
    )
    plan = RecurringPlan(
        donation=donation,
        stripe_subscription_id=subscription,
        stripe_customer_id=customer,
        status="active",
        interval="month",
        current_period_end=datetime.now(UTC) + timedelta(days=20),
    )
    payment = Payment(
        donation=donation,
        plan=plan,
        status="succeeded",
        amount_minor=amount_minor,
        currency="EUR",
        paid_at=datetime.now(UTC) - timedelta(days=10),
        stripe_subscription_id=subscription,
    )
    session.add_all([plan, payment])
    session.flush()
    return plan


def csrf_of(page: TestResponse) -> str:
    """The CSRF token of a page's form."""
    found = CSRF.search(page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)[:500]
    return found.group(1)


def ask_for_link(client: FlaskClient, email: str) -> TestResponse:
    """Type the address on the sign-in page and press the button."""
    page = client.get("/account/sign-in")
    return client.post("/account/sign-in", data={"csrf_token": csrf_of(page), "email": email})


def link_in(message: EmailMessage) -> str:
    """The sign-in link's token in an email."""
    body = message.get_body(("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found, body.get_content()
    return found.group(1)


def sign_in(app: Flask, client: FlaskClient, smtp: Any, email: str) -> FlaskClient:
    """The whole way in: ask, the worker sends the email, open the link, press the button."""
    before = len(smtp.messages)
    assert ask_for_link(client, email).status_code == 200
    drain(app)
    [message] = [m for m in smtp.messages[before:] if m["To"] == email]
    token = link_in(message)
    page = client.get(f"/account/sign-in/{token}")
    assert page.status_code == 200
    signed = client.post(f"/account/sign-in/{token}", data={"csrf_token": csrf_of(page)})
    assert signed.status_code == 302 and signed.headers["Location"] == "/account/"
    return client
