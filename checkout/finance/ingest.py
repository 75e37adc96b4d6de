"""Keeping what Stripe says about an office's payouts: the payout, its balance transactions,
and which of our payments each transaction books, refunds or disputes.

Every row is inserted under its unique Stripe id with ON CONFLICT DO NOTHING, so a webhook
and a `finance sync` (or two workers) bringing the same payout at the same moment store it
once. Matching is one UPDATE over the office's unmatched rows, not a loop.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from checkout.core.clock import utcnow
from checkout.db import upsert_insert
from checkout.donations.models import Payment
from checkout.finance.models import BOOKING_TYPES, REFUND_TYPES, BalanceTransaction, Payout
from checkout.payments.gateway import BalanceLine, PayoutState


def _moment(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def store_payout(session: Session, office: str, payout: PayoutState) -> Payout:
    """Insert the payout once, then bring it to what Stripe says now; the stored row."""
    values = {
        "office_code": office,
        "amount_minor": payout.amount.minor,
        "currency": payout.amount.currency,
        "status": payout.status,
        "reconciliation_status": payout.reconciliation_status,
        "arrival_date": _moment(payout.arrival_date).date(),
        "stripe_created": _moment(payout.created),
        "failure_code": payout.failure_code,
    }
    now = utcnow()
    session.execute(
        upsert_insert(session, Payout.__table__)
        .values(stripe_payout_id=payout.id, created_at=now, updated_at=now, **values)
        .on_conflict_do_nothing(index_elements=["stripe_payout_id"])
    )
    row = session.scalars(
        select(Payout).where(Payout.stripe_payout_id == payout.id).with_for_update()
    ).one()
    if row.office_code != office:  # another office's account cannot own our payout id
        raise ValueError(f"payout {payout.id} belongs to office {row.office_code}")
    for name, value in values.items():
        setattr(row, name, value)
    return row


def store_lines(session: Session, payout: Payout, lines: list[BalanceLine]) -> int:
    """Keep the payout's balance transactions (complete: listed after reconciliation), match
    them to our payments, and note the payout's exchange rates; how many were new."""
    rows = [_line_row(payout, line) for line in lines]
    inserted = 0
    if rows:
        result = session.execute(
            upsert_insert(session, BalanceTransaction.__table__).on_conflict_do_nothing(
                index_elements=["stripe_balance_transaction_id"]
            ),
            rows,
        )
        inserted = max(result.rowcount, 0)  # type: ignore[attr-defined]
        session.execute(
            update(BalanceTransaction)
            .where(
                BalanceTransaction.stripe_balance_transaction_id.in_(
                    [row["stripe_balance_transaction_id"] for row in rows]
                ),
                BalanceTransaction.payout_id.is_(None),
            )
            .values(payout_id=payout.id)
        )
    match_payments(session, payout.office_code)
    rates = sorted({line.balance.exchange_rate for line in lines if line.balance.exchange_rate})
    payout.exchange_rates = ", ".join(rates)[:200] or None
    sum_lines(session, payout)
    payout.lines_complete_at = utcnow()
    return inserted


def _sum_when(condition: Any, column: Any) -> Any:
    return func.coalesce(func.sum(case((condition, column), else_=0)), 0)


def sum_lines(session: Session, payout: Payout) -> None:
    """Keep on the payout what its stored lines hold (its own payout transaction left out):
    gross, refunds, disputes, other, fees, net and how many. One GROUP BY over its lines,
    now, rather than over every payout's lines each time someone looks."""
    line = BalanceTransaction
    is_dispute = line.reporting_category.like("dispute%")
    is_booking = line.type.in_(BOOKING_TYPES)
    is_refund = line.type.in_(REFUND_TYPES)
    sums = session.execute(
        select(
            _sum_when(is_booking, line.amount_minor),
            _sum_when(is_refund, line.amount_minor),
            _sum_when(is_dispute, line.amount_minor),
            _sum_when(~or_(is_booking, is_refund, is_dispute), line.amount_minor),
            func.coalesce(func.sum(line.fee_minor), 0),
            func.coalesce(func.sum(line.net_minor), 0),
            func.count(),
        ).where(line.payout_id == payout.id, line.type != "payout")
    ).one()
    (
        payout.gross_minor,
        payout.refunds_minor,
        payout.disputes_minor,
        payout.other_minor,
        payout.fees_minor,
        payout.net_minor,
        payout.line_count,
    ) = (int(value) for value in sums)


def _line_row(payout: Payout, line: BalanceLine) -> dict[str, object]:
    balance = line.balance
    is_refund = line.type in REFUND_TYPES
    is_dispute = line.reporting_category.startswith("dispute")
    return {
        "stripe_balance_transaction_id": balance.id,
        "office_code": payout.office_code,
        "payout_id": payout.id,
        "type": line.type,
        "reporting_category": line.reporting_category,
        "source_id": line.source_id,
        "charge_id": line.charge_id,
        "amount_minor": line.amount_minor,
        "fee_minor": balance.fee_minor,
        "net_minor": balance.net_minor,
        "currency": balance.currency,
        "exchange_rate": balance.exchange_rate,
        "stripe_created": _moment(line.created),
        "payment_id": None,
        "refund_id": line.source_id if is_refund else None,
        "dispute_id": line.source_id if is_dispute else None,
        "created_at": utcnow(),
    }


def match_payments(session: Session, office: str) -> None:
    """Link every unmatched transaction of the office to our payment of its charge: one
    UPDATE ... FROM joining payments (PostgreSQL, and SQLite since 3.33)."""
    session.execute(
        update(BalanceTransaction)
        .where(
            BalanceTransaction.office_code == office,
            BalanceTransaction.payment_id.is_(None),
            BalanceTransaction.charge_id == Payment.stripe_charge_id,
            Payment.office_code == BalanceTransaction.office_code,
        )
        .values(payment_id=Payment.id)
        .execution_options(synchronize_session=False)
    )
