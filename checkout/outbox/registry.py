"""Handlers by name, and enqueuing by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from checkout.db import upsert_insert
from checkout.outbox.models import OutboxMessage


@dataclass(frozen=True, slots=True)
class Later:
    """A side effect a handler leaves to the worker, and what to record once it happened.

    The worker performs it after the database work of its batch, outside the session and
    beside the other messages' effects (`flask worker` on several threads): an email waits
    for the server's reply, and a remote SMTP relay may take tens of milliseconds to give
    one. `perform` must not touch the database; `then` runs in the message's transaction
    (in a savepoint) after `perform` succeeded, and a failure of either counts as the
    message's failed attempt. A handler that returns one should only read: what it writes
    itself stands even when the effect fails, so writes that record the effect go in `then`.
    """

    perform: Callable[[], None]
    then: Callable[[], None] = lambda: None


#: A handler runs inside the transaction that marks its message done; it must be idempotent
#: (a worker that dies after the side effect but before the commit runs it again). It may
#: return a `Later` for a side effect the worker performs after it.
Handler = Callable[[Session, dict[str, Any]], Later | None]

_HANDLERS: dict[str, Handler] = {}
_ALONE: set[str] = set()
_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]  # a Table, mapped


class PermanentFailure(Exception):
    """A handler's refusal that no retry can fix: the message goes dead at once, with why."""


def register(name: str, *, alone: bool = False) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler for `name`.

    A worker runs messages of one name in a shared transaction, which keeps every lock they
    take until it commits. `alone=True` gives each message a transaction of its own: for a
    handler that locks something other workers' messages lock too, in an order the worker
    cannot know (a receipt counter per office: two workers each holding one office's and
    waiting for the other's would deadlock, and a held counter stalls the other workers).
    """

    def decorator(handler: Handler) -> Handler:
        _HANDLERS[name] = handler
        if alone:
            _ALONE.add(name)
        else:
            _ALONE.discard(name)
        return handler

    return decorator


def handler_for(name: str) -> Handler:
    """The handler registered for `name` (KeyError for an unknown name)."""
    return _HANDLERS[name]


def runs_alone(name: str) -> bool:
    """Whether messages of `name` each run in a transaction of their own (see `register`)."""
    return name in _ALONE


def enqueue(session: Session, name: str, key: str, payload: dict[str, Any]) -> int:
    """Add a message in the caller's transaction and return its id; the same key twice (even
    from two transactions at once) yields the first message's id.

    One INSERT ... ON CONFLICT DO NOTHING: no SELECT first and no SAVEPOINT, so a duplicate
    never dooms the caller's transaction. On PostgreSQL a concurrent uncommitted INSERT of the
    same key makes this one wait for it, then find its row.
    """
    table = _OUTBOX
    added = session.execute(
        upsert_insert(session, table)
        .values(name=name, key=key, payload=payload)  # the columns' defaults fill the rest
        .on_conflict_do_nothing(index_elements=[table.c.key])
        .returning(table.c.id)
    ).scalar()
    if added is not None:
        return int(added)
    existing = session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key))
    assert existing is not None
    return existing
