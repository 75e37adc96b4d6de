"""Card testing: count declined attempts, refuse the next one when a limit is reached.

Donation forms are where stolen cards are tried: many small attempts from few addresses, most
of them declined. Every card attempt reaches Stripe only through our server (the browser makes
a ConfirmationToken, `payments/confirming.py` confirms), so every attempt passes these limits
first. Declines are counted per PaymentIntent, per draft, per client address, per email and
per card fingerprint, in the shared counters (Redis in production), under keyed hashes only.

The limits are settings (`CARD_*` in config/default.py); the demo's are generous.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checkout.counters import Counters


@dataclass(frozen=True, slots=True)
class Limits:
    """How many declines each identity may collect (Flask-Limiter syntax, several windows)."""

    per_intent: int  # declines after which the PaymentIntent is cancelled
    per_draft: str
    per_address: str
    per_email: str
    per_fingerprint: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        """The limits the settings name."""
        return cls(
            per_intent=int(config["CARD_DECLINES_PER_INTENT"]),
            per_draft=str(config["CARD_DECLINES_PER_DRAFT"]),
            per_address=str(config["CARD_DECLINES_PER_ADDRESS"]),
            per_email=str(config["CARD_DECLINES_PER_EMAIL"]),
            per_fingerprint=str(config["CARD_DECLINES_PER_FINGERPRINT"]),
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    """Who is trying: each identity a decline is counted against."""

    intent: str  # the PaymentIntent's id
    draft: str  # the draft's public id
    address: str  # the client's address (through the trusted proxies)
    email: str  # the donor's normalised email
    fingerprint: str | None  # the card's, once the ConfirmationToken was read


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an attempt may not go to Stripe, and for how long (seconds, 0: for good)."""

    reason: str  # intent, draft, address, email or fingerprint
    retry_after: int


class Guard:
    """Checks attempts against the limits and counts their declines."""

    def __init__(self, counters: Counters, limits: Limits) -> None:
        """A guard over `counters` with `limits`."""
        self.counters = counters
        self.limits = limits

    def _windows(self, attempt: Attempt) -> list[tuple[str, str, str]]:
        """(limit, kind, identity) for every identity the attempt has."""
        limits = self.limits
        windows = [
            (f"{limits.per_intent} per 30 days", "declines-intent", attempt.intent),
            (limits.per_draft, "declines-draft", attempt.draft),
            (limits.per_address, "declines-address", attempt.address),
            (limits.per_email, "declines-email", attempt.email),
        ]
        if attempt.fingerprint:
            windows.append((limits.per_fingerprint, "declines-card", attempt.fingerprint))
        return windows

    def refusal(self, attempt: Attempt) -> Refusal | None:
        """The first limit the attempt has reached, if any; nothing is counted."""
        for limit, kind, identity in self._windows(attempt):
            if not self.counters.allows(limit, kind, identity):
                wait = self.counters.retry_after(limit, kind, identity)
                return Refusal(
                    kind.removeprefix("declines-"), 0 if kind == "declines-intent" else wait
                )
        return None

    def declined(self, attempt: Attempt) -> bool:
        """Count a decline against every identity; True when the intent must now be cancelled."""
        for limit, kind, identity in self._windows(attempt):
            self.counters.hit(limit, kind, identity)
        intent_limit = f"{self.limits.per_intent} per 30 days"
        return not self.counters.allows(intent_limit, "declines-intent", attempt.intent)
