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
    after `perform` succeeded, and a failure of either counts as the message's failed
    attempt. The `then`s of a transaction share one savepoint; should one fail, the others
    run again, each in a savepoint of its own, so a `then` only writes to the session.

    What the handler itself wrote stands even when the effect fails (the message is retried
    with it): a receipt's PDF is stored once, and a retry only sends it. Writes that record
    the effect go in `then`.
    """

    perform: Callable[[], None]
    then: Callable[[], None] = lambda: None


#: A handler runs inside the transaction that marks its message done; it must be idempotent
#: (a worker that dies after the side effect but before the commit runs it again). It may
#: return a `Later` for a side effect the worker performs after it.
Handler = Callable[[Session, dict[str, Any]], Later | None]
#: Runs several messages of one name at once (`register(..., together=...)`): all of them or,
#: should it raise, none (the worker then runs them one by one with the `Handler`). It may
#: return, in the order of the payloads, what a `Handler` returns for each.
GroupHandler = Callable[[Session, list[dict[str, Any]]], list[Later | None] | None]

_HANDLERS: dict[str, Handler] = {}
_ALONE: set[str] = set()
_TOGETHER: dict[str, GroupHandler] = {}
_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]  # a Table, mapped


class PermanentFailure(Exception):
    """A handler's refusal that no retry can fix: the message goes dead at once, with why."""


def register(
    name: str,
    *,
    alone: bool = False,
    together: GroupHandler | None = None,
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler for `name`.

    A worker runs messages of one name in a shared transaction, which keeps every lock they
    take until it commits, each message in a savepoint of its own. `alone=True` gives each
    message a transaction of its own: for a handler that locks something other workers'
    messages lock too, in an order the worker cannot know (a receipt counter per office: two
    workers each holding one office's and waiting for the other's would deadlock).

    `together` handles a transaction's messages in one call, with no savepoints: a handler
    that can take its locks in an order of its own (receipt counters in office order) and
    write its rows in a few statements rather than a few per message. It succeeds for all of
    them or raises, and then the worker runs them again one by one with the decorated
    handler, so that each failure is its own message's (`alone` applies to those runs). The
    batch size bounds its transaction, not `transaction_seconds`. Effects it returns (`Later`)
    are performed as a handler's are: each one's failure is its own message's.
    """

    def decorator(handler: Handler) -> Handler:
        _HANDLERS[name] = handler
        if alone:
            _ALONE.add(name)
        else:
            _ALONE.discard(name)
        if together is None:
            _TOGETHER.pop(name, None)
        else:
            _TOGETHER[name] = together
        return handler

    return decorator


def handler_for(name: str) -> Handler:
    """The handler registered for `name` (KeyError for an unknown name)."""
    return _HANDLERS[name]


def runs_alone(name: str) -> bool:
    """Whether messages of `name` each run in a transaction of their own (see `register`)."""
    return name in _ALONE


def group_handler_for(name: str) -> GroupHandler | None:
    """The handler that runs several messages of `name` at once, if it has one."""
    return _TOGETHER.get(name)


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


def enqueue_all(session: Session, name: str, messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Add several messages of one name, given as (key, payload), in one INSERT in the
    caller's transaction; a key already queued is skipped, as `enqueue` skips it.

    The rows go as parameters of one statement (SQLAlchemy's "insertmanyvalues" writes them
    into one INSERT), not as a VALUES list built into the statement: that was compiled anew
    for every batch and cost four times the CPU.
    """
    if not messages:
        return
    session.execute(
        upsert_insert(session, _OUTBOX).on_conflict_do_nothing(index_elements=[_OUTBOX.c.key]),
        [{"name": name, "key": key, "payload": payload} for key, payload in messages],
    )
