"""Helpers for paying as the browser does now: a ConfirmationToken made at the stand-in with the
publishable key (what Stripe.js does), posted to our server, which confirms."""

from __future__ import annotations

import re
from typing import Any

import altcha
import stripe
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.wizard_driver import CSRF

CARDS = {
    "visa": "4242424242424242",
    "3ds": "4000002500003155",
    "declined": "4000000000000002",
    "insufficient": "4000000000009995",
    "lost": "4000000000009987",
    "expired": "4000000000000069",
    "cvc": "4000000000000127",
}
DECLINING = ["declined", "insufficient", "lost", "expired", "cvc"]


def browser_token(standin_base: str, publishable_key: str, **params: Any) -> str:
    """POST /v1/confirmation_tokens with the publishable key, as Stripe.js does."""
    browser = stripe.StripeClient(
        publishable_key, base_addresses={"api": standin_base}, max_network_retries=0
    )
    response = browser.raw_request("post", "/v1/confirmation_tokens", **params)
    assert response.code == 200, response.body
    return str(browser.deserialize(response, api_mode="V1").id)


def card_token(standin_base: str, publishable_key: str, card: str = "visa") -> str:
    """A ConfirmationToken for one of Stripe's test cards."""
    number = CARDS.get(card, card)
    return browser_token(
        standin_base,
        publishable_key,
        payment_method_data={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        },
    )


def sepa_token(standin_base: str, publishable_key: str) -> str:
    """A ConfirmationToken for a SEPA debit that settles (Stripe.js's request carries the
    donor's online mandate acceptance: the stand-in records it from the request)."""
    return browser_token(
        standin_base,
        publishable_key,
        payment_method_data={
            "type": "sepa_debit",
            "sepa_debit": {"iban": "DE89370400440532013000"},
            "billing_details": {"name": "Alex Doe", "email": "alex@example.org"},
        },
    )


def csrf_of(page: TestResponse) -> str:
    """The CSRF token the pay page hands its script."""
    html = page.get_data(as_text=True)
    found = re.search(r'data-csrf-token="([^"]+)"', html) or CSRF.search(html)
    assert found, html
    return found.group(1)


def confirm(client: FlaskClient, token: str | None, csrf: str, **extra: Any) -> TestResponse:
    """What pay.js posts: the token (or after_action), with the CSRF header."""
    body: dict[str, Any] = {"confirmation_token": token} if token else {"after_action": True}
    body.update(extra)
    return client.post("/donate/pay/confirm", json=body, headers={"X-CSRFToken": csrf})


def solve(review_html: str) -> str | None:
    """Solve the review page's proof-of-work challenge, as the widget does; the payload (None
    when the page asks for none)."""
    found = re.search(r'<altcha-widget name="altcha" challenge="([^"]+)"', review_html)
    if found is None:
        return None
    import html
    import json

    challenge = altcha.Challenge.from_dict(json.loads(html.unescape(found.group(1))))
    solution = altcha.solve_challenge(challenge, timeout=60)
    assert solution is not None
    return altcha.Payload(challenge, solution).to_base64()
