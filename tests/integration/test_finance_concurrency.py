"""A payout's webhook and `finance sync` (or two workers) storing the same payout and lines at
the same moment: one row each, both answered, neither crashes. Needs PostgreSQL (real
connections committing for real); the test deletes what it made."""

from __future__ import annotations

import secrets
import threading

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from checkout.core.money import Money
from checkout.finance import ingest
from checkout.finance.models import BalanceTransaction, Payout
from checkout.payments.gateway import BalanceLine, BalanceState, PayoutState

WRITERS = 6


@pytest.mark.postgres
def test_concurrent_deliveries_of_one_payout_store_it_once(engine: Engine) -> None:
    suffix = secrets.token_hex(6)
    payout = PayoutState(
        f"po_{suffix}", "paid", "completed", Money(4900, "EUR"), 1_800_000_000, 1_799_900_000
    )
    lines = [
        BalanceLine(
            BalanceState(f"txn_{n}_{suffix}", 100, 4900, "EUR", None),
            "charge",
            f"ch_{n}_{suffix}",
            5000,
            charge_id=f"ch_{n}_{suffix}",
            created=1_799_800_000,
            reporting_category="charge",
        )
        for n in range(3)
    ]
    barrier = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def deliver() -> None:
        try:
            with Session(engine) as session:
                barrier.wait()
                row = ingest.store_payout(session, "DE", payout)
                ingest.store_lines(session, row, lines)
                session.commit()
        except BaseException as error:  # reported by the test below
            failures.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(WRITERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert failures == []
        with Session(engine) as session:
            payouts = session.scalars(select(Payout).where(Payout.stripe_payout_id == payout.id))
            [kept] = payouts.all()
            count = select(func.count()).where(BalanceTransaction.payout_id == kept.id)
            assert session.scalar(count) == len(lines)
            assert kept.lines_complete_at is not None
    finally:
        with Session(engine) as session:
            ids = select(Payout.id).where(Payout.stripe_payout_id == payout.id)
            session.execute(delete(BalanceTransaction).where(BalanceTransaction.payout_id.in_(ids)))
            session.execute(delete(Payout).where(Payout.stripe_payout_id == payout.id))
            session.commit()
