"""Workers: claim due messages, run their handlers, retry with backoff, park the hopeless.

Claiming takes a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers
on several machines never take the same row) and sets a lease. The claimed messages then run
in few transactions rather than one each: messages of the same name share a transaction, each
inside a SAVEPOINT of its own, and the transaction commits once it has run for
`transaction_seconds` or its messages are done. A failing message rolls back to its savepoint
(its own changes, nothing else) and is recorded in the same transaction. Each commit is a
round trip and, on PostgreSQL, a wait for the WAL to reach the disk (0.6 to 3 ms on these
machines), and each transaction a session with its own statements to lock and mark messages.
A name may also handle all of a transaction's messages in one call, reading and writing for
all of them at once (`register(..., together=...)`): all or nothing, and on a failure one by
one.

Side effects handlers leave to the worker (`registry.Later`, e.g. a receipt's email) are
performed after the transaction's handlers and before its commit, several at once
(`perform_all`, see `effects`): the transaction lasts as long as they take, and on SQLite
holds the write lock that long.

Messages of one name only, because a transaction keeps every lock its messages took until it
commits: receipt numbering holds its office's counter row, and rendering PDFs while holding it
would make every other worker wait. A transaction of several messages numbering receipts one
by one would take two offices' counters in whatever order its messages came, and two workers
taking them in opposite orders deadlock: such handlers run one message per transaction
(`register(..., alone=True)`), or all at once by a handler that takes its locks in a fixed
order (receipt numbering does, office by office).

A worker killed mid-batch leaves leases that expire, and another worker takes those messages
again; so does a transaction that commits nothing. Delivery is at least once (a batch's emails
may go out again, with the same Message-ID), so handlers are idempotent.
"""

from __future__ import annotations

import logging
import random
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, or_, select, update
from sqlalchemy.orm import Session

