"""Building the gateway from configuration, and finding it from views."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, current_app

from checkout.offices import OfficeRegistry
from checkout.payments.credentials import office_keys
from checkout.payments.gateway import PaymentGateway
from checkout.payments.stripe_gateway import StripeGateway
from checkout.settings import is_production

GATEWAY_KEY = "checkout.gateway"
OFFICES_KEY = "checkout.offices"


def init_app(app: Flask, offices: OfficeRegistry, environ: Mapping[str, str]) -> None:
    """A StripeGateway with each office's keys; no network call happens here."""
    production = is_production(app.config)
    keys = {office.code: office_keys(office, environ, production) for office in offices}
    app.extensions[GATEWAY_KEY] = StripeGateway(
        keys,
        str(app.config["STRIPE_API_BASE"]).rstrip("/"),
        retries=int(app.config["STRIPE_MAX_NETWORK_RETRIES"]),
    )


def gateway() -> PaymentGateway:
    """The current app's gateway."""
    return current_app.extensions[GATEWAY_KEY]  # type: ignore[no-any-return]


def registry() -> OfficeRegistry:
    """The current app's offices registry."""
    return current_app.extensions[OFFICES_KEY]  # type: ignore[no-any-return]


__all__ = ["gateway", "init_app", "registry"]
