"""Real worker processes: killed with SIGKILL mid-batch, or stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from checkout import create_app, migrate
from checkout.db import get_database
from checkout.paths import PROJECT_ROOT
from checkout.receipts.models import Receipt
from tests.conftest import test_settings
from tests.integration.test_receipt_delivery import seed

PAYMENTS = 24


@pytest.fixture
def worker_env(tmp_path: Path, smtp_server) -> dict[str, str]:
    """A committed SQLite database with receipts queued, and the environment of a worker."""
    url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    migrate.upgrade(url)
    app = create_app(test_settings(url), environ={})
    with app.app_context(), get_database(app).session_factory() as session:
        for n in range(PAYMENTS):
            seed(session, ["DE", "UK", "NL"][n % 3], n)
    get_database(app).engine.dispose()
    return {
        **os.environ,
        "CHECKOUT_DATABASE_URL": url,
        "CHECKOUT_MAIL_TRANSPORT": "smtp",
        "CHECKOUT_SMTP_HOST": smtp_server.host,
        "CHECKOUT_SMTP_PORT": str(smtp_server.port),
        "CHECKOUT_SMTP_SECURITY": "none",
        "CHECKOUT_OUTBOX_LEASE_SECONDS": "2",
        "CHECKOUT_OUTBOX_BACKOFF_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }


def start_worker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "wsgi",
        "worker",
        "--batch",
        "10",
        "--poll",
        "0.2",
        *args,
    ]
    return subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def receipts_in(env: dict[str, str]) -> list[Receipt]:
    app = create_app(test_settings(env["CHECKOUT_DATABASE_URL"]), environ={})
    with get_database(app).session_factory() as session:
        found = list(session.scalars(select(Receipt)))
    get_database(app).engine.dispose()
    return found


def test_a_worker_killed_mid_batch_loses_nothing(worker_env, smtp_server) -> None:
    first = start_worker(worker_env)
    wait_for(lambda: len(smtp_server.messages) >= 3)
    first.send_signal(signal.SIGKILL)  # no chance to finish or clean up
    first.communicate(timeout=10)
    time.sleep(2.5)  # its leases run out
    second = start_worker(worker_env)
    wait_for(lambda: {m["Message-ID"] for m in smtp_server.messages} >= _expected(worker_env))
    second.send_signal(signal.SIGTERM)
    second.communicate(timeout=20)
    assert second.returncode == 0
    expected = _expected(worker_env)
    received = [m["Message-ID"] for m in smtp_server.messages]
    assert set(received) == expected  # every receipt delivered, nothing unknown
    assert len(expected) == PAYMENTS
    # A message sent just before the kill may be sent again: then with the same Message-ID.
    assert len(received) - len(set(received)) <= 10


def _expected(env: dict[str, str]) -> set[str]:
    return {receipt.message_id for receipt in receipts_in(env)}


def test_sigterm_lets_the_worker_finish_and_exit(worker_env, smtp_server) -> None:
    worker = start_worker(worker_env)
    wait_for(lambda: len(smtp_server.messages) >= 1)
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=20)
    assert worker.returncode == 0
    assert "stopped" in output
