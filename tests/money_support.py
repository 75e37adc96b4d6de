"""Helpers and the `gift_in` fixture for money movement tests: one office's app on a fresh
stand-in account, events delivered as they come, the outbox run, exports tried and rolled back.

Loaded as a pytest plugin by tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout import create_app
from checkout.core.clock import utcnow
from checkout.db import get_database
from checkout.donations.models import Payment
from checkout.outbox.worker import Worker
from checkout.receipts.models import Receipt, ReceiptItem
from checkout.transfers.models import OfficeExportGift
from checkout.transfers.services import export_next
from tests.conftest import test_settings
from tests.payments_support import Office, account_environ, client_secret, pay

WEBHOOK_SECRET = "whsec_money_movement_tests"
MANDATE = {
    "customer_acceptance": {
        "type": "online",
        "online": {"ip_address": "127.0.0.1", "user_agent": "pytest"},
    }
}


@dataclass
class Gift:
    """One office's app on a fresh stand-in account, and the events delivered so far."""

    app: Flask
    client: FlaskClient
    office: Office
    account: Any  # StandinAccount
    delivered: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return str(self.account.secret_key)

    @property
    def control(self) -> Any:
        return self.account.control

    def deliver_new(self) -> list[str]:
        """Deliver every event not delivered yet, in Stripe's order; their types."""
        events = [e for e in self.office.all_events() if e["id"] not in self.delivered]
        assert set(self.office.deliver(events)) <= {200}
        self.delivered |= {e["id"] for e in events}
        return [e["type"] for e in events]

    def run_worker(self) -> None:
        """Run the outbox until it is empty (receipts numbered, rendered, emailed)."""
        worker = Worker(get_database(self.app).session_factory)
        with self.app.app_context():
            while worker.run_once():
                pass


def app_on_account(
    code: str,
    account: Any,
    webhook_secret: str,
    connection: Any,
    database_url: str,
    **settings: Any,
) -> Flask:
    """The app with office `code` on the stand-in account `account` (a StandinAccount), bound
    to the test's transaction; the other offices keep their shared stand-in keys."""
    config = test_settings(
        database_url,
        STRIPE_API_BASE=account.standin.base_url,
        STRIPE_MAX_NETWORK_RETRIES=0,
        PAY_RATE_LIMIT="1000 per hour",
        **settings,
    )
    environ = account_environ(code, account.secret_key, account.publishable_key, webhook_secret)
    app = create_app(config, environ=environ)
    get_database(app).bind_to(connection)
    return app


@pytest.fixture
def gift_in(connection, database_url, standin_account, tmp_path) -> Iterator[Any]:
    apps: list[Flask] = []

    def make(code: str) -> Gift:
        app = app_on_account(
            code,
            standin_account,
            WEBHOOK_SECRET,
            connection,
            database_url,
            MAIL_TRANSPORT="file",
            MAIL_FILE_DIR=str(tmp_path / "mail"),
        )
        apps.append(app)
        office = Office(code, app, standin_account.client, WEBHOOK_SECRET)
        return Gift(app, app.test_client(), office, standin_account)

    yield make
    for app in apps:
        get_database(app).engine.dispose()


def intent_of(secret: str) -> str:
    return secret.split("_secret_")[0]


def sepa_gift(gift: Gift, iban: str = "DE89370400440532013000") -> str:
    """A one-time SEPA gift through the wizard, confirmed as the browser would; its intent."""
    intent = intent_of(client_secret(pay(gift.client, "DE", method="sepa_debit")))
    method = gift.office.client.v1.payment_methods.create(
        params={
            "type": "sepa_debit",
            "sepa_debit": {"iban": iban},
            "billing_details": {"name": "Alex Doe", "email": "alex@example.org"},
        }
    )
    gift.office.client.v1.payment_intents.confirm(
        intent, params={"payment_method": method.id, "mandate_data": MANDATE}
    )
    return intent


def card_gift(gift: Gift, code: str = "DE", card: str = "pm_card_visa", **amount: str) -> str:
    """A one-time card gift, its capture completed; its intent."""
    intent = intent_of(client_secret(pay(gift.client, code, method="card", **amount)))
    gift.office.client.v1.payment_intents.confirm(intent, params={"payment_method": card})
    gift.control.complete_captures(gift.key)
    return intent


def the_payment(session: Session) -> Payment:
    session.expire_all()
    payment = session.scalars(select(Payment).order_by(Payment.id.desc())).first()
    assert payment is not None
    return payment


def receipts_of(session: Session, payment: Payment) -> list[Receipt]:
    session.expire_all()
    return list(
        session.scalars(
            select(Receipt)
            .join(ReceiptItem)
            .where(ReceiptItem.payment_id == payment.id)
            .order_by(Receipt.id)
        )
    )


def exported(session: Session, payment: Payment) -> bool:
    """Whether the office's next batch (made a week on, then rolled back) carries the gift."""
    savepoint = session.begin_nested()
    try:
        export_next(
            session,
            payment.donation.office_code,
            now=utcnow() + timedelta(days=8),
            hold=timedelta(days=7),
            hash_key="testing-evidence-key",
        )
        sent = select(OfficeExportGift.id).where(OfficeExportGift.payment_id == payment.id)
        return session.scalar(sent) is not None
    finally:
        savepoint.rollback()
