"""Our records follow real Stripe's money movements (the stand-in over HTTP, real stripe SDK):
failed debits, refunds that fail, settlement in another currency, disputes that are inquiries,
prevented or appealed, and payouts reconciled only when Stripe says they can be.

Each test has a fresh stand-in account for its office (`gift_in`, tests/money_support.py), so
the control API's moves (settle, refund, dispute, pay out) touch nothing of another test's.
"""

from __future__ import annotations

from sqlalchemy import select

from checkout.donations.models import Donation
from checkout.payments.models import StripeEvent
from checkout.receipts.models import VOID
from tests.money_support import (
    card_gift,
    exported,
    intent_of,
    receipts_of,
    sepa_gift,
    the_payment,
)
from tests.payments_support import client_secret, pay

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
    # payout.paid is handed on to finance (which keeps the payout), but fills in nothing.
    assert outcomes == {"payout.paid": "applied", "payout.reconciliation_completed": "applied"}
    assert db_session.scalar(select(Donation.status).where(Donation.id == payment.donation_id)) == (
        "succeeded"
    )
