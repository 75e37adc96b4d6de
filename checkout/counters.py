"""Counters shared by every web process: declines, attempts, look-ups at Stripe.

They live in the rate-limit store (`RATELIMIT_STORAGE_URI`: Redis in production, so that every
gunicorn process and every machine counts together) through the `limits` library, the one
Flask-Limiter is built on. Identities (an address, an email, a card fingerprint) are kept only
as keyed hashes: the store never holds personal data.

When the store cannot be reached the counters carry on in this process's memory and say so in
the log and in `/healthz`: donations must not stop because Redis did. They go back to the store
by themselves once it answers again.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import (
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.util import WindowStats
from werkzeug.exceptions import TooManyRequests

from checkout.extensions import COUNTED_BY_COUNTERS

log = logging.getLogger(__name__)
EXTENSION_KEY = "checkout.counters"
#: How often, while on the memory fallback, the shared store is asked whether it is back.
RETRY_SECONDS = 15.0
T = TypeVar("T")
View = TypeVar("View", bound=Callable[..., Any])


class Counters:
    """Windowed counters in the shared store, with a fallback to process memory."""

    def __init__(self, storage_uri: str, hash_key: str, prefix: str = "checkout") -> None:
        """Counters in the store at `storage_uri`; identities hashed with `hash_key`."""
        self.storage_uri = storage_uri
        self._hash_key = hash_key.encode()
        self._prefix = prefix
        shared = storage_from_string(storage_uri)
        if not isinstance(shared, Storage):
            raise ValueError(f"RATELIMIT_STORAGE_URI {storage_uri!r} names an async store")
        self._shared = shared
        self._memory = MemoryStorage()
        self._degraded_since: float | None = None
        self._lock = threading.Lock()

    # --- counting --------------------------------------------------------------------------
    # A `limit` is Flask-Limiter's syntax, several windows allowed: "5 per hour;20 per day".

    def hit(self, limit: str, kind: str, identity: str, cost: int = 1) -> bool:
        """Count `cost` for `identity` in each window; False when any window is already full."""
        key = self._key(kind, identity)

        def one(item: RateLimitItem) -> bool:
            return self._run(lambda storage: _strategy(storage, item).hit(item, *key, cost=cost))

        results = [one(item) for item in parse_many(limit)]  # every window counts the hit
        return all(results)

    def allows(self, limit: str, kind: str, identity: str) -> bool:
        """True while `identity` is still within every window of `limit` (counts nothing)."""
        key = self._key(kind, identity)

        def one(item: RateLimitItem) -> bool:
            return self._run(lambda storage: _strategy(storage, item).test(item, *key))

        return all(one(item) for item in parse_many(limit))

    def used(self, limit: str, kind: str, identity: str) -> int:
        """How much of the first window of `limit` `identity` has used."""
        item = parse_many(limit)[0]
        return item.amount - self._stats(item, self._key(kind, identity)).remaining

    def retry_after(self, limit: str, kind: str, identity: str) -> int:
        """Seconds until every window of `limit` lets `identity` try again (0: it may now)."""
        key, now, waits = self._key(kind, identity), time.time(), [0]
        for item in parse_many(limit):
            stats = self._stats(item, key)
            if stats.remaining <= 0:
                waits.append(max(1, int(stats.reset_time - now + 0.999)))
        return max(waits)

    def _stats(self, item: RateLimitItem, key: tuple[str, str]) -> WindowStats:
        return self._run(lambda storage: _strategy(storage, item).get_window_stats(item, *key))

    @staticmethod
    def window_seconds(limit: str) -> int:
        """The length of the first window of `limit` in seconds ("5 per hour" -> 3600)."""
        item: RateLimitItem = parse_many(limit)[0]
        return int(item.get_expiry())

    # --- health ----------------------------------------------------------------------------

    @property
    def degraded(self) -> bool:
        """True while the shared store is unreachable and this process counts alone."""
        return self._degraded_since is not None

    def check(self) -> bool:
        """Ask the shared store whether it answers now (for /healthz)."""
        healthy = bool(self._shared.check())
        with self._lock:
            self._degraded_since = None if healthy else (self._degraded_since or time.monotonic())
        return healthy

    # --- internals -------------------------------------------------------------------------

    def _key(self, kind: str, identity: str) -> tuple[str, str]:
        digest = hmac.new(self._hash_key, identity.encode(), hashlib.sha256).hexdigest()[:32]
        return (f"{self._prefix}:{kind}", digest)

    def _run(self, action: Callable[[Storage], T]) -> T:
        """Run `action` on the shared store, or on memory while the store is down."""
        if self._degraded_since is not None and not self._time_to_retry():
            return action(self._memory)
        try:
            result = action(self._shared)
        except self._shared.base_exceptions as error:
            self._fall_back(error)
            return action(self._memory)
        if self._degraded_since is not None:
            log.warning("rate-limit store reachable again: counting shared")
            self._degraded_since = None
        return result

    def _time_to_retry(self) -> bool:
        since = self._degraded_since
        return since is not None and time.monotonic() - since >= RETRY_SECONDS

    def _fall_back(self, error: BaseException) -> None:
        with self._lock:
            if self._degraded_since is None:
                log.error(
                    "rate-limit store %s unreachable (%s): counting in this process only",
                    self._shared.__class__.__name__,
                    type(error).__name__,
                )
            self._degraded_since = time.monotonic()


#: Up to this many per window, a limit is kept exactly (a moving window: one entry per hit);
#: above it, as a sliding-window counter (two numbers per key, an estimate), because a
#: site-wide count under attack cannot keep an entry per hit.
EXACT_UP_TO = 1000


def _strategy(storage: Storage, item: RateLimitItem) -> RateLimiter:
    """The counting strategy for `item`."""
    if item.amount <= EXACT_UP_TO:
        return MovingWindowRateLimiter(storage)
    return SlidingWindowCounterRateLimiter(storage)


def init_app(app: Flask) -> Counters:
    """Attach the app's counters (no connection is made until the first count)."""
    counters = Counters(
        str(app.config["RATELIMIT_STORAGE_URI"]),
        str(app.config["SECRET_KEY"]),
        prefix=str(app.config.get("COUNTERS_PREFIX", "checkout")),
    )
    app.extensions[EXTENSION_KEY] = counters
    return counters


def counters() -> Counters:
    """The current app's counters."""
    return current_app.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]


def limit_per_address(limit_setting: str, kind: str) -> Callable[[View], View]:
    """Count each call of a view against the limit named by the setting `limit_setting`, per
    client address; past it, a 429 that knows the real wait (the error page states it).

    One call into the shared store per request, where Flask-Limiter's decorator resolves and
    checks limits twice and writes three headers: a quarter of a wizard step's submission.
    Views marked this way are left out of Flask-Limiter's own per-request checks.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            config = current_app.config
            if config.get("RATELIMIT_ENABLED", True):
                limit, address = str(config[limit_setting]), request.remote_addr or "unknown"
                if not counters().hit(limit, kind, address):
                    raise TooManyRequests(retry_after=counters().retry_after(limit, kind, address))
            return view(*args, **kwargs)

        setattr(limited, COUNTED_BY_COUNTERS, True)
        return limited  # type: ignore[return-value]

    return decorate
