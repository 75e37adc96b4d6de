"""Performing the side effects handlers leave to the worker (`registry.Later`).

`perform_in_turn` performs them one after the other (tests, and `Worker`'s default);
`ConcurrentPerformer` on several threads (`flask worker`, OUTBOX_SEND_THREADS). Either returns,
for each effect, the exception it raised or None: one failing effect never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


def perform_in_turn(effects: list[Callable[[], None]]) -> list[Exception | None]:
    """Perform side effects one after the other; each one's exception, or None."""
    return [_outcome(effect) for effect in effects]


def _outcome(effect: Callable[[], None]) -> Exception | None:
    try:
        effect()
    except Exception as error:
        return error
    return None


class ConcurrentPerformer:
    """Performs a batch's side effects on up to `threads` threads at once.

    Sending an email is mostly waiting for the server's replies (four round trips per
    message, more with a remote relay); with several connections the waits overlap.
    """

    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="outbox-effect")

    def __call__(self, effects: list[Callable[[], None]]) -> list[Exception | None]:
        if len(effects) < 2:
            return perform_in_turn(effects)
        return list(self._pool.map(_outcome, effects))

    def close(self) -> None:
        """Wait for effects under way, then let the threads go."""
        self._pool.shutdown(wait=True)
