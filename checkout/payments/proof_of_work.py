"""Self-hosted proof of work (ALTCHA): what a new payment start costs while the breaker is on.

The review page carries a challenge made here; the donor's browser solves it with the `altcha`
widget (served from our own static files: no third-party request) while the donor reads the
page; the solution comes back with "Donate" and is verified here with the `altcha` package.
A solution is good once: its signature is remembered in the shared counters until the
challenge has expired, so a solved challenge cannot be replayed for a thousand starts.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import altcha

from checkout.core.clock import utcnow
from checkout.counters import Counters

ALGORITHM = "PBKDF2/SHA-256"


def _secret(config: Mapping[str, Any]) -> str:
    """The HMAC key of challenges: derived from SECRET_KEY, never the key itself."""
    key = str(config["SECRET_KEY"]).encode()
    return hmac.new(key, b"proof-of-work", hashlib.sha256).hexdigest()


def new_challenge(config: Mapping[str, Any]) -> dict[str, Any]:
    """A signed challenge for the widget, valid for PROOF_OF_WORK_MINUTES."""
    expires = utcnow() + timedelta(minutes=int(config["PROOF_OF_WORK_MINUTES"]))
    challenge = altcha.create_challenge(
        ALGORITHM,
        int(config["PROOF_OF_WORK_COST"]),
        expires_at=expires,
        hmac_secret=_secret(config),
    )
    result: dict[str, Any] = challenge.to_dict()
    return result


def accept(config: Mapping[str, Any], counters: Counters, payload: str) -> bool:
    """True for a genuine, unexpired solution seen for the first time."""
    if not payload or len(payload) > 8192:
        return False
    result = altcha.verify_solution(payload, _secret(config))
    if not result.verified:
        return False
    signature = altcha.Payload.from_base64(payload).challenge.signature or ""
    minutes = int(config["PROOF_OF_WORK_MINUTES"])
    return counters.hit(f"1 per {minutes} minutes", "proof-of-work", signature)
