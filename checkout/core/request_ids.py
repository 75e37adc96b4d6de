"""The id of the request, or outbox message, this code runs for.

Every log line carries it, every outbox message queued while it is set keeps it, and the
worker sets it again while it runs that message: one id follows a donor's click, or a Stripe
event, through the web process, the outbox and the worker's log. Random, so it says nothing
about anyone.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

_CURRENT: ContextVar[str | None] = ContextVar("checkout_request_id", default=None)


def new_request_id() -> str:
    """A fresh id: 16 hex characters."""
    return secrets.token_hex(8)


def current_request_id() -> str | None:
    """The id this code runs for, None outside a request or message."""
    return _CURRENT.get()


@contextmanager
def request_id_set(request_id: str | None) -> Iterator[str | None]:
    """Run the block with `request_id` as the current one, then restore the one before."""
    token = _CURRENT.set(request_id)
    try:
        yield request_id
    finally:
        _CURRENT.reset(token)


def start_request() -> Token[str | None]:
    """Set a fresh id for a request that starts; returns what `end_request` needs."""
    return _CURRENT.set(new_request_id())


def end_request(started: Token[str | None]) -> None:
    """Restore the id from before `start_request`."""
    _CURRENT.reset(started)
