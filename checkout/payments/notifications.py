"""Telling a donor that an instalment failed or needs their bank's confirmation (via the outbox)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from checkout.core.languages import SUPPORTED_LANGUAGES
from checkout.core.money import Money
from checkout.donations.models import Donation
from checkout.mail.compose import stable_message_id
from checkout.mail.sending import send_to_donor
from checkout.offices import Office
from checkout.outbox.registry import PermanentFailure, register
from checkout.payments.events import NOTIFY_RENEWAL


@register(NOTIFY_RENEWAL)
def notify_renewal(session: Session, payload: dict[str, Any]) -> None:
    """One email per failed or unconfirmed invoice (the outbox key is the invoice and event)."""
    donation = session.get(Donation, int(payload["donation_id"]))
    if donation is None or donation.donor is None:
        raise PermanentFailure(f"no donation {payload['donation_id']} with a donor")
    donor = donation.donor
    office: Office = current_app.extensions["checkout.offices"].get(donation.office_code)
    language = donor.locale if donor.locale in SUPPORTED_LANGUAGES else "en"
    action = bool(payload.get("action_required"))
    with force_locale(language):
        subject = (
            _("Please confirm your monthly gift")
            if action
            else _("Your monthly gift could not be collected")
        )
    domain = str(current_app.config["MAIL_MESSAGE_DOMAIN"])
    send_to_donor(
        to=donor.email,
        language=language,
        subject=str(subject),
        template="renewal",
        values={
            "donor_name": donor.full_name,
            "office_name": office.name,
            "amount": Money(int(payload["amount_minor"]), donation.currency),
            "support_email": office.support.email,
            "action_required": action,
            "pay_url": payload.get("pay_url") or "",
        },
        message_id=stable_message_id("renewal", str(payload["key"]), domain),
        reply_to=office.support.email,
    )
