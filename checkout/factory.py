"""Donation checkout: the application factory. It wires things up and does nothing else."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from checkout import cli, counters, db
from checkout.consent import handlers as _consent_handlers  # noqa: F401 - registers handlers
from checkout.consent import views as consent_views
from checkout.consent.notice_lock import check_lock
from checkout.extensions import babel, csrf, limiter
from checkout.finance import web as finance_web
from checkout.observability import error_reports, logs
from checkout.observability import views as operations_views
from checkout.offices import load_registry
from checkout.paths import PROJECT_ROOT, STATIC_DIR, TEMPLATES_DIR, TRANSLATIONS_DIR, project_path
from checkout.payments import applying as _event_applying  # noqa: F401 - registers handlers
from checkout.payments import defences, webhooks, wiring
from checkout.payments import notifications as _payment_notifications  # noqa: F401 - handlers
from checkout.portal import web as portal_web
from checkout.receipts import handlers as _receipt_handlers  # noqa: F401 - registers handlers
from checkout.settings import is_production, load_config, refuse_unsafe_production
from checkout.signup import web as signup_web
from checkout.site import access_log, contact, errors, headers, i18n
from checkout.site.views import blueprint as site_blueprint
from checkout.staff import web as staff_web
from checkout.support import web as support_web
from checkout.wizard import pay_views
from checkout.wizard import thanks as wizard_thanks
from checkout.wizard import views as wizard_views

OFFICES_EXTENSION_KEY = "checkout.offices"


def create_app(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Flask:
    """Build the app from layered configuration; refuse unsafe production settings."""
    environ = os.environ if environ is None else environ
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES_DIR),
        static_folder=str(STATIC_DIR),
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
    )
    load_config(app.config, overrides, environ)
    registry = load_registry(project_path(app.config["OFFICES_FILE"]))
    refuse_unsafe_production(app.config, registry, environ)
    check_lock(
        registry,
        project_path(app.config["NOTICE_LOCK_FILE"]),
        require_complete=is_production(app.config),
    )
    app.extensions[OFFICES_EXTENSION_KEY] = registry
    logs.init_app(app)  # first: every later hook's log lines carry the request id
    error_reports.init_app(app.config)
    _trust_proxies(app)
    _bind_extensions(app)
    wiring.init_app(app, registry, environ)
    _register_features(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Take the client's address and scheme from the configured number of proxies in front.

    Only that many X-Forwarded-For entries are believed, counted from the right: anything a
    client wrote further left is ignored, so nobody can pick the address they are limited by.
    """
    count = app.config.get("TRUSTED_PROXY_COUNT") or 0
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def _bind_extensions(app: Flask) -> None:
    """Bind the unbound extensions and the database to this app."""
    db.init_app(app)
    csrf.init_app(app)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    counters.init_app(app)


def _register_features(app: Flask) -> None:
    """Blueprints, error pages and commands."""
    i18n.init_app(app)
    errors.init_app(app)
    headers.init_app(app, is_production(app.config))
    access_log.init_app(app)
    contact.init_app(app)
    app.register_blueprint(site_blueprint)
    operations_views.init_app(app)
    app.register_blueprint(wizard_views.blueprint)
    app.register_blueprint(wizard_thanks.blueprint)
    app.register_blueprint(pay_views.blueprint)
    app.register_blueprint(pay_views.confirm_blueprint)
    app.jinja_env.globals["proof_of_work_challenge"] = defences.review_challenge
    app.jinja_env.globals["proof_of_work_texts"] = defences.proof_of_work_texts
    app.register_blueprint(webhooks.blueprint)
    app.register_blueprint(consent_views.blueprint)
    staff_web.init_app(app)
    support_web.init_app(app)
    finance_web.init_app(app)
    portal_web.init_app(app)  # after the consoles: its cookie interface extends theirs
    signup_web.init_app(app)
    cli.init_app(app)
