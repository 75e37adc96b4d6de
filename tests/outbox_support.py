"""Running the outbox in tests: until it is empty, or on a thread beside a live server.

Webhooks only store and queue Stripe's events; a worker applies them. Tests that deliver an
event and then look at the database run the worker in between (`apply_events`, which
`Office.deliver` does after each event); live servers get a worker thread (`WorkerThread`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from flask import Flask

from checkout.db import get_database
from checkout.outbox.worker import Worker, WorkerSettings
from checkout.payments.events import APPLY_EVENT


def run_outbox(app: Flask, names: Iterable[str] | None = None) -> int:
    """Run `app`'s due outbox messages (of `names`, or all) until none is left; how many ran."""
    worker = Worker(
        get_database(app).session_factory,
        WorkerSettings(),
        names=None if names is None else frozenset(names),
    )
    done = 0
    with app.app_context():
        while ran := worker.run_once():
            done += ran
    return done


def apply_events(app: Flask) -> int:
    """Apply every stored Stripe event still waiting, as a worker would."""
    return run_outbox(app, [APPLY_EVENT])


class WorkerThread:
    """A worker polling `app`'s outbox on a daemon thread, as `flask worker --poll` does."""

    def __init__(self, app: Flask, names: Iterable[str] | None = None, poll: float = 0.2):
        self._stop = threading.Event()
        self._worker = Worker(
            get_database(app).session_factory,
            WorkerSettings(),
            batch_scope=app.app_context,
            names=None if names is None else frozenset(names),
        )
        self._poll = poll
        self._thread = threading.Thread(target=self._run, daemon=True, name="outbox-worker")

    def _run(self) -> None:
        self._worker.run_until(self._stop.is_set, self._idle)

    def _idle(self) -> None:
        self._stop.wait(self._poll)

    def start(self) -> WorkerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
