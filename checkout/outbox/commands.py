"""`flask --app wsgi worker` and `flask --app wsgi outbox ...` for staff."""

from __future__ import annotations

import signal
from datetime import timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from checkout.core.clock import utcnow
from checkout.db import db_session, get_database
from checkout.outbox.models import DEAD, PENDING, OutboxMessage
from checkout.outbox.stopping import StopRequest
from checkout.outbox.worker import Worker, WorkerSettings


def make_worker(batch_size: int, names: frozenset[str] | None = None) -> Worker:
    """A worker on this app's database with the configured retry policy, for messages of
    `names` (None: all); each claimed batch runs in an app context of its own."""
    config = current_app.config
    settings = WorkerSettings(
        batch_size=batch_size,
        max_attempts=int(config["OUTBOX_MAX_ATTEMPTS"]),
        backoff_base=timedelta(seconds=float(config["OUTBOX_BACKOFF_SECONDS"])),
        lease=timedelta(seconds=float(config["OUTBOX_LEASE_SECONDS"])),
    )
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return Worker(
        get_database().session_factory, settings, batch_scope=app.app_context, names=names
    )


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one batch and exit (for cron and tests).")
@click.option("--batch", default=20, show_default=True, help="Messages claimed at a time.")
@click.option("--poll", default=2.0, show_default=True, help="Seconds to wait when idle.")
@click.option(
    "--only",
    "names",
    multiple=True,
    help="Run only messages of this name (repeatable), e.g. payments.apply_event.",
)
def worker_command(once: bool, batch: int, poll: float, names: tuple[str, ...]) -> None:
    """Apply Stripe's events, send receipts and other mail from the outbox; SIGTERM finishes
    the current batch."""
    _work(make_worker(batch, frozenset(names) or None), once, poll)


def _work(worker: Worker, once: bool, poll: float) -> None:
    if once:
        click.echo(f"done {worker.run_once()}")
        return
    stop = StopRequest()

    def request_stop(_signal: int, _frame: Any) -> None:
        stop.request()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    click.echo(f"worker {worker.name} started")

    def wait_a_little() -> None:
        stop.wait(poll)  # returns early when SIGTERM arrives

    try:
        worker.run_until(stop.is_set, wait_a_little)
    finally:
        stop.close()
    click.echo(f"worker {worker.name} stopped")


outbox_cli = AppGroup("outbox", help="Side effects waiting, done, or dead.")


@outbox_cli.command("dead")
def list_dead_command() -> None:
    """Messages that failed too often, with their last error."""
    for message in db_session().scalars(
        select(OutboxMessage).where(OutboxMessage.status == DEAD).order_by(OutboxMessage.id)
    ):
        click.echo(f"{message.id}\t{message.name}\t{message.attempts}\t{message.last_error}")


@outbox_cli.command("retry")
@click.argument("message_id", type=int)
def retry_command(message_id: int) -> None:
    """Give a dead message another set of tries, now."""
    session = db_session()
    message = session.get(OutboxMessage, message_id)
    if message is None or message.status != DEAD:
        raise click.ClickException(f"no dead outbox message {message_id}")
    message.status, message.attempts, message.available_at = PENDING, 0, utcnow()
    session.commit()
    click.echo(f"outbox {message_id} will run again")
