"""The site-wide breaker: when most recent card attempts fail, new payments need proof of work.

Card testers move from address to address faster than per-address limits can follow; what they
cannot hide is the decline rate of the whole site, which for real donors is low. When, over the
window, at least `min_failures` attempts failed (declined, or refused by our limits) and they
are at least `rate` of all attempts, the breaker trips: for `hold` after that, every new
payment start must carry a solved proof-of-work challenge (proof_of_work.py). It switches off
by itself when the hold has passed and the rate is down again. The counts live in the shared
counters, so every web process sees the same state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checkout.counters import Counters

#: A count large enough never to be reached: these windows only count.
_UNBOUNDED = 1_000_000_000
_SITE = "site"


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """When the breaker trips, and for how long it holds."""

    window: str  # "10 minutes"
    min_failures: int
    rate: float  # 0.5: half the attempts failed
    hold: str  # "15 minutes"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> BreakerSettings:
        """The breaker the settings describe."""
        return cls(
            window=str(config["CARD_BREAKER_WINDOW"]),
            min_failures=int(config["CARD_BREAKER_MIN_FAILURES"]),
            rate=float(config["CARD_BREAKER_RATE"]),
            hold=str(config["CARD_BREAKER_HOLD"]),
        )


class Breaker:
    """The breaker's state, kept in the shared counters."""

    def __init__(self, counters: Counters, settings: BreakerSettings) -> None:
        """A breaker over `counters`."""
        self.counters = counters
        self.settings = settings
        self._count = f"{_UNBOUNDED} per {settings.window}"
        self._hold = f"1 per {settings.hold}"

    def record(self, *, failed: bool) -> None:
        """Count one card attempt; a failed one also counts as a failure."""
        self.counters.hit(self._count, "breaker-attempts", _SITE)
        if failed:
            self.counters.hit(self._count, "breaker-failures", _SITE)
            self._trip_if_over()

    def is_on(self) -> bool:
        """True while new payment starts need a solved challenge."""
        return not self.counters.allows(self._hold, "breaker-held", _SITE)

    def _trip_if_over(self) -> None:
        failures = self.counters.used(self._count, "breaker-failures", _SITE)
        attempts = self.counters.used(self._count, "breaker-attempts", _SITE)
        over = failures >= self.settings.min_failures and failures >= self.settings.rate * attempts
        if over and not self.is_on():
            self.counters.hit(self._hold, "breaker-held", _SITE)
