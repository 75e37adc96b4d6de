"""Receipts per second end to end: issue (number + PDF) and email to a local SMTP sink.

Usage: .venv/bin/python bench/receipt_throughput.py [--receipts 400] [--workers 1 2]
       [--database sqlite|postgresql://...]

For each worker count: a fresh database (SQLite in WAL mode, or a scratch PostgreSQL database)
with N kept payments by donors of many different names, queued as the payments code queues
them, an aiosmtpd sink on loopback,
then N `flask worker` processes until every receipt is issued and delivered. Besides the wall
time it prints the CPU time the worker processes used per receipt, which other load on a
shared machine disturbs much less. Target (issue 6): at least 50 receipts per second per
worker on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.receipt_pdfs import FIRST, LAST  # noqa: E402
from checkout import create_app, migrate  # noqa: E402
from checkout.db import get_database  # noqa: E402
from tests.integration.test_receipt_delivery import seed  # noqa: E402


class Sink:
    """Counts the messages it receives."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.count += 1
        return "250 OK"


def free_port() -> int:
    """A loopback port nothing listens on (aiosmtpd's controller wants one up front)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare(folder: str, receipts: int, database: str) -> str:
    """A database with `receipts` kept payments over three offices, receipts queued.

    `database` is "sqlite" (a file in `folder`) or a PostgreSQL admin URL: a scratch database
    is created there for the run.
    """
    url = f"sqlite:///{folder}/bench.sqlite3"
    if database != "sqlite":
        name = f"bench_{os.getpid()}_{int(time.time())}"
        subprocess.run(
            [sys.executable, str(ROOT / ".ci" / "pg_database.py"), "create", database, name],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        url = database.rsplit("/", 1)[0] + "/" + name
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url}, environ={})
    with app.app_context(), get_database(app).session_factory() as session:
        for n in range(receipts):
            donor = seed(session, ["DE", "UK", "NL"][n % 3], n).donation.donor
            assert donor is not None
            donor.first_name, donor.last_name = FIRST[n % len(FIRST)], LAST[n * 7 % len(LAST)]
        session.commit()
    get_database(app).engine.dispose()
    return url


def run(workers: int, receipts: int, database: str) -> tuple[float, float]:
    """Seconds for `workers` processes to issue and email `receipts` receipts (from their start),
    and their CPU seconds (user and system, all workers together, start-up included)."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "CHECKOUT_DATABASE_URL": prepare(folder, receipts, database),
            "CHECKOUT_MAIL_TRANSPORT": "smtp",
            "CHECKOUT_SMTP_HOST": "127.0.0.1",
            "CHECKOUT_SMTP_PORT": str(port),
            "CHECKOUT_SMTP_SECURITY": "none",
        }
        command = [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "worker",
            "--batch",
            "20",
            "--poll",
            "0.05",
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        processes = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
            for _ in range(workers)
        ]
        while sink.count < receipts:
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        drop_scratch(database, env["CHECKOUT_DATABASE_URL"])
    controller.stop()
    return elapsed, cpu


def drop_scratch(database: str, url: str) -> None:
    """Remove the PostgreSQL scratch database of a run (SQLite's goes with its folder)."""
    if database != "sqlite":
        subprocess.run(
            [
                sys.executable,
                str(ROOT / ".ci" / "pg_database.py"),
                "drop",
                database,
                url.rsplit("/", 1)[1],
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=400)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--database",
        default="sqlite",
        help="sqlite, or a PostgreSQL admin URL such as postgresql://postgres@127.0.0.1:5432/test",
    )
    args = parser.parse_args()
    print(
        f"{'workers':>7} {'receipts':>8} {'seconds':>8} {'per second':>11} {'per worker':>11}"
        f" {'worker CPU ms/receipt':>22}"
    )
    for workers in args.workers:
        seconds, cpu = run(workers, args.receipts, args.database)
        rate = args.receipts / seconds
        print(
            f"{workers:>7} {args.receipts:>8} {seconds:8.2f} {rate:11.1f} {rate / workers:11.1f}"
            f" {cpu / args.receipts * 1000:22.1f}"
        )


if __name__ == "__main__":
    main()
