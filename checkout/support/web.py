"""Wiring the support console into the app: its blueprints and its outbox handler."""

from __future__ import annotations

from flask import Flask

from checkout.support import copy_views, views
from checkout.support import handlers as _handlers  # noqa: F401 - registers the outbox handler


def init_app(app: Flask) -> None:
    """Register the console's pages and the donor's copy-confirmation page."""
    app.register_blueprint(views.blueprint)
    app.register_blueprint(copy_views.blueprint)