from checkout.core.clock import utcnow
from checkout.outbox.effects import perform_in_turn
from checkout.outbox.models import DEAD, DONE, PENDING, OutboxMessage
from checkout.outbox.registry import (
    GroupHandler,
    Later,
    PermanentFailure,
    group_handler_for,
    handler_for,
    runs_alone,
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
    #: A transaction of several messages commits once it has run this long, so that the locks
    #: it holds (SQLite's write lock, for one) are not kept from web requests for long.
    transaction_seconds: float = 0.25


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message this worker holds the lease of."""

    id: int
    name: str
    payload: dict[str, Any]


def _all_or_nothing(session: Session, steps: list[Callable[[], None]]) -> bool:
    """Run the steps in one savepoint; False (and none of their writes) if one raised."""
    try:
        with session.begin_nested():
            for step in steps:
                step()
    except Exception as error:
        log.info("outbox: a step failed (%s); running them one by one", type(error).__name__)
        return False
    return True


def backoff(attempts: int, settings: WorkerSettings, rand: Callable[[], float]) -> timedelta:
    """Exponential backoff with jitter (50 % to 150 %), so retries of one outage spread out."""
    base: timedelta = settings.backoff_base * (2 ** max(attempts - 1, 0))
    capped: timedelta = min(base, settings.backoff_cap)
    jittered: timedelta = capped * (0.5 + rand())
    return jittered


def by_name(messages: Iterable[Claimed]) -> list[list[Claimed]]:
    """The messages in groups that share a transaction: of one name, in the order each name
    first appears; a name that runs alone (`registry.register`) in groups of one, unless it
    has a handler for several at once."""
    groups: dict[str, list[Claimed]] = {}
    alone: list[list[Claimed]] = []
    for message in messages:
        if runs_alone(message.name) and group_handler_for(message.name) is None:
            alone.append([message])
        else:
            groups.setdefault(message.name, []).append(message)
    return alone + list(groups.values())


@dataclass
class Worker:
    """One worker process's loop over the outbox."""

    sessions: Callable[[], Session]
    settings: WorkerSettings = field(default_factory=WorkerSettings)
    name: str = field(default_factory=lambda: f"{socket.gethostname()}-{secrets.token_hex(3)}")
    clock: Callable[[], datetime] = utcnow
    rand: Callable[[], float] = random.random
    #: Each batch runs inside one of these: `flask worker` gives each its own app context, so
    #: what handlers keep open for the next message of the batch closes with it (its SMTP
    #: connections for the batch's emails are kept longer, see `when_idle`).
    batch_scope: Callable[[], AbstractContextManager[object]] = nullcontext
    #: Seconds since some fixed point, for `transaction_seconds` (tests make time pass).
    timer: Callable[[], float] = time.monotonic
    #: Performs handlers' side effects (see `Later`): one after the other, or on threads.
    perform_all: Callable[[list[Callable[[], None]]], list[Exception | None]] = perform_in_turn
    #: Called when a claim finds nothing to do: let go of what is kept for the next batch
    #: (`flask worker` closes its SMTP connections).
    when_idle: Callable[[], None] = lambda: None

    def claim(self) -> list[Claimed]:
        """Take up to a batch of due messages under a lease, the longest due first."""
        now = self.clock()
        outbox = _OUTBOX.c
        with self.sessions() as session, session.begin():
            rows = session.execute(
                select(outbox.id, outbox.name, outbox.payload)
                .where(outbox.status == PENDING, outbox.available_at <= now)
                .where(or_(outbox.claimed_until.is_(None), outbox.claimed_until < now))
                # Due order, as the index ix_outbox_due (status, available_at) keeps the rows:
                # the database reads the first rows it finds instead of sorting every due
                # message (after an outage, tens of thousands) for each batch.
                .order_by(outbox.available_at, outbox.id)
                .limit(self.settings.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            claimed = [Claimed(row.id, row.name, dict(row.payload)) for row in rows]
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
            claimed = self.claim()
            if not claimed:
                self.when_idle()
            done = 0
            for group in by_name(claimed):
                while group:
                    ran, group = self._run_group(group)
                    done += ran
            return done

    def run_until(self, stop: Callable[[], bool], idle_sleep: Callable[[], None]) -> None:
        """Work until `stop()` says so; between batches `stop` is checked (SIGTERM sets it)."""
        while not stop():
            if self.run_once() == 0 and not stop():
                idle_sleep()

    def _run_group(self, group: list[Claimed]) -> tuple[int, list[Claimed]]:
        """Run messages of one name in one transaction, for as long as it may last.

        Returns how many were done and those not started (the transaction's time was up).
        Should the transaction itself fail (the database went away, the commit was refused,
        a handler for several messages at once raised), nothing of it stands and its messages
        run again one by one, each in a transaction of its own; alone, such a failure counts
        as the message's failed attempt.
        """
        together = group_handler_for(group[0].name) if len(group) > 1 else None
        try:
            if together is not None:
                return self._run_together(group, together), []
            return self._run_in_one_transaction(group)
        except Exception as error:
            if len(group) == 1:
                self._record_failure_alone(group[0], error)
                return 0, []
            log.warning(
                "outbox: a transaction of %d %s messages failed (%s: %s); running them one by one",
                len(group),
                group[0].name,
                type(error).__name__,
                error,
            )
            return sum(self._run_group([message])[0] for message in group), []

    def _run_together(self, group: list[Claimed], together: GroupHandler) -> int:
        """All of the group's messages in one call of their group handler, or none; then
        the effects it returned, each one's failure its own message's."""
        with self.sessions() as session, session.begin():
            ours = self._still_ours(session, [message.id for message in group])
            mine = [message for message in group if message.id in ours]
            effects = together(session, [dict(m.payload) for m in mine]) if mine else None
            if effects is None:
                effects = [None] * len(mine)
            paired = list(zip(mine, effects, strict=True))  # one per message, or the batch fails
            done = [message.id for message, effect in paired if effect is None]
            later = [(message.id, effect) for message, effect in paired if effect is not None]
            done += self._perform(session, later)
            self._mark_done(session, done)
        return len(done)

    def _run_in_one_transaction(self, group: list[Claimed]) -> tuple[int, list[Claimed]]:
        started = self.timer()
        rest: list[Claimed] = []
        with self.sessions() as session, session.begin():
            ours = self._still_ours(session, [message.id for message in group])
            done: list[int] = []
            later: list[tuple[int, Later]] = []
            for index, message in enumerate(group):
                if index and self.timer() - started > self.settings.transaction_seconds:
                    rest = group[index:]
                    break
                if message.id not in ours:
                    continue  # done meanwhile, or our lease ran out and another took it
                try:
                    with session.begin_nested():
                        effect = handler_for(message.name)(session, dict(message.payload))
                except Exception as error:
                    self._record_failure(session, message.id, error)
                    continue
                if effect is None:
                    done.append(message.id)
                else:
                    later.append((message.id, effect))
            done += self._perform(session, later)
            self._mark_done(session, done)
        return len(done), rest

    def _perform(self, session: Session, later: list[tuple[int, Later]]) -> list[int]:
        """Perform the messages' side effects (all at once if `perform_all` can), then record
        them; the ids of the messages whose effect happened and was recorded."""
        if not later:
            return []
        outcomes = self.perform_all([effect.perform for _id, effect in later])
        happened: list[tuple[int, Later]] = []
        for (message_id, effect), outcome in zip(later, outcomes, strict=True):
            if outcome is None:
                happened.append((message_id, effect))
            else:
                self._record_failure(session, message_id, outcome)
        return self._record_effects(session, happened)

    def _record_effects(self, session: Session, happened: list[tuple[int, Later]]) -> list[int]:
        """Run the `then`s of effects that happened: all in one savepoint (two statements
        instead of two per message), or, should one fail, each in a savepoint of its own."""
        if not happened:
            return []
        if _all_or_nothing(session, [effect.then for _id, effect in happened]):
            return [message_id for message_id, _effect in happened]
        done: list[int] = []
        for message_id, effect in happened:
            try:
                with session.begin_nested():
                    effect.then()
            except Exception as error:
                self._record_failure(session, message_id, error)
            else:
                done.append(message_id)
        return done

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
