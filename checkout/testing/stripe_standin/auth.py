"""API keys: each `sk_test_<suffix>` is its own account; live keys are refused outright."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from checkout.testing.stripe_standin.errors import StripeError

_KEY = re.compile(r"(sk|rk|pk)_(test|live)_([A-Za-z0-9_]{1,200})")


@dataclass(frozen=True)
class Key:
    """A parsed API key: its kind and the suffix that names its account."""

    kind: str  # "secret" or "publishable"
    suffix: str


def parse_key(raw: str | None) -> Key:
    """Parse a key as sent; refuse missing, malformed and live keys with Stripe's 401s."""
    if not raw:
        raise StripeError(
            401,
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY').",
        )
    match = _KEY.fullmatch(raw)
    if not match:
        raise StripeError(401, f"Invalid API Key provided: {_mask(raw)}", code="api_key_invalid")
    prefix, mode, suffix = match.groups()
    if mode == "live":
        raise StripeError(
            401,
            "The local Stripe stand-in refuses live keys: it only ever pretends to be Stripe, "
            f"and a live key ({_mask(raw)}) must never be sent anywhere but api.stripe.com.",
            code="api_key_live_refused",
        )
    return Key("publishable" if prefix == "pk" else "secret", suffix)


def key_from_header(header: str | None) -> str | None:
    """The key in a Bearer or Basic `Authorization` header (curl -u sends Basic)."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


def _mask(raw: str) -> str:
    """Show a key as Stripe does in errors: its start and last four characters."""
    return raw[:8] + "*" * max(len(raw) - 12, 0) + raw[-4:] if len(raw) > 12 else "****"
