"""Receipts per second end to end: issue (number + PDF) and email to a local SMTP sink.

Usage: .venv/bin/python bench/receipt_throughput.py [--receipts 400] [--workers 1 2]
       [--database sqlite|postgresql://...] [--threads 4] [--smtp-delay-ms 0] [--batch 20]
       [--sink lean|aiosmtpd]

For each worker count: a fresh database (SQLite in WAL mode, or a scratch PostgreSQL database)
with N kept payments by donors of many different names, queued as the payments code queues
them, an SMTP sink on loopback (answering at once, or after --smtp-delay-ms as a relay
elsewhere on the network would; `bench/smtp_sink.py` unless --sink aiosmtpd, which costs the
shared machine 3.5 ms of CPU a message), then N `flask worker` processes, each sending --threads
emails at once, until every receipt is issued and delivered. It prints the rate from the
workers' start (start-up and warm-up included), the rate from the moment the first worker was
ready (its app made: imports and start-up excluded, warm-up included), and the CPU time the
worker processes used per receipt, which other load on a shared machine disturbs much less.
Target (issue 6): at least 50 receipts per second per worker on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.receipt_pdfs import FIRST, LAST  # noqa: E402
from bench.smtp_sink import LeanSink  # noqa: E402
from checkout import create_app, migrate  # noqa: E402
from checkout.db import get_database  # noqa: E402
from tests.integration.test_receipt_delivery import seed  # noqa: E402


class Sink:
    """Counts the messages it receives; answers after `delay` seconds, as a relay elsewhere
    on the network would (0: at once, as a server on loopback)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.count = 0
        self.delay = delay

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.count += 1
        return "250 OK"


def free_port() -> int:
    """A loopback port nothing listens on (aiosmtpd's controller wants one up front)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def create_scratch(admin_url: str, prefix: str = "bench") -> str:
    """A new, empty PostgreSQL database beside `admin_url` for one run; its URL."""
    name = f"{prefix}_{os.getpid()}_{int(time.time())}"
    subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "pg_database.py"), "create", admin_url, name],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return admin_url.rsplit("/", 1)[0] + "/" + name


def prepare(folder: str, receipts: int, database: str) -> str:
    """A database with `receipts` kept payments over three offices, receipts queued.

    `database` is "sqlite" (a file in `folder`) or a PostgreSQL admin URL: a scratch database
    is created there for the run.
    """
    url = f"sqlite:///{folder}/bench.sqlite3" if database == "sqlite" else create_scratch(database)
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


@dataclass(frozen=True)
class Run:
    """One run's times: from the workers' start, from the first one ready, and CPU."""

    seconds: float  # from the workers' start (start-up and warm-up included)
    from_ready: float  # from the first worker's "started" line (its app made) to the end
    cpu: float  # the workers' user and system seconds, start-up included


class AiosmtpdSink:
    """aiosmtpd's server with a `Sink` handler, started and stopped as `LeanSink` is."""

    def __init__(self, host: str, port: int, delay: float = 0.0) -> None:
        self._handler = Sink(delay)
        self._controller = Controller(self._handler, hostname=host, port=port)

    @property
    def count(self) -> int:
        return self._handler.count

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


SINKS = {"lean": LeanSink, "aiosmtpd": AiosmtpdSink}


def run(
    workers: int,
    receipts: int,
    database: str,
    threads: int,
    delay: float,
    batch: int = 20,
    sink_kind: str = "lean",
) -> Run:
    """`workers` processes issue and email `receipts` receipts, claiming `batch` messages at a
    time; each sends on `threads` connections at once, to a sink answering after `delay`
    seconds."""
    port = free_port()
    sink = SINKS[sink_kind]("127.0.0.1", port, delay)
    sink.start()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "CHECKOUT_DATABASE_URL": prepare(folder, receipts, database),
            "CHECKOUT_MAIL_TRANSPORT": "smtp",
            "CHECKOUT_SMTP_HOST": "127.0.0.1",
            "CHECKOUT_SMTP_PORT": str(port),
            "CHECKOUT_SMTP_SECURITY": "none",
            "CHECKOUT_MAIL_SEND_THREADS": str(threads),
        }
        command = [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "worker",
            "--batch",
            str(batch),
            "--poll",
            "0.05",
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        processes = [
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
            for _ in range(workers)
        ]
        ready = min(_ready_at(process) for process in processes)
        while sink.count < receipts:
            time.sleep(0.01)
        end = time.perf_counter()
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        drop_scratch(database, env["CHECKOUT_DATABASE_URL"])
    sink.stop()
    return Run(end - start, end - ready, cpu)


def _ready_at(process: subprocess.Popen[str]) -> float:
    """When the worker printed its first line ("worker ... started": its app is made)."""
    assert process.stdout is not None
    process.stdout.readline()
    return time.perf_counter()


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
    parser.add_argument(
        "--threads", type=int, default=4, help="emails a worker sends at once (MAIL_SEND_THREADS)"
    )
    parser.add_argument(
        "--smtp-delay-ms", type=float, default=0, help="the sink's wait before it answers DATA"
    )
    parser.add_argument(
        "--batch", type=int, default=20, help="messages a worker claims at a time (flask worker)"
    )
    parser.add_argument(
        "--sink",
        choices=sorted(SINKS),
        default="lean",
        help="the SMTP sink: lean (bench/smtp_sink.py) or aiosmtpd (3.5 ms of CPU a message)",
    )
    args = parser.parse_args()
    print(
        f"{'workers':>7} {'receipts':>8} {'seconds':>8} {'per second':>11} {'per worker':>11}"
        f" {'per worker from ready':>22} {'worker CPU ms/receipt':>22}"
    )
    for workers in args.workers:
        result = run(
            workers,
            args.receipts,
            args.database,
            args.threads,
            args.smtp_delay_ms / 1000,
            args.batch,
            args.sink,
        )
        rate = args.receipts / result.seconds
        from_ready = args.receipts / result.from_ready / workers
        print(
            f"{workers:>7} {args.receipts:>8} {result.seconds:8.2f} {rate:11.1f}"
            f" {rate / workers:11.1f} {from_ready:22.1f} {result.cpu / args.receipts * 1000:22.1f}"
        )


if __name__ == "__main__":
    main()
