"""Which office a page speaks for: its footer names that office's support contact, privacy
notice and legal imprint.

A view that knows (the wizard's steps, the thank-you page, the pages behind email links) says so
with `show_office`; any other page uses the office of the country the browser's language names
("de-AT" -> Austria -> the international office), else the international office.
"""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request

from checkout.offices import Office, OfficeRegistry

_KEY = "checkout_page_office"


def show_office(office: Office) -> None:
    """This page is about a gift to `office`."""
    setattr(g, _KEY, office)


def page_office() -> Office:
    """The office this page's footer speaks for."""
    registry: OfficeRegistry = current_app.extensions["checkout.offices"]
    chosen = g.get(_KEY) if has_request_context() else None
    if isinstance(chosen, Office):
        return chosen
    if has_request_context():
        for tag, _quality in request.accept_languages:
            parts = tag.replace("_", "-").split("-")
            if len(parts) > 1 and len(parts[1]) == 2 and parts[1].isalpha():
                return registry.office_for_country(parts[1].upper())
    return registry.fallback


def init_app(app: Flask) -> None:
    """Give templates `page_office()`."""
    app.jinja_env.globals["page_office"] = page_office
