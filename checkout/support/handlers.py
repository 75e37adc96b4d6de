"""The support feature's outbox handler: the email that lets a donor confirm another address
for a copy of a receipt. It goes to the address on file, never to the other one."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from checkout.core.clock import utcnow
from checkout.core.languages import SUPPORTED_LANGUAGES
from checkout.donations.models import Donor
from checkout.mail.compose import stable_message_id
from checkout.mail.sending import compose_to_donor, send
from checkout.offices import Office
from checkout.outbox.registry import PermanentFailure, register
from checkout.receipts.models import Receipt
from checkout.site.i18n import in_language
from checkout.support import services
from checkout.support.models import AddressConfirmation


@register(services.COPY_LINK)
def email_copy_link(session: Session, payload: dict[str, Any]) -> None:
    """Ask the donor to confirm the other address (a new link each try: only its hash is kept)."""
    confirmation = session.get(AddressConfirmation, int(payload["confirmation_id"]))
    receipt = session.get(Receipt, confirmation.receipt_id) if confirmation else None
    donor = session.get(Donor, confirmation.donor_id) if confirmation else None
    if confirmation is None or receipt is None or donor is None:
        raise PermanentFailure(f"no copy request {payload['confirmation_id']}")
    if confirmation.confirmed_at is not None or confirmation.expires_at <= utcnow():
        return
    office: Office = current_app.extensions["checkout.offices"].get(receipt.office_code)
    language = donor.locale if donor.locale in SUPPORTED_LANGUAGES else receipt.language
    config = current_app.config
    base = str(config["PUBLIC_BASE_URL"]).rstrip("/")
    token = services.new_copy_token(confirmation)
    with in_language(language):
        subject = _("Please confirm: a copy of receipt %(number)s", number=receipt.number)
    send(
        compose_to_donor(
            to=donor.email,
            language=language,
            subject=str(subject),
            template="receipt_copy",
            values={
                "donor_name": donor.full_name,
                "receipt_number": receipt.number,
                "office_name": office.name,
                "address": confirmation.address,
                "confirm_url": f"{base}/receipt-copy/{token}?lang={language}",
                "valid_until": confirmation.expires_at.date(),
                "support_email": office.support.email,
            },
            message_id=stable_message_id(
                "copy", str(confirmation.id), str(config["MAIL_MESSAGE_DOMAIN"])
            ),
            reply_to=office.support.email,
        )
    )
