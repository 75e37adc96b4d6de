"""Assembling the stand-in: the routes of every resource, the control API, the threads."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from checkout.testing.stripe_standin import (
    balance,
    charges,
    confirmation_tokens,
    control_api,
    customers,
    disputes,
    events,
    invoices,
    pages,
    payment_intents,
    payment_methods,
    payouts,
    products,
    refunds,
    setup_intents,
    subscriptions,
    verification,
)
from checkout.testing.stripe_standin.app import create_app
from checkout.testing.stripe_standin.clock import Ticker
from checkout.testing.stripe_standin.routing import Route
from checkout.testing.stripe_standin.store import DeliverySettings, Store
from checkout.testing.stripe_standin.webhooks import Deliverer

#: Stripe retries for three days; the demo's schedule is the same shape, in seconds.
DEMO_BACKOFF = [1.0, 5.0, 30.0, 120.0, 600.0]
DEMO_MAX_ATTEMPTS = 6
_MODULES = (
    customers,
    payment_methods,
    confirmation_tokens,
    payment_intents,
    setup_intents,
    charges,
    products,
    subscriptions,
    invoices,
    refunds,
    disputes,
    balance,
    payouts,
    events,
)


def all_routes() -> list[Route]:
    """The API routes of every resource module."""
    return [route for module in _MODULES for route in module.router.routes]


@dataclass
class Standin:
    """A running stand-in's parts: the app to serve and the threads to start and stop."""

    app: Flask
    store: Store
    deliverer: Deliverer
    ticker: Ticker

    def start(self) -> None:
        """Start the webhook and clock threads."""
        self.deliverer.start()
        self.ticker.start()

    def stop(self) -> None:
        """Stop the threads."""
        self.deliverer.stop()
        self.ticker.stop()


def build(debit_settle_seconds: int = 180, capture_seconds: int = 60) -> Standin:
    """A stand-in; set `store.base_url` once the server knows its port."""
    store = Store(
        DeliverySettings(list(DEMO_BACKOFF), DEMO_MAX_ATTEMPTS),
        debit_settle_seconds,
        capture_seconds,
    )
    app = create_app(store, all_routes())
    control_api.register(app, store)
    pages.register(app, store)
    verification.register(app, store)
    return Standin(app, store, Deliverer(store), Ticker(store))
