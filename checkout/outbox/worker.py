"""Workers: claim due messages, run their handlers, retry with backoff, park the hopeless.

Claiming takes a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers
on several machines never take the same row) and sets a lease. Each claimed message then runs
in a transaction of its own, which marks it done when its handler returns; a handler that
raises rolls its transaction back, and the failed attempt is recorded in another. A name
registered with `register_batch` runs up to its batch's size of messages in one transaction,
through one call of its handler, which says which of them failed (receipt numbering takes an
office's serials for the whole batch in one statement).

A worker killed mid-batch leaves leases that expire, and another worker takes those messages
again. Delivery is at least once (an email may go out again, with the same Message-ID), so
handlers are idempotent.
"""

from __future__ import annotations

import logging
import random
import secrets
import socket
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, or_, select, true, update
from sqlalchemy.orm import Session

from checkout.core.clock import utcnow
from checkout.core.request_ids import request_id_set
from checkout.outbox.models import DEAD, DONE, PENDING, OutboxMessage
from checkout.outbox.registry import (
    BatchHandler,
    Handler,
    PermanentFailure,
    batch_size,
    registration_of,
)

log = logging.getLogger(__name__)
_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]  # a Table, mapped


@dataclass
class WorkerSettings:
    """How a worker paces itself."""

    batch_size: int = 20
    lease: timedelta = timedelta(minutes=5)  # longer than any batch should take
    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message this worker holds the lease of."""

    id: int
    name: str
    payload: dict[str, Any]
    request_id: str | None = None  # of the request (or message) that queued it


def backoff(attempts: int, settings: WorkerSettings, rand: Callable[[], float]) -> timedelta:
    """Exponential backoff with jitter (50 % to 150 %), so retries of one outage spread out."""
    base: timedelta = settings.backoff_base * (2 ** max(attempts - 1, 0))
    capped: timedelta = min(base, settings.backoff_cap)
    jittered: timedelta = capped * (0.5 + rand())
    return jittered


def transactions(messages: Iterable[Claimed]) -> list[list[Claimed]]:
    """The messages in the transactions they run in: one each, or up to a batch's size of a
    name registered with `register_batch`, in the order each name first appears."""
    groups: list[list[Claimed]] = []
    open_batches: dict[str, list[Claimed]] = {}
    for message in messages:
        size = batch_size(message.name)
        batch = open_batches.get(message.name)
        if batch is None or len(batch) >= size:
            batch = open_batches[message.name] = []
            groups.append(batch)
        batch.append(message)
    return groups


@dataclass
class Worker:
    """One worker process's loop over the outbox."""

    sessions: Callable[[], Session]
    settings: WorkerSettings = field(default_factory=WorkerSettings)
    name: str = field(default_factory=lambda: f"{socket.gethostname()}-{secrets.token_hex(3)}")
    clock: Callable[[], datetime] = utcnow
    rand: Callable[[], float] = random.random
    #: Each claimed batch runs inside one of these: `flask worker` gives each an app context.
    batch_scope: Callable[[], AbstractContextManager[object]] = nullcontext
    #: Only messages of these names (None: all). A worker kept for webhooks, say, applies
    #: Stripe's events while others work through a year-end run of statements.
    names: frozenset[str] | None = None

    def claim(self) -> list[Claimed]:
        """Take up to a batch of due messages under a lease, the longest due first."""
        now = self.clock()
        outbox = _OUTBOX.c
        with self.sessions() as session, session.begin():
            rows = session.execute(
                select(outbox.id, outbox.name, outbox.payload, outbox.request_id)
                .where(outbox.status == PENDING, outbox.available_at <= now)
                .where(or_(outbox.claimed_until.is_(None), outbox.claimed_until < now))
                .where(true() if self.names is None else outbox.name.in_(sorted(self.names)))
                # Due order, as the index ix_outbox_due (status, available_at) keeps the rows:
                # the database reads the first rows it finds instead of sorting every due
                # message (after an outage, tens of thousands) for each batch.
                .order_by(outbox.available_at, outbox.id)
                .limit(self.settings.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            claimed = [Claimed(row.id, row.name, dict(row.payload), row.request_id) for row in rows]
            if claimed:
                session.execute(
                    update(_OUTBOX)
                    .where(outbox.id.in_([message.id for message in claimed]))
                    .values(claimed_by=self.name, claimed_until=now + self.settings.lease)
                )
            return claimed

    def run_once(self) -> int:
        """Claim one batch and run it; how many messages were done."""
        with self.batch_scope():
            return sum(self._run(group) for group in transactions(self.claim()))

    def run_until(self, stop: Callable[[], bool], idle_sleep: Callable[[], None]) -> None:
        """Work until `stop()` says so; between batches `stop` is checked (SIGTERM sets it)."""
        while not stop():
            if self.run_once() == 0 and not stop():
                idle_sleep()

    def _run(self, group: list[Claimed]) -> int:
        """Run `group` (one message, or a batch of one name) in one transaction, under the
        request id that queued it (messages it queues keep it too; a batch queued by several
        requests runs under none); how many were done."""
        with request_id_set(_shared_request_id(group)):
            done = self._run_group(group)
        return done

    def _run_group(self, group: list[Claimed]) -> int:
        """Should the transaction fail, each message counts a failed attempt."""
        try:
            with self.sessions() as session, session.begin():
                ours = self._still_ours(session, [message.id for message in group])
                mine = [message for message in group if message.id in ours]
                outcomes = _handle(session, mine) if mine else []
                done = []
                for message, outcome in zip(mine, outcomes, strict=True):
                    if outcome is None:
                        done.append(message.id)
                    else:
                        self._record_failure(session, message.id, outcome)
                self._mark_done(session, done)
            for message in mine:
                if message.id in done:
                    log.info(
                        "outbox %s (%s) done",
                        message.id,
                        message.name,
                        extra={"request_id": message.request_id},
                    )
            return len(done)
        except Exception as error:
            for message in group:
                self._record_failure_alone(message, error)
            return 0

    def _still_ours(self, session: Session, ids: list[int]) -> set[int]:
        """Those of `ids` still pending under our lease, locked until the transaction ends."""
        outbox = _OUTBOX.c
        return set(
            session.scalars(
                select(outbox.id)
                .where(outbox.id.in_(ids), outbox.status == PENDING)
                .where(outbox.claimed_by == self.name)
                .with_for_update()
            )
        )

    def _mark_done(self, session: Session, ids: list[int]) -> None:
        if ids:
            session.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.id.in_(ids))
                .values(status=DONE, done_at=self.clock(), claimed_by=None, claimed_until=None)
            )

    def _record_failure_alone(self, message: Claimed, error: Exception) -> None:
        """Record a failed attempt in a transaction of its own (the message's own one failed)."""
        try:
            with self.sessions() as session, session.begin():
                self._record_failure(session, message.id, error)
        except Exception:  # the database is away: the lease runs out and the message runs again
            log.exception("outbox %s (%s): could not record its failure", message.id, message.name)

    def _record_failure(self, session: Session, message_id: int, error: Exception) -> None:
        """Count the attempt; retry later with backoff, or park the message as dead."""
        message = session.get(OutboxMessage, message_id, with_for_update=True)
        if message is None:
            return
        message.attempts += 1
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        message.claimed_by = message.claimed_until = None
        if isinstance(error, PermanentFailure) or message.attempts >= self.settings.max_attempts:
            message.status = DEAD
            log.error("outbox %s (%s) is dead: %s", message.id, message.name, message.last_error)
        else:
            delay = backoff(message.attempts, self.settings, self.rand)
            message.available_at = self.clock() + delay
            log.warning("outbox %s (%s) failed, retry in %s", message.id, message.name, delay)
        session.flush()


def _shared_request_id(group: list[Claimed]) -> str | None:
    """The request id all of `group` was queued under, or None when they differ."""
    ids = {message.request_id for message in group}
    return ids.pop() if len(ids) == 1 else None


def _handle(session: Session, messages: list[Claimed]) -> list[Exception | None]:
    """Run the messages' handler: each message's outcome, None when it is done."""
    registration = registration_of(messages[0].name)
    payloads = [dict(message.payload) for message in messages]
    if registration.batch == 1:
        handler: Handler = registration.handler  # type: ignore[assignment]
        handler(session, payloads[0])
        return [None]
    batch_handler: BatchHandler = registration.handler  # type: ignore[assignment]
    outcomes = batch_handler(session, payloads)
    if len(outcomes) != len(payloads):
        raise RuntimeError(f"{messages[0].name}: {len(outcomes)} outcomes for {len(payloads)}")
    return outcomes
