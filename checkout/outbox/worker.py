"""Workers: claim due messages, run their handlers, retry with backoff, park the hopeless.

Claiming takes a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers
on several machines never take the same row) and sets a lease; each message then runs in its
own transaction. A worker killed mid-batch leaves leases that expire, and another worker takes
those messages again: delivery is at least once, so handlers are idempotent.
"""

from __future__ import annotations

import logging
import random
import secrets
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from checkout.core.clock import utcnow
from checkout.outbox.models import DEAD, DONE, PENDING, OutboxMessage
from checkout.outbox.registry import PermanentFailure, handler_for

log = logging.getLogger(__name__)


@dataclass
class WorkerSettings:
    """How a worker paces itself."""

    batch_size: int = 20
    lease: timedelta = timedelta(minutes=5)  # longer than any handler should take
    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_cap: timedelta = timedelta(hours=6)


def backoff(attempts: int, settings: WorkerSettings, rand: Callable[[], float]) -> timedelta:
    """Exponential backoff with jitter (50 % to 150 %), so retries of one outage spread out."""
    base: timedelta = settings.backoff_base * (2 ** max(attempts - 1, 0))
    capped: timedelta = min(base, settings.backoff_cap)
    jittered: timedelta = capped * (0.5 + rand())
    return jittered


@dataclass
class Worker:
    """One worker process's loop over the outbox."""

    sessions: Callable[[], Session]
    settings: WorkerSettings = field(default_factory=WorkerSettings)
    name: str = field(default_factory=lambda: f"{socket.gethostname()}-{secrets.token_hex(3)}")
    clock: Callable[[], datetime] = utcnow
    rand: Callable[[], float] = random.random
    #: Each batch runs inside one of these: `flask worker` gives each its own app context, so
    #: what handlers keep open for the next message (an SMTP connection) closes with the batch.
    batch_scope: Callable[[], AbstractContextManager[object]] = nullcontext

    def claim(self) -> list[int]:
        """Take up to a batch of due messages under a lease; their ids, oldest first."""
        now = self.clock()
        with self.sessions() as session, session.begin():
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == PENDING, OutboxMessage.available_at <= now)
                .where(
                    or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)
                )
                .order_by(OutboxMessage.id)
                .limit(self.settings.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.claimed_by, row.claimed_until = self.name, now + self.settings.lease
            return [row.id for row in rows]

    def run(self, message_id: int) -> bool:
        """Run one claimed message; True when it is done."""
        try:
            with self.sessions() as session, session.begin():
                message = session.get(OutboxMessage, message_id, with_for_update=True)
                if message is None or message.status != PENDING or message.claimed_by != self.name:
                    return False  # done meanwhile, or our lease ran out and another took it
                handler_for(message.name)(session, dict(message.payload))
                message.status, message.done_at = DONE, self.clock()
                message.claimed_by = message.claimed_until = None
            return True
        except Exception as error:
            self._record_failure(message_id, error)
            return False

    def _record_failure(self, message_id: int, error: Exception) -> None:
        """Count the attempt; retry later with backoff, or park the message as dead."""
        with self.sessions() as session, session.begin():
            message = session.get(OutboxMessage, message_id, with_for_update=True)
            if message is None:
                return
            message.attempts += 1
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            message.claimed_by = message.claimed_until = None
            if (
                isinstance(error, PermanentFailure)
                or message.attempts >= self.settings.max_attempts
            ):
                message.status = DEAD
                log.error(
                    "outbox %s (%s) is dead: %s", message.id, message.name, message.last_error
                )
            else:
                delay = backoff(message.attempts, self.settings, self.rand)
                message.available_at = self.clock() + delay
                log.warning("outbox %s (%s) failed, retry in %s", message.id, message.name, delay)

    def run_once(self) -> int:
        """Claim one batch and run it; how many messages were done."""
        with self.batch_scope():
            return sum(self.run(message_id) for message_id in self.claim())

    def run_until(self, stop: Callable[[], bool], idle_sleep: Callable[[], None]) -> None:
        """Work until `stop()` says so; between batches `stop` is checked (SIGTERM sets it)."""
        while not stop():
            if self.run_once() == 0 and not stop():
                idle_sleep()
