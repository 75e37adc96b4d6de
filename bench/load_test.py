"""A load test across processes: donors walking the wizard and paying, with webhooks flowing.

Usage: .venv/bin/python bench/load_test.py [--users 20] [--seconds 60]
       [--database postgresql://postgres@127.0.0.1:5432/test]

What runs, all on loopback: a scratch PostgreSQL database; Redis (127.0.0.1:6379) for the
counters; the Stripe stand-in, which signs and posts each office's events to the app (bank
debits settle after 5 s); `gunicorn -c config/gunicorn.conf.py wsgi:app` with 2 processes;
2 `flask worker --poll 1` processes (Stripe's events, receipts, other mail); an SMTP sink that
notes when it accepts each receipt; and locust, headless for --seconds, its donors walking
the wizard and paying by card and SEPA debit, once and monthly (bench/locustfile.py, in
locust's own virtualenv: `make locust`). The app reads bench/load_test_config.py: generous
card-testing and rate limits, since every donor comes from 127.0.0.1.

It reports gifts per second (thank-you pages reached, and payments the webhooks marked
succeeded), p50/p99 per route from locust, errors (there must be none), the webhooks' own
latency from the access log, and the time from each payment's success (as our database
recorded it, `payments.receipt_due_at`) to its receipt accepted by SMTP, p50/p99.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.receipt_throughput import create_scratch, drop_scratch, free_port  # noqa: E402
from bench.smtp_sink import LeanSink  # noqa: E402
from checkout import migrate  # noqa: E402
from checkout.db import make_engine  # noqa: E402
from checkout.donations.models import Payment  # noqa: E402
from checkout.outbox.models import PENDING, OutboxMessage  # noqa: E402
from checkout.receipts.models import Receipt, ReceiptItem  # noqa: E402
from checkout.testing.stripe_standin.demo import demo_environment  # noqa: E402

LOCUST = ROOT / ".venv" / "locust" / "bin" / "locust"
RECEIPT_ID = re.compile(rb"Message-ID: <receipt\.([A-Z]+-\d{4}-\d+)@", re.I)
ACCESS = re.compile(r'"POST /webhooks/stripe/\w+ HTTP/1.1" (\d{3}) \S+ (\d+)ms')


class ReceiptClock:
    """When the SMTP sink accepted each receipt, by receipt number (wall clock, UTC)."""

    def __init__(self) -> None:
        self.accepted: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def __call__(self, headers: bytes) -> None:
        found = RECEIPT_ID.search(headers)
        if found:
            with self._lock:
                self.accepted.setdefault(found.group(1).decode(), datetime.now(UTC))


def start(command: list[str], environ: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, cwd=ROOT, env=environ, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()  # noqa: S310 - loopback URLs we made
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"no answer from {url}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20, help="donors at once")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if not LOCUST.exists():
        raise SystemExit("locust is not installed: run `make locust`")
    url = create_scratch(args.database, "bench_load")
    migrate.upgrade(url)
    clock = ReceiptClock()
    sink_port, app_port, standin_port = free_port(), free_port(), free_port()
    sink = LeanSink("127.0.0.1", sink_port, on_message=clock)
    sink.start()
    processes: list[subprocess.Popen[bytes]] = []
    folder = Path(tempfile.mkdtemp(prefix="bench_load_"))
    (folder / "metrics").mkdir()
    try:
        standin = f"http://127.0.0.1:{standin_port}"
        app = f"http://127.0.0.1:{app_port}"
        environ = {
            **os.environ,
            **demo_environment(os.environ),
            "CHECKOUT_CONFIG": str(ROOT / "bench" / "load_test_config.py"),
            "DATABASE_URL": url,
            "CHECKOUT_STRIPE_API_BASE": standin,
            "CHECKOUT_STRIPE_JS_URL": f"{standin}/v3/",
            "CHECKOUT_STRIPE_MAX_NETWORK_RETRIES": "0",
            "CHECKOUT_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
            "CHECKOUT_COUNTERS_PREFIX": f"bench-load-{os.getpid()}",
            "CHECKOUT_MAIL_TRANSPORT": "smtp",
            "CHECKOUT_SMTP_HOST": "127.0.0.1",
            "CHECKOUT_SMTP_PORT": str(sink_port),
            "CHECKOUT_SMTP_SECURITY": "none",
            "CHECKOUT_PUBLIC_BASE_URL": app,
            "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
            "GUNICORN_BIND": f"127.0.0.1:{app_port}",
            "GUNICORN_WORKERS": "2",
        }
        processes.append(
            start(
                [
                    sys.executable,
                    "-m",
                    "checkout.testing.stripe_standin",
                    "--port",
                    str(standin_port),
                    "--debit-settle-seconds",
                    "5",
                    "--demo-webhooks",
                    f"{app}/webhooks/stripe/{{office}}",
                ],
                environ,
                folder / "standin.log",
            )
        )
        gunicorn = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"]
        processes.append(start(gunicorn, environ, folder / "gunicorn.log"))
        worker = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--poll", "1"]
        for n in range(2):
            processes.append(start(worker, environ, folder / f"worker{n}.log"))
        wait_for(f"{standin}/v3/")
        wait_for(f"{app}/healthz")
        began = datetime.now(UTC)
        locust = subprocess.run(
            [
                str(LOCUST),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(max(args.users // 5, 1)),
                "--run-time",
                f"{args.seconds}s",
                "--stop-timeout",
                "30",
                "--host",
                app,
                "--csv",
                str(folder / "locust"),
                "--only-summary",
            ],
            cwd=ROOT,
            env={**os.environ, "STANDIN_URL": standin},
            capture_output=True,
            text=True,
            check=False,
        )
        ended = datetime.now(UTC)
        drained = drain(url, timeout=90)
        report(folder, url, clock, began, ended, drained, args, locust)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        sink.stop()
        drop_scratch(args.database, url)
        print(f"logs kept in {folder}")


def drain(url: str, timeout: float) -> float:
    """Wait until no outbox message is pending (receipts sent); seconds it took."""
    engine = make_engine(url)
    started = time.monotonic()
    try:
        while time.monotonic() - started < timeout:
            with engine.connect() as connection:
                pending = connection.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status == PENDING)
                )
            if not pending:
                break
            time.sleep(0.5)
    finally:
        engine.dispose()
    return time.monotonic() - started


def report(
    folder: Path,
    url: str,
    clock: ReceiptClock,
    began: datetime,
    ended: datetime,
    drained: float,
    args: argparse.Namespace,
    locust: subprocess.CompletedProcess[str],
) -> None:
    seconds = (ended - began).total_seconds()
    rows = list(csv.DictReader((folder / "locust_stats.csv").open()))
    failures = list(csv.DictReader((folder / "locust_failures.csv").open()))
    exceptions = list(csv.DictReader((folder / "locust_exceptions.csv").open()))
    thanks = next(
        (int(r["Request Count"]) for r in rows if r["Name"] == "GET /donate/return/[id]"), 0
    )
    print(f"\n{args.users} donors for {seconds:.0f} s (locust exit {locust.returncode})")
    print(f"{'route':48} {'requests':>8} {'fails':>6} {'p50 ms':>7} {'p99 ms':>7}")
    for row in rows:
        print(
            f"{row['Name']:48} {row['Request Count']:>8} {row['Failure Count']:>6} "
            f"{row['50%']:>7} {row['99%']:>7}"
        )
    engine = make_engine(url)
    with engine.connect() as connection:
        succeeded = connection.scalar(
            select(func.count())
            .select_from(Payment)
            .where(Payment.receipt_due_at >= began, Payment.receipt_due_at <= ended)
        )
        due = connection.execute(
            select(Receipt.number, Payment.receipt_due_at)
            .join(ReceiptItem, ReceiptItem.receipt_id == Receipt.id)
            .join(Payment, Payment.id == ReceiptItem.payment_id)
        ).all()
    engine.dispose()
    delays = [
        (clock.accepted[number] - moment).total_seconds()
        for number, moment in due
        if number in clock.accepted and moment is not None
    ]
    webhook_ms, webhook_bad = [], 0
    for line in (folder / "gunicorn.log").read_text().splitlines():
        found = ACCESS.search(line)
        if found:
            webhook_ms.append(float(found.group(2)))
            webhook_bad += found.group(1) != "200"
    print(
        f"\ngifts: {thanks} thank-you pages reached, {thanks / seconds:.2f}/s; "
        f"{succeeded} payments recorded as succeeded during the run (return page or "
        f"webhook), {succeeded / seconds:.2f}/s"
    )
    print(
        f"errors: {len(failures)} kinds of request failure, {len(exceptions)} kinds of "
        f"exception, {webhook_bad} webhook answers other than 200"
    )
    for failure in failures + exceptions:
        print(f"  {failure}")
    print(
        f"webhooks: {len(webhook_ms)} events, p50 {percentile(webhook_ms, 0.5):.0f} ms, "
        f"p99 {percentile(webhook_ms, 0.99):.0f} ms (gunicorn's access log)"
    )
    print(
        f"payment succeeded -> receipt accepted by SMTP: {len(delays)} receipts of {len(due)}, "
        f"p50 {percentile(delays, 0.5):.2f} s, p99 {percentile(delays, 0.99):.2f} s, "
        f"max {max(delays, default=float('nan')):.2f} s; outbox drained {drained:.1f} s "
        "after the load stopped"
    )
    if delays:
        print(f"  mean {statistics.mean(delays):.2f} s")
    shutil.copy(folder / "locust_stats.csv", folder / "locust_stats_kept.csv")


if __name__ == "__main__":
    main()
