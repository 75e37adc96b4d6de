"""The portal's outbox handlers: the sign-in link email, and the emails that confirm a change
to a recurring gift (with the SEPA pre-notification where the gift is a SEPA debit)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from checkout.core.clock import as_utc, utcnow
from checkout.core.languages import SUPPORTED_LANGUAGES
from checkout.donations.models import RecurringPlan
from checkout.mail.compose import stable_message_id
from checkout.mail.sending import compose_to_donor, send
from checkout.offices import Office, OfficeRegistry
from checkout.outbox.registry import PermanentFailure, register
from checkout.payments.notifications import next_debit_dates
from checkout.portal import plans, services
from checkout.portal.models import PlanChange, SignInLink
from checkout.site.i18n import in_language


def _offices() -> OfficeRegistry:
    registry: OfficeRegistry = current_app.extensions["checkout.offices"]
    return registry


def portal_url(path: str = "") -> str:
    """The portal's absolute address (PUBLIC_BASE_URL), for links in emails."""
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + "/account/" + path


@register(services.SEND_LINK)
def send_sign_in_link(session: Session, payload: dict[str, Any]) -> None:
    """Email a sign-in link to an address that gave; for any other address, nothing."""
    link = session.get(SignInLink, int(payload["link_id"]))
    if link is None:
        return  # forgotten after a day: too late to sign in with it anyway
    minutes = int(current_app.config["PORTAL_LINK_MINUTES"])
    token = services.mint_token(session, link, utcnow(), timedelta(minutes=minutes))
    if token is None:
        return
    donors = services.donors_of(session, link.email)
    language = link.language if link.language in SUPPORTED_LANGUAGES else "en"
    charity = str(current_app.config["CHARITY_NAME"])
    with in_language(language):
        subject = _("Sign in to your giving account at %(charity)s", charity=charity)
    email = compose_to_donor(
        to=link.email,
        language=language,
        subject=str(subject),
        template="portal_sign_in",
        values={
            "sign_in_url": portal_url(f"sign-in/{token}"),
            "minutes": minutes,
            "charity": charity,
        },
        message_id=stable_message_id(
            "signin", link.public_id, str(current_app.config["MAIL_MESSAGE_DOMAIN"])
        ),
        reply_to=_offices().get(donors[0].office_code).support.email,
    )
    send(email)


@register(plans.CHANGE_EMAIL)
def send_change_confirmation(session: Session, payload: dict[str, Any]) -> None:
    """Confirm a change to a recurring gift; a SEPA debit's email pre-notifies the next debits."""
    change = session.get(PlanChange, int(payload["change_id"]))
    donor = change.plan.donation.donor if change is not None else None
    if change is None or donor is None:
        raise PermanentFailure(f"no plan change {payload['change_id']} with a donor")
    plan = change.plan
    office = _offices().get(plan.donation.office_code)
    language = donor.locale if donor.locale in SUPPORTED_LANGUAGES else "en"
    with in_language(language):
        subject = _("Your recurring gift to %(office)s has changed", office=office.name)
    email = compose_to_donor(
        to=donor.email,
        language=language,
        subject=str(subject),
        template="portal_change",
        values={
            "donor_name": donor.full_name.strip(),
            "office_name": office.name,
            "kind": change.kind,
            "amount": plan.per_period,
            "yearly": plan.interval == "year",
            "resumes_on": office.local_date(as_utc(change.resumes_at))
            if change.resumes_at
            else None,
            "last4": change.last4,
            "support_email": office.support.email,
            "portal_url": portal_url(),
            **_prenotification(plan, change, office),
        },
        message_id=stable_message_id(
            "planchange", change.public_id, str(current_app.config["MAIL_MESSAGE_DOMAIN"])
        ),
        reply_to=office.support.email,
    )
    send(email)


def _prenotification(plan: RecurringPlan, change: PlanChange, office: Office) -> dict[str, Any]:
    """SEPA: the next debits' dates and amount, the mandate and creditor, whenever a change
    makes debits (continue to) come: a new amount, a resumed gift, a new bank account."""
    if plan.donation.method != "sepa_debit" or change.kind not in ("amount", "resume", "method"):
        return {}
    if not plan.mandate_reference or not office.stripe.sepa_creditor_id:
        return {}
    return {
        "mandate_reference": plan.mandate_reference,
        "creditor_id": office.stripe.sepa_creditor_id,
        "debit_dates": next_debit_dates(plan),
    }
