"""Wiring the finance console into the app."""

from __future__ import annotations

from flask import Flask

from checkout.finance import handlers as _handlers  # noqa: F401 - registers the payout listener
from checkout.finance import views


def init_app(app: Flask) -> None:
    """Register the console's pages."""
    app.register_blueprint(views.blueprint)
