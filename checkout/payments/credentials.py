"""Each office's Stripe keys, read from the environment variables the offices file names.

Outside production a missing key falls back to a key for the local stand-in, so `make demo`
and the tests need no account; production refuses to start without real ones
(checkout/settings.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from checkout.offices import Office


@dataclass(frozen=True, slots=True)
class OfficeKeys:
    """One office's Stripe credentials."""

    secret_key: str
    publishable_key: str
    webhook_secret: str


def standin_keys(office_code: str) -> OfficeKeys:
    """Deterministic test keys for the stand-in: one Stripe account per office there too."""
    suffix = f"standin_{office_code.lower()}"
    return OfficeKeys(f"sk_test_{suffix}", f"pk_test_{suffix}", f"whsec_{suffix}")


def office_keys(office: Office, environ: Mapping[str, str], production: bool) -> OfficeKeys:
    """The keys for `office` from `environ`; stand-in keys fill gaps outside production."""
    fallback = standin_keys(office.code)
    names = office.stripe

    def read(variable: str, default: str) -> str:
        value = environ.get(variable, "")
        if not value and production:
            raise KeyError(variable)  # settings refuse this at start-up already
        return value or default

    return OfficeKeys(
        read(names.secret_key_env, fallback.secret_key),
        read(names.publishable_key_env, fallback.publishable_key),
        read(names.webhook_secret_env, fallback.webhook_secret),
    )
