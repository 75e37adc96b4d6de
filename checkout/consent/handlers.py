"""The consent feature's outbox handlers, and the links other emails carry.

Double opt-in: when a gift whose donor ticked the email opt-in is kept, payments queue
`consent.confirm_email` (checkout/consent/services.py, queue_confirmation); where the office
requires confirmation, this sends the email with the signed link that writes `confirmed`,
unless the address objected (the office's suppression list) after the opt-in was given.

Implied consent: every kept gift queues `consent.gift_kept` (checkout/consent/implied.py);
where the office's law knows implied consent (Canada), it appends the row that dates it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from checkout.consent import implied
from checkout.consent.decisions import EMAIL, latest, suppressed_since
from checkout.consent.links import LinkAction, link_signer
from checkout.consent.models import ConsentRecord
from checkout.consent.services import CONFIRM_EMAIL
from checkout.core.clock import utcnow
from checkout.core.languages import SUPPORTED_LANGUAGES
from checkout.donations.models import Donation, Payment
from checkout.mail.compose import stable_message_id
from checkout.mail.sending import compose_to_donor, send
from checkout.offices import Office
from checkout.outbox.registry import PermanentFailure, register
from checkout.site.i18n import in_language


def email_links(donation: Donation, language: str) -> dict[str, Any]:
    """The withdrawal link for an email's footer, and the headers mail clients offer it by."""
    config = current_app.config
    signer, base = link_signer(config), str(config["PUBLIC_BASE_URL"])
    withdraw_url = signer.url(base, LinkAction.WITHDRAW, donation.public_id, language)
    return {
        "withdraw_url": withdraw_url,
        "headers": {
            "List-Unsubscribe": f"<{signer.one_click_url(base, donation.public_id)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    }


def gift_aid_cancel_url(donation: Donation, language: str) -> str:
    """The link in a UK receipt email that cancels the donor's Gift Aid declaration."""
    config = current_app.config
    return link_signer(config).url(
        str(config["PUBLIC_BASE_URL"]), LinkAction.CANCEL_GIFT_AID, donation.public_id, language
    )


@register(CONFIRM_EMAIL)
def send_confirmation(session: Session, payload: dict[str, Any]) -> None:
    """Ask the donor to confirm their email opt-in, where the office requires it."""
    grant = session.get(ConsentRecord, int(payload["record_id"]))
    donation = session.get(Donation, grant.donation_id) if grant and grant.donation_id else None
    if grant is None or donation is None or donation.donor is None:
        raise PermanentFailure(f"no opt-in {payload['record_id']} with a donation and donor")
    office: Office = current_app.extensions["checkout.offices"].get(grant.office_code)
    if not office.notices[EMAIL].double_opt_in:
        return  # this office counts the tick itself
    donor = donation.donor
    last = latest(session, donor.id, office.code, EMAIL)
    if last is None or last.decision != "granted":
        return  # confirmed or withdrawn meanwhile
    key = str(current_app.config["EVIDENCE_HASH_KEY"])
    objected = suppressed_since(session, office.code, donor.email, key)
    if objected is not None and objected >= last.recorded_at:
        return  # the address objected after opting in: no fundraising email, not even this
    language = donor.locale if donor.locale in SUPPORTED_LANGUAGES else "en"
    config = current_app.config
    with in_language(language):
        subject = _("Please confirm: emails from %(office)s", office=office.name)
    days = int(config["CONSENT_CONFIRM_LINK_DAYS"])
    email = compose_to_donor(
        to=donor.email,
        language=language,
        subject=str(subject),
        template="confirm_opt_in",
        values={
            "donor_name": donor.full_name,
            "office_name": office.name,
            "confirm_url": link_signer(config).url(
                str(config["PUBLIC_BASE_URL"]), LinkAction.CONFIRM, donation.public_id, language
            ),
            "valid_until": (utcnow() + timedelta(days=days)).date(),
        },
        message_id=stable_message_id("optin", str(grant.id), str(config["MAIL_MESSAGE_DOMAIN"])),
        reply_to=office.support.email,
    )
    send(email)


@register(implied.GIFT_KEPT)
def record_implied_consent(session: Session, payload: dict[str, Any]) -> None:
    """A gift was kept: where the office's law knows implied consent, date it from this gift."""
    payment = session.get(Payment, int(payload["payment_id"]))
    if payment is None:
        raise PermanentFailure(f"no payment {payload['payment_id']}")
    office: Office = current_app.extensions["checkout.offices"].get(payment.donation.office_code)
    implied.record_gift(session, office, payment)
