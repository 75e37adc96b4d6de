"""Finance at scale on PostgreSQL: reconciling N balance transactions against one plain SQL
join over the same rows, and the memory of exporting N lines.

    .venv/bin/python bench/finance_reconciliation.py --lines 100000 \
        --admin-url postgresql://postgres@127.0.0.1:5432/postgres

Makes a fresh database (`finance_bench`, or `--database`: helpers sharing one server each use
their own), migrates it, fills it with N kept card payments (donations, drafts) and N charge
lines spread over payouts of 1,000 lines each, all matched, then times (best of `--rounds`):

- the join: `SELECT count(*), sum(amount), sum(fee) FROM lines JOIN payments ON charge id`,
  the floor any reconciliation has to read;
- `reconcile()`: every kind of mismatch, set-based statements, plus the payout totals
  (after each payout's sums were kept on it, as storing its lines does: timed too);
- matching: `match_payments()` on the same rows left unmatched (the ingest's UPDATE).

Then exports the N lines (`lines_csv`, the journal too) in a child process and reports its peak
resident memory against the same child's before the export.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checkout import migrate
from checkout.finance.ingest import match_payments, sum_lines
from checkout.finance.models import Payout
from checkout.finance.reconciliation import Rules, payout_totals, reconcile

DATABASE = "finance_bench"
PER_PAYOUT = 1_000
FILL = [
    """INSERT INTO checkout_drafts (id, public_id, locale, data, created_at, updated_at)
       SELECT g, 'bench' || g, 'en', '{}', now(), now() FROM generate_series(1, :n) g""",
    """INSERT INTO donations (id, public_id, draft_id, office_code, currency, amount_minor,
           fee_minor, frequency, method, status, created_at, updated_at)
       SELECT g, 'd' || g, g, 'DE', 'EUR', 1000 + g % 5000, 0, 'once', 'card', 'succeeded',
              now(), now() FROM generate_series(1, :n) g""",
    """INSERT INTO payments (id, donation_id, office_code, status, amount_minor, currency,
           refunded_minor, stripe_charge_id, paid_at, receipt_due_at, created_at, updated_at)
       SELECT g, g, 'DE', 'succeeded', 1000 + g % 5000, 'EUR', 0, 'ch_' || g,
              now() - interval '40 days', NULL, now(), now() FROM generate_series(1, :n) g""",
    """INSERT INTO finance_payouts (id, stripe_payout_id, office_code, amount_minor, currency,
           status, reconciliation_status, arrival_date, stripe_created, lines_complete_at,
           created_at, updated_at)
       SELECT p, 'po_' || p, 'DE', 0, 'EUR', 'paid', 'completed', current_date,
              now() - interval '30 days', now(), now(), now()
       FROM generate_series(1, (:n + :per - 1) / :per) p""",
    """INSERT INTO finance_balance_transactions (stripe_balance_transaction_id, office_code,
           payout_id, type, reporting_category, source_id, charge_id, amount_minor, fee_minor,
           net_minor, currency, stripe_created, payment_id, created_at)
       SELECT 'txn_' || g, 'DE', (g - 1) / :per + 1, 'charge', 'charge', 'ch_' || g,
              'ch_' || g, 1000 + g % 5000, 25 + (1000 + g % 5000) * 15 / 1000,
              1000 + g % 5000 - (25 + (1000 + g % 5000) * 15 / 1000), 'EUR',
              now() - interval '35 days', g, now() FROM generate_series(1, :n) g""",
    # Each payout pays out exactly its lines' net, so every one adds up.
    """UPDATE finance_payouts SET amount_minor = s.net FROM (
           SELECT payout_id, sum(net_minor) AS net FROM finance_balance_transactions
           GROUP BY payout_id) s WHERE s.payout_id = finance_payouts.id""",
]
JOIN = """SELECT count(*), sum(bt.amount_minor), sum(bt.fee_minor)
          FROM finance_balance_transactions bt
          JOIN payments p ON p.stripe_charge_id = bt.charge_id"""
#: The same join with the office scoping every query of ours needs (a payment's office is
#: its donation's).
OFFICE_JOIN = """SELECT count(*), sum(bt.amount_minor), sum(bt.fee_minor)
          FROM finance_balance_transactions bt
          JOIN payments p ON p.stripe_charge_id = bt.charge_id
          JOIN donations d ON d.id = p.donation_id AND d.office_code = bt.office_code
          WHERE bt.office_code = 'DE'"""


def fresh_database(admin_url: str, name: str) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    migrate.upgrade(url)
    return url


def fill(url: str, lines: int) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        for statement in FILL:
            connection.execute(text(statement), {"n": lines, "per": PER_PAYOUT})
        connection.execute(text("ANALYZE"))
    engine.dispose()


def best(rounds: int, work) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def timings(url: str, rounds: int) -> dict[str, float]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    rules = Rules(receipt_per_instalment=False, receipt_grace=timedelta(days=3650))

    def join() -> None:
        with engine.connect() as connection:
            connection.execute(text(JOIN)).one()

    def office_join() -> None:
        with engine.connect() as connection:
            connection.execute(text(OFFICE_JOIN)).one()

    def reconciling() -> None:
        with Session(engine) as session:
            assert reconcile(session, "DE", rules) == 0
            payout_totals(session, ["DE"])
            session.commit()

    def matching() -> None:
        with Session(engine) as session:
            session.execute(text("UPDATE finance_balance_transactions SET payment_id = NULL"))
            started = time.perf_counter()
            match_payments(session, "DE")
            matching.seconds = time.perf_counter() - started  # type: ignore[attr-defined]
            session.commit()

    def summing() -> None:
        # What storing each payout's lines does once for it (finance/ingest.py), here for
        # every payout in one go; reconciling and the totals then read the sums.
        with Session(engine) as session:
            for payout in session.scalars(select(Payout)):
                sum_lines(session, payout)
            session.commit()

    result = {"sums": best(1, summing)}
    result.update(
        join=best(rounds, join),
        office_join=best(rounds, office_join),
        reconcile=best(rounds, reconciling),
    )
    matching()  # once: each run rewrites every line (and leaves them dead until a vacuum)
    result["match"] = matching.seconds  # type: ignore[attr-defined]
    engine.dispose()
    return result


CHILD = """
import sys
sys.path.insert(0, {root!r})
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from checkout.finance.exports import lines_csv, journal_csv
from checkout.offices.models import LedgerAccounts
engine = create_engine({url!r}.replace("postgresql://", "postgresql+psycopg://"))
accounts = LedgerAccounts("1200", "1360", "8000", "4970", "8010", "8020", "4900")
def peak():
    # This process's own peak resident set (VmHWM, kB): ru_maxrss would carry the parent's.
    for row in open("/proc/self/status"):
        if row.startswith("VmHWM:"):
            return int(row.split()[1])
