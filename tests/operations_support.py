"""A demo checkout for the operations tests: a donor with recognisable details gives through
the wizard and our server's confirmation (as the pay page does), Stripe's events come back
signed and are applied, and the outbox issues and emails the receipt."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout.observability.logs import JsonLines
from tests.card_support import browser_token, card_token, confirm, csrf_of
from tests.outbox_support import run_outbox
from tests.payments_support import Office
from tests.wizard_driver import (
    WizardDriver,
    amount_data,
    details_data,
    pay_form,
    reach_details,
    registry_of,
)

#: Who gives: details distinctive enough to look for in every log line.
DONOR = {
    "first_name": "Wilhelmina",
    "last_name": "Quackenbush",
    "email": "wilhelmina.quackenbush@example.org",
    "address_line1": "Zauberweg 17",
    "postcode": "82467",
    "city": "Garmisch-Partenkirchen",
    "phone": "030 5550199",
}
IBAN = "DE89370400440532013000"


@dataclass
class Gift:
    """What the donor's browser saw: the pay page's answer and the thank-you page."""

    public_id: str
    confirmation_token: str
    thanks: str


def give(
    client: FlaskClient, standin_base: str, publishable_key: str, method: str = "card"
) -> Gift:
    """Walk the wizard as a DE donor, press Donate, and pay by card or SEPA debit."""
    donor = WizardDriver(client)
    office = registry_of(client).get("DE")
    notice = reach_details(donor, office)
    donor.post("amount", amount_data(office))
    assert donor.post("details", details_data(office, notice, **DONOR)).status_code == 302
    assert donor.post("method", {"method": method}).status_code == 302
    review = donor.get("/donate/review")
    assert client.post("/donate/pay", data=pay_form(review.get_data(as_text=True))).status_code
    page = client.get("/donate/pay")
    token = (
        card_token(standin_base, publishable_key, "visa")
        if method == "card"
        else browser_token(
            standin_base,
            publishable_key,
            payment_method_data={
                "type": "sepa_debit",
                "sepa_debit": {"iban": IBAN},
                "billing_details": {
                    "name": f"{DONOR['first_name']} {DONOR['last_name']}",
                    "email": DONOR["email"],
                },
            },
        )
    )
    answer = confirm(client, token, csrf_of(page))
    assert answer.status_code == 200 and answer.json["outcome"] == "done", answer.json
    returned = client.get(answer.json["redirect"])
    thanks_path = returned.headers["Location"]
    public_id = thanks_path.rsplit("/", 1)[-1]
    return Gift(public_id, token, client.get(thanks_path).get_data(as_text=True))


def settle(app: Flask, office: Office) -> None:
    """Deliver every event of the office's (fresh) account, then run the whole outbox."""
    assert set(office.deliver(office.all_events())) == {200}
    run_outbox(app)


@pytest.fixture
def captured_log() -> io.StringIO:
    """Every line any logger writes, as the JSON handler writes it (the root logger is put
    back after the test by tests/conftest.py)."""
    sink = io.StringIO()
    logging.getLogger().addHandler(JsonLines(sink))
    return sink


WEBHOOK_SECRET = "whsec_operations_tests"


@pytest.fixture
def ops_app(
    connection, database_url, stripe_standin, standin_account, smtp_server, captured_log
) -> Iterator[Flask]:
    """The app with JSON logs (into `captured_log`, logging restored afterwards), DE on a fresh
    stand-in account, mail to the loopback SMTP server, inside the test's transaction."""
    from checkout import create_app
    from checkout.db import get_database
    from tests.conftest import test_settings
    from tests.payments_support import account_environ

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
        LOG_FORMAT="json",
        LOG_LEVEL="DEBUG",
    )
    environ = account_environ(
        "DE", standin_account.secret_key, standin_account.publishable_key, WEBHOOK_SECRET
    )
    app = create_app(settings, environ=environ)
    get_database(app).bind_to(connection)
    yield app
    get_database(app).engine.dispose()


def de_office(app: Flask, standin_account: Any) -> Office:
    """The DE office's fresh account, delivering to `app`."""
    return Office("DE", app, standin_account.client, WEBHOOK_SECRET)
