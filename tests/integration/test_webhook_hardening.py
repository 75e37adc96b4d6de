"""Webhooks answer every well-signed body with a 2xx or a clear 4xx, never a 5xx.

Each case here answered 500 once: a body that is JSON but not an event, a refund for a charge
we never made, a signature dated ahead of now, a large event refused by the forms' body limit.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from checkout import create_app
from checkout.db import get_database
from checkout.payments.credentials import standin_keys
from checkout.payments.models import StripeEvent
from tests.conftest import test_settings
from tests.outbox_support import apply_events
from tests.payments_support import sign


@pytest.fixture
def app(connection, database_url, stripe_standin) -> Iterator[Flask]:
    """The app talking to the stand-in, inside the test's transaction."""
    settings = test_settings(
        database_url, STRIPE_API_BASE=stripe_standin.base_url, STRIPE_MAX_NETWORK_RETRIES=0
    )
    app = create_app(settings, environ={})
    get_database(app).bind_to(connection)
    yield app
    get_database(app).engine.dispose()


def post_signed(app: Flask, body: bytes, timestamp: int | None = None, office: str = "DE"):
    """POST `body` to the office's endpoint, signed with its secret."""
    secret = standin_keys(office).webhook_secret
    return app.test_client().post(
        f"/webhooks/stripe/{office}",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": sign(body, secret, timestamp)},
    )


def event(event_id: str, kind: str, data_object: dict) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {"object": data_object},
        }
    ).encode()


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"[1, 2]",
        b'"text"',
        b"42",
        b"null",
        b"{}",
        b'{"data": []}',
        b'{"data": {"object": 1}}',
    ],
)
def test_a_signed_body_that_is_not_an_event_is_refused_with_400(app: Flask, body: bytes) -> None:
    assert post_signed(app, body).status_code == 400


def test_a_body_that_is_not_json_or_not_utf8_is_refused_with_400(app: Flask) -> None:
    assert post_signed(app, b"{not json").status_code == 400
    assert post_signed(app, b"\xff\xfe\x00").status_code == 400


def test_a_signature_dated_in_the_future_beyond_the_tolerance_is_refused(app: Flask) -> None:
    body = event("evt_future_1", "test.thing", {"id": "x_1"})
    assert post_signed(app, body, timestamp=int(time.time()) + 3600).status_code == 400
    assert post_signed(app, body, timestamp=int(time.time()) - 3600).status_code == 400
    assert post_signed(app, body, timestamp=int(time.time()) + 60).status_code == 200


def test_a_refund_for_a_charge_we_do_not_know_is_kept_for_finance(app: Flask, db_session) -> None:
    body = event("evt_foreign_refund", "charge.refunded", {"id": "ch_never_made_here"})
    assert post_signed(app, body).status_code == 200
    assert apply_events(app) == 1
    stored = db_session.scalar(
        select(StripeEvent).where(StripeEvent.event_id == "evt_foreign_refund")
    )
    assert stored is not None
    assert stored.outcome == "unmatched"


def test_webhooks_have_their_own_body_limit_apart_from_the_forms(app: Flask) -> None:
    padding = "x" * (200 * 1024)  # larger than any form may be, as an invoice with many lines
    body = event("evt_large_1", "test.large", {"id": "in_1", "padding": padding})
    assert len(body) > app.config["MAX_CONTENT_LENGTH"]
    assert post_signed(app, body).status_code == 200
    form = app.test_client().post("/donate/amount", data={"amount": padding})
    assert form.status_code == 413
    huge = event("evt_huge_1", "test.large", {"id": "in_2", "padding": "x" * 2_000_000})
    assert post_signed(app, huge).status_code == 413
