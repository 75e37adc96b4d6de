"""Wiring the portal into the app: its cookie, its blueprint and routes, its template helpers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from flask import Flask

from checkout.core.clock import as_utc
from checkout.core.money import Money, format_money
from checkout.offices import Office
from checkout.portal import data_views, gift_views, labels, method_views, receipt_views, views
from checkout.portal.access import signed_in
from checkout.portal.cookies import PortalAwareSessionInterface
from checkout.portal.handlers import portal_url
from checkout.portal.history import Gift
from checkout.site.i18n import current_language
from checkout.site.i18n import lazy_gettext as _l
from checkout.wizard.labels import METHOD_LABELS

_SUMMARIES = {
    "once": _l("%(amount)s once"),
    "monthly": _l("%(amount)s monthly"),
    "yearly": _l("%(amount)s yearly"),
}


#: Modules whose routes live on the portal's blueprint; importing them adds the routes.
_ROUTE_MODULES = (receipt_views, gift_views, method_views, data_views)


def init_app(app: Flask) -> None:
    """Give /account its own cookie and register the portal's pages."""
    app.session_interface = PortalAwareSessionInterface()
    app.register_blueprint(views.blueprint)
    # Emails (receipts, a plan's start) and the thank-you page link to the portal.
    app.jinja_env.globals["portal_url"] = portal_url


def money(minor: int, currency: str) -> str:
    """An amount as the donor reads it."""
    return format_money(Money(minor, currency), current_language())


def long_date(value: date | None) -> str:
    """A calendar day written out in the donor's language."""
    return format_date(value, format="long", locale=current_language()) if value else ""


def day(moment: datetime | None, office: Office) -> str:
    """The office's calendar day of `moment`, written out in the donor's language."""
    if moment is None:
        return ""
    return long_date(office.local_date(as_utc(moment)))


def gift_summary(gift: Gift) -> str:
    """ "€10.00 monthly": what the gift charges now, and how often."""
    donation = gift.donation
    amount = gift.plan.per_period if gift.plan is not None else donation.total
    return str(_SUMMARIES[donation.frequency]) % {
        "amount": format_money(amount, current_language())
    }


def template_helpers() -> dict[str, Any]:
    """What the portal's templates use besides their own values."""
    return {
        "money": money,
        "day": day,
        "long_date": long_date,
        "gift_summary": gift_summary,
        "method_label": lambda method: METHOD_LABELS.get(method, method),
        "plan_state": labels.plan_state,
        "labels": labels,
        "portal_signed_in": lambda: signed_in() is not None,
    }


views.blueprint.context_processor(template_helpers)
