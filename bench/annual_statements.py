"""Year-end at scale: `receipts annual` for many donors, its time and memory, workers rendering.

Usage: .venv/bin/python bench/annual_statements.py --database postgresql://postgres@127.0.0.1:5432/test
       [--donors 10000 20000 40000] [--gifts 12] [--workers 2] [--render-seconds 30]

For each donor count: a scratch PostgreSQL database with that many German donors, each with
one monthly gift of `--gifts` kept payments in 2025 and no receipt yet (written with bulk
inserts, then ANALYZEd as a production database would be); then `flask receipts annual
--office DE --year 2025` runs as its own process, its peak resident memory read from /proc
every 0.1 s, while `--workers` `flask worker` processes render and email (to a loopback sink)
the statements it queues. Printed per count: the annual command's seconds, microseconds per
donor (flat when the time is linear), peak MB, and the statements the workers rendered per
second, from the command's start until `--render-seconds` after its end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.receipt_throughput import create_scratch, drop_scratch, free_port  # noqa: E402
from bench.smtp_sink import LeanSink  # noqa: E402
from checkout import create_app, migrate  # noqa: E402
from checkout.db import get_database  # noqa: E402
from checkout.donations.models import Donation, Donor, Payment  # noqa: E402
from checkout.receipts.models import Receipt  # noqa: E402
from checkout.wizard.models import CheckoutDraft  # noqa: E402

CHUNK = 5000  # donors written per round of bulk inserts


def scratch(admin_url: str) -> str:
    """A new, migrated scratch database; its URL."""
    url = create_scratch(admin_url, "bench_annual")
    migrate.upgrade(url)
    return url


def seed(url: str, donors: int, gifts: int) -> None:
    """`donors` donors of DE, one monthly donation each with `gifts` kept payments in 2025."""
    app = create_app({"DATABASE_URL": url}, environ={})
    with app.app_context(), get_database(app).session_factory() as session:
        for first in range(0, donors, CHUNK):
            count = min(CHUNK, donors - first)
            _seed_chunk(session, first, count, gifts)
            session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
    get_database(app).engine.dispose()


def _seed_chunk(session, first: int, count: int, gifts: int) -> None:  # type: ignore[no-untyped-def]
    drafts = session.scalars(
        insert(CheckoutDraft).returning(CheckoutDraft.id),
        [{"locale": "de", "data": {}} for _ in range(count)],
    ).all()
    donor_ids = session.scalars(
        insert(Donor).returning(Donor.id),
        [
            {
                "office_code": "DE",
                "email": f"donor-{first + n}@example.org",
                "first_name": f"Vorname{first + n}",
                "last_name": "Mustermann",
                "country": "DE",
                "address_line1": "Ring 1",
                "postcode": "10115",
                "city": "Berlin",
                "locale": "de",
            }
            for n in range(count)
        ],
    ).all()
    donation_ids = session.scalars(
        insert(Donation).returning(Donation.id),
        [
            {
                "draft_id": draft,
                "donor_id": donor,
                "office_code": "DE",
                "currency": "EUR",
                "amount_minor": 2500,
                "frequency": "monthly",
                "method": "sepa_debit",
                "status": "succeeded",
            }
            for draft, donor in zip(drafts, donor_ids, strict=True)
        ],
    ).all()
    session.execute(
        insert(Payment),
        [
            {
                "donation_id": donation,
                "office_code": "DE",
                "status": "succeeded",
                "amount_minor": 2500,
                "currency": "EUR",
                "paid_at": datetime(2025, month, 3, 9, tzinfo=UTC),
            }
            for donation in donation_ids
            for month in range(1, gifts + 1)
        ],
    )


def run_annual(env: dict[str, str]) -> tuple[float, float]:
    """The annual command's seconds and peak resident MB."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "receipts", "annual"]
    command += ["--office", "DE", "--year", "2025"]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _resident_kb(process.pid))
        time.sleep(0.1)
    if process.returncode != 0:
        raise RuntimeError(f"receipts annual failed: {process.returncode}")
    return time.perf_counter() - started, peak / 1024


def _resident_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):  # the process's own high-water mark
            return int(line.split()[1])
    return 0


def rendered(url: str) -> int:
    app = create_app({"DATABASE_URL": url}, environ={})
    with app.app_context(), get_database(app).session_factory() as session:
        count = session.scalar(select(func.count()).where(Receipt.pdf.is_not(None)))
    get_database(app).engine.dispose()
    return int(count or 0)


def measure(admin_url: str, donors: int, gifts: int, workers: int, render_seconds: float) -> str:
    url = scratch(admin_url)
    try:
        seeding = time.perf_counter()
        seed(url, donors, gifts)
        seeded = time.perf_counter() - seeding
        port = free_port()
        sink = LeanSink("127.0.0.1", port, 0.0)
        sink.start()
        env = {
            **os.environ,
            "CHECKOUT_DATABASE_URL": url,
            "CHECKOUT_MAIL_TRANSPORT": "smtp",
            "CHECKOUT_SMTP_HOST": "127.0.0.1",
            "CHECKOUT_SMTP_PORT": str(port),
            "CHECKOUT_SMTP_SECURITY": "none",
        }
        worker = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--poll", "0.2"]
        with tempfile.TemporaryDirectory():
            started = time.perf_counter()
            pool = [
                subprocess.Popen(worker, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
                for _ in range(workers)
            ]
            seconds, peak = run_annual(env)
            time.sleep(render_seconds)
            window = time.perf_counter() - started
            for process in pool:
                process.terminate()
            for process in pool:
                process.wait(timeout=60)
        sink.stop()
        made = rendered(url)
        return (
            f"{donors:>8} {donors * gifts:>9} {seeded:8.1f} {seconds:9.1f}"
            f" {seconds / donors * 1e6:11.0f} {peak:8.1f} {made:9} {made / window:10.1f}"
        )
    finally:
        drop_scratch(admin_url, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a PostgreSQL admin URL")
    parser.add_argument("--donors", type=int, nargs="+", default=[10000, 20000, 40000])
    parser.add_argument("--gifts", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--render-seconds", type=float, default=30.0)
    args = parser.parse_args()
    print(
        f"{'donors':>8} {'payments':>9} {'seed s':>8} {'annual s':>9} {'us/donor':>11}"
        f" {'peak MB':>8} {'rendered':>9} {'rendered/s':>10}"
    )
    for donors in args.donors:
        print(measure(args.database, donors, args.gifts, args.workers, args.render_seconds))


if __name__ == "__main__":
    main()