with Session(engine) as session:
    session.connection()
    before = peak()
    size = 0
    with open("/dev/null", "w") as sink:
        if {kind!r} == "lines":
            chunks = lines_csv(session, "DE")
        else:
            chunks = journal_csv(session, "DE", accounts)
        for chunk in chunks:
            size += len(chunk)
            sink.write(chunk)
    after = peak()
print(before, after, size)
"""


def export_memory(url: str, kind: str) -> tuple[float, float, int]:
    """Peak RSS (MB) of a child before and after streaming the export, and its size."""
    root = str(Path(__file__).resolve().parents[1])
    script = CHILD.format(root=root, url=url, kind=kind)
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout.split()
    before, after, size = int(out[0]), int(out[1]), int(out[2])
    return before / 1024, after / 1024, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--database", default=DATABASE, help="made afresh: dropped first if it exists"
    )
    args = parser.parse_args()
    url = fresh_database(args.admin_url, args.database)
    started = time.perf_counter()
    fill(url, args.lines)
    print(f"filled {args.lines} lines in {time.perf_counter() - started:.1f} s")
    result = timings(url, args.rounds)
    ratio = result["reconcile"] / result["join"]
    print(f"join       {result['join'] * 1000:9.1f} ms")
    print(f"office join{result['office_join'] * 1000:9.1f} ms")
    print(f"reconcile  {result['reconcile'] * 1000:9.1f} ms  ({ratio:.2f} x the join)")
    print(f"match      {result['match'] * 1000:9.1f} ms  (UPDATE of every line)")
    print(f"sums       {result['sums'] * 1000:9.1f} ms  (each payout's, once, as its lines arrive)")
    for kind in ("lines", "journal"):
        before, after, size = export_memory(url, kind)
        print(
            f"export {kind:8} {size / 1e6:7.1f} MB of CSV, peak RSS {before:.0f} -> {after:.0f} MB"
        )
    print(
        f"this process: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
