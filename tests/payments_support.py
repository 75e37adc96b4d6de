"""Helpers for payment tests: an app wired to the stand-in, and webhook delivery by hand.

Events come from the stand-in's own event list (real objects, as Stripe would send them); the
test signs and posts them, so it controls order and repetition exactly.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import stripe
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from checkout.db import get_database
from checkout.donations.models import Donation
from checkout.offices import load_registry
from checkout.payments.credentials import standin_keys
from tests.outbox_support import apply_events
from tests.wizard_driver import WizardDriver, pay_form, reach_review, registry_of


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for `payload`, exactly as Stripe computes it."""
    moment = int(timestamp or time.time())
    digest = hmac.new(secret.encode(), f"{moment}.".encode() + payload, hashlib.sha256)
    return f"t={moment},v1={digest.hexdigest()}"


@dataclass
class Office:
    """One office's account on the stand-in, and our webhook endpoint for it."""

    code: str
    app: Flask
    client: stripe.StripeClient
    webhook_secret: str | None = None  # another account's secret (see `account_environ`)

    @property
    def secret(self) -> str:
        return self.webhook_secret or standin_keys(self.code).webhook_secret

    def all_events(self) -> list[dict[str, Any]]:
        """Every event of the account in the order they happened (for a fresh account: one
        scenario's). The list is newest first; `created` has only whole seconds, and ids are
        random, so the list's own order is the only true order within a second."""
        listed = self.client.v1.events.list(params={"limit": 100}).auto_paging_iter()
        return [event.to_dict() for event in listed][::-1]

    def events_about(self, object_ids: set[str], since: int) -> list[dict[str, Any]]:
        """Events (oldest first) whose object is one of `object_ids`.

        The account may be shared with other tests, so page back until `since`, and keep the
        list's own order (newest first, reversed): within one second it is the only true order.
        """
        found = []
        for event in self.client.v1.events.list(params={"limit": 100}).auto_paging_iter():
            if event.created < since:
                break
            found.append(event.to_dict())
        found.reverse()
        mine = [
            e
            for e in found
            if e["data"]["object"].get("id") in object_ids
            or e["data"]["object"].get("payment_intent") in object_ids
            or e["data"]["object"].get("charge") in object_ids
            or _subscription_of(e) in object_ids
        ]
        return mine

    def deliver(self, events: Iterable[dict[str, Any]], secret: str | None = None) -> list[int]:
        """POST each event to our endpoint for this office and apply it, as a worker does
        after the webhook has stored it; the status codes."""
        client = self.app.test_client()
        statuses = []
        for event in events:
            payload = json.dumps(event, default=_number).encode()
            response = client.post(
                f"/webhooks/stripe/{self.code}",
                data=payload,
                content_type="application/json",
                headers={"Stripe-Signature": sign(payload, secret or self.secret)},
            )
            statuses.append(response.status_code)
            apply_events(self.app)
        return statuses


OFFICES_FILE = Path(__file__).resolve().parents[1] / "config" / "offices.toml"


def account_environ(
    office_code: str, secret_key: str, publishable_key: str, webhook_secret: str
) -> dict[str, str]:
    """The environment (for `create_app(environ=...)`) giving one office these Stripe keys,
    under the variable names config/offices.toml names for it; other offices fall back to
    their shared stand-in keys."""
    names = load_registry(OFFICES_FILE).get(office_code).stripe
    return {
        names.secret_key_env: secret_key,
        names.publishable_key_env: publishable_key,
        names.webhook_secret_env: webhook_secret,
    }


def _number(value: Any) -> Any:
    """The SDK parses JSON numbers with fractions as Decimal; send them back as numbers."""
    return float(value)


def _subscription_of(event: dict[str, Any]) -> str | None:
    obj = event["data"]["object"]
    parent = obj.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return details.get("subscription") or (
        obj.get("id") if obj.get("object") == "subscription" else None
    )


def pay(
    client: FlaskClient, office_code: str, method: str | None = None, **amount_changes: str
) -> TestResponse:
    """Walk the wizard to review, press pay, and land on the pay page."""
    donor = WizardDriver(client)
    office = registry_of(client).get(office_code)
    if amount_changes:
        from tests.wizard_driver import amount_data, details_data, reach_details

        notice = reach_details(donor, office)
        donor.post("amount", amount_data(office, **amount_changes))
        donor.post("details", details_data(office, notice))
        donor.post("method", {"method": method or "card"})
        review = donor.get("/donate/review")
    else:
        review = reach_review(donor, office, method=method)
    response = client.post("/donate/pay", data=pay_form(review.get_data(as_text=True)))
    assert response.headers.get("Location") == "/donate/pay", response.get_data(as_text=True)
    return pay_page(client)


def pay_page(client: FlaskClient) -> TestResponse:
    """The pay page, with the client secret of its PaymentIntent read from our database.

    The page itself carries no client secret (our server confirms with a ConfirmationToken);
    tests that play the browser's part at Stripe directly take it from here.
    """
    page = client.get("/donate/pay")
    found = re.search(
        r'data-return-url="[^"]*/donate/return/([^"/?]+)"', page.get_data(as_text=True)
    )
    assert found, page.get_data(as_text=True)
    with get_database(client.application).session_factory() as session:
        donation = session.scalar(select(Donation).where(Donation.public_id == found.group(1)))
        assert donation is not None
        secret = donation.stripe_client_secret
    page.stripe_client_secret = secret  # type: ignore[attr-defined]
    return page


def client_secret(page: TestResponse) -> str:
    """The client secret behind a page from `pay` or `pay_page`."""
    secret = getattr(page, "stripe_client_secret", None)
    assert secret, "use pay() or pay_page() to open the pay page"
    return str(secret)
