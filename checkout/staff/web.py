"""Wiring the consoles' sign-in into the app: cookie, Flask-Login, blueprints, commands."""

from __future__ import annotations

from flask import Flask

from checkout.extensions import login_manager
from checkout.staff import admin, commands, enrolment, views
from checkout.staff.cookies import StaffAwareSessionInterface

# The routes of enrolment.py live on the views blueprint; importing the module adds them.
_ROUTE_MODULES = (enrolment,)


def init_app(app: Flask) -> None:
    """Give /staff its own cookie, bind Flask-Login, register the blueprints and commands."""
    app.session_interface = StaffAwareSessionInterface()
    login_manager.init_app(app)
    # The server-side session row is the protection: Flask-Login's address-and-browser
    # fingerprint would only add a hash of the client's address to the cookie.
    login_manager.session_protection = None
    app.register_blueprint(views.blueprint)
    app.register_blueprint(admin.blueprint)
    app.cli.add_command(commands.staff_cli)
