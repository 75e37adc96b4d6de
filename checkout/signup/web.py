"""Wiring the sign-up page into the app."""

from __future__ import annotations

from flask import Flask

from checkout.signup import handlers as _handlers  # noqa: F401 - registers outbox handlers
from checkout.signup import views


def init_app(app: Flask) -> None:
    """Register /signup."""
    app.register_blueprint(views.blueprint)
