"""Pytest fixtures for the stand-in: `stripe_standin` (one server per session, a separate
process on a free port) and `standin_account` (a fresh Stripe account per test).

Load with `pytest_plugins = ["checkout.testing.stripe_standin.pytest_plugin"]`.
"""

from __future__ import annotations

import os
import re
import secrets
import selectors
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import stripe

from checkout.testing.stripe_standin.control import StandinControl

_READY = re.compile(r"listening on (http://\S+)")
_START_TIMEOUT = 30.0


@dataclass
class RunningStandin:
    """A stand-in server process: where it is, its control client, and SDK clients for it."""

    base_url: str
    control: StandinControl
    process: subprocess.Popen[str]
    log: Path

    def client(self, secret_key: str) -> stripe.StripeClient:
        """A real `StripeClient` talking to the stand-in, without the SDK's retries."""
        return stripe.StripeClient(
            secret_key, base_addresses={"api": self.base_url}, max_network_retries=0
        )


@dataclass
class StandinAccount:
    """A fresh Stripe account on the stand-in: its keys and a client for it."""

    secret_key: str
    publishable_key: str
    client: stripe.StripeClient
    standin: RunningStandin

    @property
    def control(self) -> StandinControl:
        """The stand-in's control client (pass `secret_key` to its methods)."""
        return self.standin.control


def start_standin(log: Path, *extra_args: str) -> RunningStandin:
    """Start `python -m checkout.testing.stripe_standin` on a free port and wait for it."""
    command = [sys.executable, "-m", "checkout.testing.stripe_standin", "--port", "0", *extra_args]
    with log.open("w") as log_file:
        process = subprocess.Popen(  # noqa: S603 - our own module, no shell
            command,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    base_url = _wait_for_address(process, log)
    return RunningStandin(base_url, StandinControl(base_url), process, log)


def _wait_for_address(process: subprocess.Popen[str], log: Path) -> str:
    """Read the 'listening on' line the server prints once it is bound."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    if selector.select(timeout=_START_TIMEOUT):
        match = _READY.search(process.stdout.readline())
        if match:
            return match.group(1).rstrip("/")
    stop_standin(process)
    raise RuntimeError(f"the Stripe stand-in did not start; its log:\n{log.read_text()}")


def stop_standin(process: subprocess.Popen[str]) -> None:
    """Terminate the server process, killing it if it does not stop in time."""
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    if process.stdout is not None:
        process.stdout.close()


@pytest.fixture(scope="session")
def stripe_standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStandin]:
    """One stand-in server for the whole test session."""
    running = start_standin(tmp_path_factory.mktemp("stripe_standin") / "standin.log")
    yield running
    stop_standin(running.process)


@pytest.fixture
def standin_account(stripe_standin: RunningStandin) -> StandinAccount:
    """A fresh account (a new `sk_test_…` key), so tests never see each other's objects."""
    suffix = secrets.token_hex(12)
    return StandinAccount(
        f"sk_test_{suffix}",
        f"pk_test_{suffix}",
        stripe_standin.client(f"sk_test_{suffix}"),
        stripe_standin,
    )
