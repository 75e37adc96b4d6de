"""Helpers for the finance tests: a month of an office's gifts at the stand-in (real stripe SDK
over HTTP), paid out and reconciled, and what finance keeps of it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.finance.handlers import rules_for
from checkout.finance.models import Payout, ReconciliationException
from checkout.finance.reconciliation import PayoutTotals, payout_totals, reconcile
from tests.money_support import Gift, card_gift, sepa_gift

DAY = 86_400


def pay_out_and_reconcile(gift: Gift) -> str:
    """Pay out the available balance, let it arrive and be reconciled at the stand-in, and
    deliver the payout's events to us; its id."""
    payout_id = gift.control.payout(gift.key)
    payout = gift.office.client.v1.payouts.retrieve(payout_id)
    gift.control.advance_clock(gift.key, max(payout.arrival_date - gift.control.now(gift.key), 0))
    gift.control.advance_clock(gift.key, 3_600)
    kinds = gift.deliver_new()
    assert "payout.reconciliation_completed" in kinds
    return str(payout_id)


def run_reconciliation(gift: Gift, session: Session) -> list[tuple[str, str | None]]:
    """Reconcile the office now; (kind, Stripe reference) of every open exception."""
    with gift.app.app_context():
        reconcile(session, gift.office.code, rules_for(gift.office.code))
    return open_kinds(session, gift.office.code)


def open_kinds(session: Session, office: str) -> list[tuple[str, str | None]]:
    session.expire_all()
    rows = session.scalars(
        select(ReconciliationException)
        .where(
            ReconciliationException.office_code == office,
            ReconciliationException.cleared_at.is_(None),
        )
        .order_by(ReconciliationException.id)
    )
    return [(row.kind, row.stripe_reference) for row in rows]


def totals_of(session: Session, office: str) -> dict[str, PayoutTotals]:
    session.expire_all()
    return {t.stripe_payout_id: t for t in payout_totals(session, [office])}


def stored_payouts(session: Session, office: str) -> list[Payout]:
    session.expire_all()
    return list(
        session.scalars(select(Payout).where(Payout.office_code == office).order_by(Payout.id))
    )


def another_card_gift(gift: Gift, **amount: str) -> str:
    """A card gift by another donor's browser (a fresh client: the wizard is one per session)."""
    gift.client = gift.app.test_client()
    return card_gift(gift, **amount)


def another_sepa_gift(gift: Gift) -> str:
    gift.client = gift.app.test_client()
    return sepa_gift(gift)


def first_month(gift: Gift) -> dict[str, Any]:
    """Card and SEPA gifts, paid out; a refund, a new gift and a lost dispute, paid out;
    three weeks on, another gift, paid out. The intents by name and the three payouts."""
    intents = {
        "kept": another_card_gift(gift),
        "refunded": another_card_gift(gift, amount="other", other_amount="40"),
        "disputed": another_card_gift(gift, amount="other", other_amount="75"),
        "debit": another_sepa_gift(gift),
    }
    gift.control.settle_debits(gift.key)
    gift.deliver_new()
    gift.run_worker()
    gift.control.advance_clock(gift.key, 6 * DAY)  # cards and the debit are available
    first = pay_out_and_reconcile(gift)

    gift.office.client.v1.refunds.create(params={"payment_intent": intents["refunded"]})
    dispute = gift.control.open_dispute(gift.key, intents["disputed"], "fraudulent")
    gift.control.close_dispute(gift.key, dispute, won=False)
    intents["later"] = another_card_gift(gift, amount="other", other_amount="200")
    gift.deliver_new()
    gift.run_worker()
    gift.control.advance_clock(gift.key, 3 * DAY)
    second = pay_out_and_reconcile(gift)

    gift.control.advance_clock(gift.key, 20 * DAY)
    intents["last"] = another_card_gift(gift, amount="other", other_amount="30")
    gift.deliver_new()
    gift.run_worker()
    gift.control.advance_clock(gift.key, 3 * DAY)
    third = pay_out_and_reconcile(gift)
    return {"intents": intents, "payouts": [first, second, third]}
