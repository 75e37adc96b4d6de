"""Handlers by name, and enqueuing by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.outbox.models import OutboxMessage

#: A handler runs inside the transaction that marks its message done; it must be idempotent
#: (a worker that dies after the side effect but before the commit runs it again).
Handler = Callable[[Session, dict[str, Any]], None]

_HANDLERS: dict[str, Handler] = {}


class PermanentFailure(Exception):
    """A handler's refusal that no retry can fix: the message goes dead at once, with why."""


def register(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler for `name`."""

    def decorator(handler: Handler) -> Handler:
        _HANDLERS[name] = handler
        return handler

    return decorator


def handler_for(name: str) -> Handler:
    """The handler registered for `name` (KeyError for an unknown name)."""
    return _HANDLERS[name]


def enqueue(session: Session, name: str, key: str, payload: dict[str, Any]) -> OutboxMessage:
    """Add a message in the caller's transaction; the same key twice yields the first one."""
    existing = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    if existing is not None:
        return existing
    message = OutboxMessage(name=name, key=key, payload=payload)
    try:
        # Added inside the savepoint: begin_nested() flushes what is pending before the
        # SAVEPOINT, so a message added earlier would be inserted outside it, and a duplicate
        # key (another transaction enqueued it meanwhile) would doom the caller's transaction.
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:
        found = session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
        assert found is not None
        return found
    return message
