"""Handlers by name, and enqueuing by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from checkout.core.request_ids import current_request_id
from checkout.db import insert_or_skip, upsert_insert
from checkout.outbox.models import OutboxMessage

#: Handles one message inside the transaction that marks it done; it must be idempotent (a
#: worker that dies after a side effect but before the commit runs it again).
Handler = Callable[[Session, dict[str, Any]], None]
#: Handles up to its batch's size of messages of one name in one transaction (see
#: `register_batch`): for each payload, in order, None (done) or the exception that failed it.
BatchHandler = Callable[[Session, list[dict[str, Any]]], list[Exception | None]]


@dataclass(frozen=True, slots=True)
class Registration:
    """A name's handler and how many of its messages share a transaction."""

    handler: Handler | BatchHandler
    batch: int = 1


_REGISTERED: dict[str, Registration] = {}
_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]  # a Table, mapped


class PermanentFailure(Exception):
    """A handler's refusal that no retry can fix: the message goes dead at once, with why."""


def register(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of `name`: one message, one transaction."""

    def decorator(handler: Handler) -> Handler:
        _REGISTERED[name] = Registration(handler)
        return handler

    return decorator


def register_batch(name: str, size: int) -> Callable[[BatchHandler], BatchHandler]:
    """Register the decorated function as the handler of up to `size` messages of `name` at
    once, in one transaction: it receives their payloads and returns, for each in order, None
    (done) or the exception that failed it (retried with backoff, or dead if a
    `PermanentFailure`). What it wrote for a failed message stands, so it writes nothing for
    one it fails, or only what a retry may find (a receipt's stored PDF). Should it raise,
    nothing of the transaction stands and each message counts a failed attempt.
    """
    if size < 1:
        raise ValueError(f"a batch holds at least one message, not {size}")

    def decorator(handler: BatchHandler) -> BatchHandler:
        _REGISTERED[name] = Registration(handler, size)
        return handler

    return decorator


def registration_of(name: str) -> Registration:
    """How `name` is handled (KeyError for an unknown name)."""
    return _REGISTERED[name]


def batch_size(name: str) -> int:
    """How many messages of `name` share a transaction (one for an unknown name: its
    transaction fails alone)."""
    registration = _REGISTERED.get(name)
    return registration.batch if registration else 1


def enqueue(session: Session, name: str, key: str, payload: dict[str, Any]) -> int:
    """Add a message in the caller's transaction and return its id; the same key twice (even
    from two transactions at once) yields the first message's id. The message keeps the
    current request id (core/request_ids.py), which the worker logs when it runs it.

    One INSERT ... ON CONFLICT DO NOTHING: no SELECT first and no SAVEPOINT, so a duplicate
    never dooms the caller's transaction. On PostgreSQL a concurrent uncommitted INSERT of the
    same key makes this one wait for it, then find its row.
    """
    dialect = session.get_bind().dialect.name
    added = session.execute(
        insert_or_skip(dialect, _OUTBOX, "key", "id"),
        # the columns' defaults fill the rest
        {"name": name, "key": key, "payload": payload, "request_id": current_request_id()},
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
    request_id = current_request_id()
    session.execute(
        upsert_insert(session, _OUTBOX).on_conflict_do_nothing(index_elements=[_OUTBOX.c.key]),
        [
            {"name": name, "key": key, "payload": payload, "request_id": request_id}
            for key, payload in messages
        ],
    )
