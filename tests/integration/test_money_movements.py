"""Our records follow real Stripe's money movements (the stand-in over HTTP, real stripe SDK):
failed debits, refunds that fail, settlement in another currency, disputes that are inquiries,
prevented or appealed, and payouts reconciled only when Stripe says they can be.

Each test has a fresh stand-in account for its office, so the control API's moves (settle,
refund, dispute, pay out) touch nothing of another test's.
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
from checkout.donations.models import Donation, Payment
from checkout.outbox.worker import Worker
from checkout.payments.models import StripeEvent
from checkout.receipts.models import VOID, Receipt, ReceiptItem
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


@pytest.fixture
def gift_in(connection, database_url, stripe_standin, standin_account, tmp_path) -> Iterator[Any]:
    apps: list[Flask] = []

    def make(code: str) -> Gift:
        settings = test_settings(
            database_url,
            STRIPE_API_BASE=stripe_standin.base_url,
            STRIPE_MAX_NETWORK_RETRIES=0,
            PAY_RATE_LIMIT="1000 per hour",
            MAIL_TRANSPORT="file",
            MAIL_FILE_DIR=str(tmp_path / "mail"),
        )
        environ = account_environ(
            code, standin_account.secret_key, standin_account.publishable_key, WEBHOOK_SECRET
        )
        app = create_app(settings, environ=environ)
        get_database(app).bind_to(connection)
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


# --- failed bank debits -------------------------------------------------------------------------


def test_a_failed_debit_keeps_its_booking_and_reversal_and_gets_no_receipt(
    gift_in, db_session
) -> None:
    gift = gift_in("DE")
    sepa_gift(gift, iban="DE62370400440532013001")
    gift.deliver_new()
    payment = the_payment(db_session)
    assert payment.status == "processing"
    submitted = payment.stripe_balance_transaction_id
    assert submitted and payment.fee_minor == 35  # booked at submission
    gift.control.settle_debits(gift.key)
    gift.deliver_new()
    payment = the_payment(db_session)
    assert (payment.status, payment.donation.status) == ("failed", "failed")
    assert payment.stripe_balance_transaction_id == submitted
    reversal = gift.office.client.v1.balance_transactions.retrieve(
        str(payment.stripe_failure_balance_transaction_id)
    )
    assert (reversal.type, reversal.source) == ("payment_failure_refund", payment.stripe_charge_id)
    assert payment.paid_at is None and payment.receipt_due_at is None
    gift.run_worker()
    assert receipts_of(db_session, payment) == []
    assert not exported(db_session, payment)


# --- refunds that stay pending, and fail ---------------------------------------------------------


def test_a_refund_that_fails_after_the_void_reissues_the_receipt(gift_in, db_session) -> None:
    gift = gift_in("DE")
    intent = sepa_gift(gift)
    gift.control.settle_debits(gift.key)
    gift.deliver_new()
    gift.run_worker()
    [first] = receipts_of(db_session, the_payment(db_session))
    assert first.status == "issued"

    refund = gift.office.client.v1.refunds.create(params={"payment_intent": intent})
    assert refund.status == "pending"  # a bank debit's refund waits for the bank
    gift.deliver_new()
    payment = the_payment(db_session)
    assert (payment.status, payment.refunded_minor) == ("refunded", payment.amount_minor)
    gift.run_worker()
    [voided] = receipts_of(db_session, payment)
    assert voided.status == VOID

    gift.control.settle_refunds(gift.key, fail=True)
    assert "charge.refund.updated" in gift.deliver_new()
    payment = the_payment(db_session)
    assert (payment.status, payment.refunded_minor) == ("succeeded", 0)
    assert payment.donation.status == "succeeded"
    gift.run_worker()
    voided, again = receipts_of(db_session, payment)
    assert (voided.status, again.status) == (VOID, "issued")
    assert again.replaces_id == voided.id  # the replacement cites the voided receipt
    assert again.total_minor == payment.amount_minor
    assert again.pdf is not None and again.emailed_at is not None
    assert exported(db_session, payment)


def test_a_pending_debit_refund_that_succeeds_leaves_the_receipt_void(gift_in, db_session) -> None:
    gift = gift_in("DE")
    intent = sepa_gift(gift)
    gift.control.settle_debits(gift.key)
    gift.deliver_new()
    gift.run_worker()
    gift.office.client.v1.refunds.create(params={"payment_intent": intent, "amount": 500})
    gift.deliver_new()
    gift.run_worker()
    gift.control.settle_refunds(gift.key)
    gift.deliver_new()
    gift.run_worker()
    payment = the_payment(db_session)
    assert (payment.status, payment.refunded_minor) == ("partially_refunded", 500)
    voided, replacement = receipts_of(db_session, payment)
    assert (voided.status, replacement.status) == (VOID, "issued")
    assert replacement.total_minor == payment.amount_minor - 500  # not reissued again


# --- another currency than the account's --------------------------------------------------------


def test_a_gift_in_another_currency_records_the_settlement_amounts(gift_in, db_session) -> None:
    gift = gift_in("INT")
    gift.control.configure_account(gift.key, default_currency="usd")
    card_gift(gift, "INT", currency="EUR", amount="EUR:5000")
    gift.deliver_new()
    payment = the_payment(db_session)
    assert (payment.amount_minor, payment.currency) == (5000, "EUR")  # what the donor gave
    assert (payment.settlement_currency, payment.exchange_rate) == ("USD", "1.085")
    assert (payment.fee_minor, payment.net_minor) == (106, 5425 - 106)  # in US cents
    gift.run_worker()
    [receipt] = receipts_of(db_session, payment)
    assert (receipt.currency, receipt.total_minor) == ("EUR", 5000)


# --- disputes: inquiries, prevented, appeals -----------------------------------------------------


def test_an_inquiry_holds_the_gift_until_it_closes(gift_in, db_session) -> None:
    gift = gift_in("DE")
    intent = card_gift(gift)
    gift.deliver_new()
    gift.run_worker()
    dispute = gift.control.open_dispute(gift.key, intent, "general", kind="inquiry")
    gift.deliver_new()
    payment = the_payment(db_session)
    assert payment.status == "disputed"
    assert not exported(db_session, payment)  # it may still become a chargeback
    gift.control.close_dispute(gift.key, dispute, won=True)  # warning_closed
    gift.deliver_new()
    gift.run_worker()
    payment = the_payment(db_session)
    assert (payment.status, payment.donation.status) == ("succeeded", "succeeded")
    assert [r.status for r in receipts_of(db_session, payment)] == ["issued"]  # it stood
    assert exported(db_session, payment)


def test_a_prevented_dispute_is_money_returned(gift_in, db_session) -> None:
    gift = gift_in("DE")
    intent = card_gift(gift)
    gift.deliver_new()
    gift.run_worker()
    gift.control.open_dispute(gift.key, intent, kind="prevented")
    gift.deliver_new()
    gift.run_worker()
    payment = the_payment(db_session)
    assert payment.status == "lost"  # not "disputed" for ever
    assert [r.status for r in receipts_of(db_session, payment)] == [VOID]
    assert not exported(db_session, payment)


def test_an_appeal_keeps_the_gift_disputed_until_it_is_decided(gift_in, db_session) -> None:
    gift = gift_in("DE")
    intent = card_gift(gift)
    gift.deliver_new()
    gift.run_worker()
    dispute = gift.control.open_dispute(gift.key, intent)
    gift.office.client.v1.disputes.update(dispute, params={"submit": True})
    gift.control.appeal_dispute(gift.key, dispute)
    gift.deliver_new()
    payment = the_payment(db_session)
    assert payment.status == "disputed"
    assert not exported(db_session, payment)
    gift.control.close_dispute(gift.key, dispute, won=True)
    gift.deliver_new()
    gift.run_worker()
    payment = the_payment(db_session)
    assert payment.status == "won"
    assert [r.status for r in receipts_of(db_session, payment)] == ["issued"]
    assert exported(db_session, payment)


# --- payouts -------------------------------------------------------------------------------------


def test_a_payout_is_reconciled_at_reconciliation_completed_not_at_paid(
    gift_in, db_session
) -> None:
    gift = gift_in("DE")
    intent = intent_of(client_secret(pay(gift.client, "DE", method="card")))
    gift.office.client.v1.payment_intents.confirm(intent, params={"payment_method": "pm_card_visa"})
    gift.deliver_new()
    gift.control.complete_captures(gift.key)
    # The charge.updated that brings the fee is lost on its way to us.
    gift.delivered |= {e["id"] for e in gift.office.all_events()}
    assert the_payment(db_session).stripe_balance_transaction_id is None

    gift.control.advance_clock(gift.key, 3 * 86_400)  # card funds become available
    payout_id = gift.control.payout(gift.key)
    payout = gift.office.client.v1.payouts.retrieve(payout_id)
    assert payout.arrival_date > gift.control.now(gift.key)
    gift.control.advance_clock(gift.key, payout.arrival_date - gift.control.now(gift.key))
    assert "payout.paid" in gift.deliver_new()
    assert the_payment(db_session).stripe_balance_transaction_id is None  # nothing from paid
    gift.control.advance_clock(gift.key, 3600)
    assert "payout.reconciliation_completed" in gift.deliver_new()
    payment = the_payment(db_session)
    assert payment.stripe_balance_transaction_id is not None
    fee = (payment.amount_minor * 150 + 5_000) // 10_000 + 25  # the stand-in's card fee
    assert (payment.fee_minor, payment.net_minor) == (fee, payment.amount_minor - fee)
    outcomes = dict(
        db_session.execute(
            select(StripeEvent.type, StripeEvent.outcome).where(
                StripeEvent.type.in_(["payout.paid", "payout.reconciliation_completed"])
            )
        ).all()
    )
    assert outcomes == {"payout.paid": "stored", "payout.reconciliation_completed": "applied"}
    assert db_session.scalar(select(Donation.status).where(Donation.id == payment.donation_id)) == (
        "succeeded"
    )
