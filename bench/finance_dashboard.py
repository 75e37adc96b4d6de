"""The finance dashboard on the office's local days against the same figures on UTC days, on
PostgreSQL.

    .venv/bin/python bench/finance_dashboard.py --gifts 200000 \
        --url postgresql+psycopg://postgres@127.0.0.1:5432/some_migrated_database

Inside one transaction that is rolled back at the end, adds N kept card gifts of the DE office
(donations, drafts) paid over the last eleven months, then times (best of `--rounds`):

- the floor: the gifts per UTC day, `GROUP BY date(paid_at)`, the one query the dashboard had
  before it counted local days;
- the same gifts per local day in Europe/Berlin (a join to the few UTC-offset stretches);
- `dashboard()`: every figure on the office's local days in Europe/Berlin (gifts per day, the
  frequencies and methods, plans started and ended, failed debits).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checkout.donations.models import Donation, Payment
from checkout.finance.dashboard import KEPT, _gifts_per_day, _local_days, dashboard

TODAY = date(2026, 12, 5)
FILL = [
    """INSERT INTO checkout_drafts (public_id, locale, data, created_at, updated_at)
       SELECT 'bench-days-' || g, 'en', '{}', now(), now() FROM generate_series(1, :n) g""",
    """INSERT INTO donations (public_id, draft_id, office_code, currency, amount_minor,
           fee_minor, frequency, method, status, created_at, updated_at)
       SELECT d.public_id, d.id, 'DE', 'EUR', 1000, 0, 'once', 'card', 'succeeded', now(), now()
       FROM checkout_drafts d WHERE d.public_id LIKE 'bench-days-%'""",
    """INSERT INTO payments (donation_id, office_code, status, amount_minor, currency,
           refunded_minor, paid_at, created_at, updated_at)
       SELECT id, office_code, 'succeeded', 1000, 'EUR', 0,
              timestamptz '2026-01-01' + random() * interval '338 days', now(), now()
       FROM donations WHERE public_id LIKE 'bench-days-%'""",
]


def _utc_days(session: Session) -> Any:
    day = func.date(Payment.paid_at)
    query = (
        select(day, func.count(), func.sum(Payment.amount_minor))
        .join(Donation, Payment.donation_id == Donation.id)
        .where(
            Donation.office_code == "DE",
            Payment.currency == "EUR",
            Payment.status.in_(KEPT),
            Payment.paid_at >= datetime(2026, 1, 1, tzinfo=UTC),
        )
        .group_by(day)
    )
    return session.execute(query).all()


def _best(rounds: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a migrated PostgreSQL database")
    parser.add_argument("--gifts", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    engine = create_engine(args.url)
    with engine.connect() as connection:
        transaction = connection.begin()
        for statement in FILL:
            connection.execute(text(statement), {"n": args.gifts})
        connection.execute(text("ANALYZE"))
        session = Session(bind=connection)
        zone = ZoneInfo("Europe/Berlin")
        floor = _best(args.rounds, lambda: _utc_days(session))
        days = _local_days(zone, date(2026, 1, 1), TODAY)
        local = _best(args.rounds, lambda: _gifts_per_day(session, "DE", "EUR", days))
        whole = _best(args.rounds, lambda: dashboard(session, "DE", "EUR", TODAY, zone))
        transaction.rollback()
    print(
        f"{args.gifts:,} gifts: per UTC day {floor:.0f} ms, per local day {local:.0f} ms,"
        f" whole dashboard {whole:.0f} ms"
    )


if __name__ == "__main__":
    main()
