"""A request to stop, made from a signal handler: no locks, so it cannot deadlock.

`threading.Event` looked right for this and was not: `Event.set` takes the lock of the
Event's condition, which the main thread holds for a moment inside `Event.wait`. A SIGTERM
whose handler ran in that moment waited for a lock its own thread held, and the worker hung
with its batch long done. Here the handler only sets a flag and writes a byte to a pipe; the
worker's idle wait is a `select` on that pipe, which the byte ends at once.
"""

from __future__ import annotations

import contextlib
import os
import select


class StopRequest:
    """Set once by `request` (from a signal handler or anywhere); `wait` returns early then."""

    def __init__(self) -> None:
        self._requested = False
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)

    def request(self) -> None:
        """Ask to stop. Async-signal-safe enough for Python: no lock, one write."""
        self._requested = True
        with contextlib.suppress(BlockingIOError):  # the pipe is full: a wake-up is pending
            os.write(self._write, b"\0")

    def is_set(self) -> bool:
        return self._requested

    def wait(self, timeout: float) -> None:
        """Up to `timeout` seconds, less if a stop is (or was already) requested."""
        if not self._requested:
            select.select([self._read], [], [], timeout)

    def close(self) -> None:
        for end in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(end)
