"""Payout events, as payments hands them on (payments/payouts.py `on_payout`): keep the payout,
and once Stripe lists its transactions in full, keep them and reconcile the office."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import Session

from checkout.finance import ingest
from checkout.finance.reconciliation import Rules, reconcile
from checkout.payments import payouts
from checkout.payments.gateway import BalanceLine, PayoutState
from checkout.payments.wiring import registry


def rules_for(office: str) -> Rules:
    """The office's reconciliation rules, with the configured grace periods."""
    config = current_app.config
    return Rules(
        receipt_per_instalment=registry().get(office).receipt_per_instalment,
        receipt_grace=timedelta(hours=float(config["FINANCE_RECEIPT_GRACE_HOURS"])),
        payout_grace=timedelta(days=float(config["FINANCE_PAYOUT_GRACE_DAYS"])),
    )


@payouts.on_payout
def on_payout(
    session: Session, office: str, payout: PayoutState, lines: list[BalanceLine] | None
) -> None:
    """Keep the payout as it is now; with its complete lines, keep them and reconcile."""
    row = ingest.store_payout(session, office, payout)
    if lines is None:
        return
    ingest.store_lines(session, row, lines)
    reconcile(session, office, rules_for(office))
