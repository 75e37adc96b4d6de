"""Finance reconciliation against the real stand-in over HTTP (the stripe SDK, payout events
delivered to our webhook and applied by the outbox handler): a month of gifts, a refund, a
lost dispute and three payouts add up with no exception; faults injected at Stripe or in our
database each show as the right exception. Runs on SQLite and PostgreSQL (marked db)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from checkout.core.clock import utcnow
from checkout.donations.models import Donation, Payment
from checkout.finance.models import BalanceTransaction, ReconciliationException
from checkout.finance.reconciliation import (
    AMOUNT_MISMATCH,
    CHARGE_NOT_OURS,
    CURRENCY_MISMATCH,
    MISSING_AT_STRIPE,
    RECEIPT_MISSING,
    RECEIPT_NOT_KEPT,
    RECEIPT_NOT_VOIDED,
    Rules,
    reconcile,
)
from checkout.payments.models import StripeEvent
from checkout.receipts.models import Receipt, ReceiptItem
from tests.factories import stored_draft
from tests.finance_support import (
    DAY,
    another_card_gift,
    first_month,
    open_kinds,
    pay_out_and_reconcile,
    run_reconciliation,
    stored_payouts,
    totals_of,
)
from tests.money_support import card_gift


def test_a_month_of_gifts_refunds_and_a_lost_dispute_reconciles_to_no_exception(
    gift_in, db_session
) -> None:
    gift = gift_in("DE")
    month = first_month(gift)
    payouts = stored_payouts(db_session, "DE")
    assert [p.stripe_payout_id for p in payouts] == month["payouts"]
    assert all(p.status == "paid" and p.lines_complete_at is not None for p in payouts)
    totals = totals_of(db_session, "DE")
    assert all(totals[p].balanced for p in month["payouts"])
    first, second, third = (totals[p] for p in month["payouts"])
    assert first.lines == 4 and first.refunds_minor == first.disputes_minor == 0
    assert second.refunds_minor == -4000  # the 40 euro gift refunded in full
    assert second.disputes_minor == -7500  # the chargeback lost
    assert second.fees_minor > 0 and second.net_minor == second.amount_minor
    assert third.gross_minor == 3000 and third.lines == 1
    assert open_kinds(db_session, "DE") == []  # the webhooks' reconciliation found nothing
    assert run_reconciliation(gift, db_session) == []  # nor does a run afterwards

    # Every line is matched to our payment; fees and net came from its balance transaction.
    lines = db_session.scalars(
        select(BalanceTransaction).where(BalanceTransaction.type != "payout")
    ).all()
    assert lines and all(line.payment_id is not None for line in lines)
    refund = next(line for line in lines if line.type == "refund")
    assert refund.refund_id and refund.refund_id.startswith("re_")
    dispute = next(line for line in lines if line.reporting_category == "dispute")
    assert dispute.dispute_id and dispute.dispute_id.startswith(("dp_", "du_"))
    for payment in db_session.scalars(select(Payment)):
        bookings = [line for line in lines if line.type in {"charge", "payment"}]
        booking = next(line for line in bookings if line.payment_id == payment.id)
        assert (payment.fee_minor, payment.net_minor) == (booking.fee_minor, booking.net_minor)
    outcomes = set(
        db_session.scalars(select(StripeEvent.outcome).where(StripeEvent.type.like("payout.%")))
    )
    assert outcomes == {"applied"}


def test_injected_faults_each_show_as_their_exception(gift_in, db_session) -> None:
    gift = gift_in("DE")
    refunded = another_card_gift(gift, amount="other", other_amount="40")
    altered = another_card_gift(gift, amount="other", other_amount="60")
    gift.deliver_new()
    gift.run_worker()
    # A charge made at Stripe directly, outside the checkout.
    outside = gift.office.client.v1.payment_intents.create(
        params={
            "amount": 2500,
            "currency": "eur",
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    gift.control.complete_captures(gift.key)
    # The refund's events reach us, but the receipt is left standing (no worker runs).
    gift.office.client.v1.refunds.create(params={"payment_intent": refunded})
    gift.deliver_new()
    # An amount altered in our database.
    payment = db_session.scalars(
        select(Payment).where(Payment.stripe_payment_intent_id == altered)
    ).one()
    payment.amount_minor += 100
    db_session.flush()
    gift.control.advance_clock(gift.key, 3 * DAY)
    pay_out_and_reconcile(gift)

    found = run_reconciliation(gift, db_session)
    charge_outside = gift.office.client.v1.payment_intents.retrieve(outside.id).latest_charge
    refunded_charge = db_session.scalars(
        select(Payment.stripe_charge_id).where(Payment.stripe_payment_intent_id == refunded)
    ).one()
    assert sorted(found) == sorted(
        [
            (CHARGE_NOT_OURS, charge_outside),
            (AMOUNT_MISMATCH, payment.stripe_charge_id),
            (RECEIPT_NOT_VOIDED, refunded_charge),
        ]
    )

    # Put right, each is cleared by the next run.
    payment.amount_minor -= 100
    db_session.flush()
    gift.run_worker()  # the receipt is voided
    assert run_reconciliation(gift, db_session) == [(CHARGE_NOT_OURS, charge_outside)]


def _kept_payment(session, status: str = "succeeded", office: str = "DE", **values) -> Payment:
    """A payment of ours that Stripe never saw, paid long ago (written straight to our DB)."""
    paid_at = utcnow() - timedelta(days=400)
    donation = Donation(
        draft_id=stored_draft(session),
        office_code=office,
        currency="EUR",
        amount_minor=2000,
        frequency="once",
        method="card",
        status=status,
    )
    payment = Payment(
        donation=donation,
        status=status,
        amount_minor=2000,
        currency="EUR",
        paid_at=paid_at,
        receipt_due_at=paid_at,
        **values,
    )
    session.add(payment)
    session.flush()
    return payment


def test_our_records_that_stripe_does_not_bear_out_show_as_their_exceptions(
    gift_in, db_session
) -> None:
    gift = gift_in("DE")
    intent = another_card_gift(gift, amount="other", other_amount="40")
    gift.deliver_new()
    gift.run_worker()
    gift.control.advance_clock(gift.key, 3 * DAY)
    pay_out_and_reconcile(gift)
    assert run_reconciliation(gift, db_session) == []

    paid = db_session.scalars(
        select(Payment).where(Payment.stripe_payment_intent_id == intent)
    ).one()
    paid.currency = "GBP"  # recorded in the wrong currency
    ghost = _kept_payment(db_session, stripe_charge_id="ch_ghost")  # no receipt either
    _kept_payment(db_session, office="NL", stripe_charge_id="ch_elsewhere")  # not DE's to find
    failed = _kept_payment(db_session, status="failed", stripe_charge_id="ch_failed")
    receipt = db_session.scalars(select(Receipt)).first()
    assert receipt is not None
    db_session.add(
        ReceiptItem(
            receipt_id=receipt.id,
            payment_id=failed.id,
            amount_minor=2000,
            received_on=utcnow().date(),
        )
    )
    db_session.flush()
    assert sorted(run_reconciliation(gift, db_session)) == sorted(
        [
            (CURRENCY_MISMATCH, paid.stripe_charge_id),
            (MISSING_AT_STRIPE, "ch_ghost"),
            (RECEIPT_MISSING, "ch_ghost"),
            (RECEIPT_NOT_KEPT, "ch_failed"),
        ]
    )
    # What each row says, as the console shows it: ours against Stripe's.
    [line] = db_session.scalars(
        select(BalanceTransaction).where(BalanceTransaction.payment_id == paid.id)
    ).all()
    rows = {
        row.kind: row
        for row in db_session.scalars(
            select(ReconciliationException).where(
                ReconciliationException.kind.in_([CURRENCY_MISMATCH, MISSING_AT_STRIPE])
            )
        )
    }
    assert _described(rows[CURRENCY_MISMATCH]) == (
        f"{CURRENCY_MISMATCH}:{line.stripe_balance_transaction_id}",
        "DE",
        line.payout_id,
        paid.id,
        "EUR",
        paid.amount_minor,
        line.amount_minor,
    )
    assert _described(rows[MISSING_AT_STRIPE]) == (
        f"{MISSING_AT_STRIPE}:{ghost.id}",
        "DE",
        None,
        ghost.id,
        "EUR",
        2000,
        None,
    )


def _described(row: ReconciliationException) -> tuple[object, ...]:
    return (
        row.key,
        row.office_code,
        row.payout_id,
        row.payment_id,
        row.currency,
        row.expected_minor,
        row.actual_minor,
    )


def test_a_payout_the_bank_returned_is_kept_as_failed(gift_in, db_session) -> None:
    gift = gift_in("DE")
    another_card_gift(gift, amount="other", other_amount="40")
    gift.deliver_new()
    gift.control.advance_clock(gift.key, 3 * DAY)
    payout_id = gift.control.payout(gift.key)
    assert "payout.created" in gift.deliver_new()
    [kept] = stored_payouts(db_session, "DE")
    # The stand-in's once-a-second tick may already have sent it on its way, as Stripe does.
    assert kept.stripe_payout_id == payout_id and kept.status in ("pending", "in_transit")
    gift.control.fail_payout(gift.key, payout_id)
    assert "payout.failed" in gift.deliver_new()
    [kept] = stored_payouts(db_session, "DE")
    assert (kept.status, kept.failure_code) == ("failed", "account_closed")
    assert kept.lines_complete_at is None
    balance = gift.office.client.v1.balance.retrieve()
    assert balance.available[0].amount == kept.amount_minor  # back in the balance
    assert run_reconciliation(gift, db_session) == []


def test_a_foreign_exchange_payout_shows_its_rate_and_adds_up(gift_in, db_session) -> None:
    gift = gift_in("INT")
    gift.control.configure_account(gift.key, default_currency="usd")
    card_gift(gift, "INT", currency="EUR", amount="EUR:5000")
    gift.deliver_new()
    gift.run_worker()
    gift.control.advance_clock(gift.key, 3 * DAY)
    payout_id = pay_out_and_reconcile(gift)
    [kept] = stored_payouts(db_session, "INT")
    assert (kept.currency, kept.exchange_rates) == ("USD", "1.085")
    totals = totals_of(db_session, "INT")[payout_id]
    assert totals.balanced and totals.gross_minor == 5425  # 50 euros in US cents
    assert run_reconciliation(gift, db_session) == []


def test_many_findings_are_recorded_in_batches_and_only_the_offices_own(
    gift_in, db_session, monkeypatch
) -> None:
    from checkout.finance import reconciliation

    monkeypatch.setattr(reconciliation, "RECORD_BATCH", 3)  # 7 findings: three batches
    gift = gift_in("DE")
    another_card_gift(gift)
    gift.deliver_new()
    gift.run_worker()
    gift.control.advance_clock(gift.key, 3 * DAY)
    pay_out_and_reconcile(gift)
    ours = [_kept_payment(db_session, stripe_charge_id=f"ch_de_{n}") for n in range(7)]
    for n in range(5):  # the one pass finds these too; they are NL's to find, not DE's
        _kept_payment(db_session, office="NL", stripe_charge_id=f"ch_nl_{n}")
    for _ in range(2):  # found again: the same rows, not duplicates
        found = run_reconciliation(gift, db_session)
        missing = sorted(ref for kind, ref in found if kind == MISSING_AT_STRIPE)
        assert missing == sorted(str(p.stripe_charge_id) for p in ours)
        assert sorted(ref for kind, ref in found if kind == RECEIPT_MISSING) == missing


@pytest.mark.postgres
def test_the_planner_is_set_back_after_reconciling(db_session) -> None:
    """The reconciliation tells PostgreSQL's planner that rows are cheap to hand over between
    processes, for its own reads only: the rest of the transaction is planned as before."""
    default = db_session.execute(text("SHOW parallel_tuple_cost")).scalar_one()
    reconcile(db_session, "DE", Rules(receipt_per_instalment=True))
    assert db_session.execute(text("SHOW parallel_tuple_cost")).scalar_one() == default
