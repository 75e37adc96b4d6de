"""The sign-up's outbox handler: the email whose link confirms a sign-up (double opt-in)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from checkout.core.clock import as_utc
from checkout.core.languages import SUPPORTED_LANGUAGES
from checkout.mail.compose import stable_message_id
from checkout.mail.sending import compose_to_donor, send
from checkout.offices import Office
from checkout.outbox.registry import register
from checkout.signup import services
from checkout.signup.models import PendingSignup
from checkout.site.i18n import in_language


@register(services.SEND_CONFIRMATION)
def send_confirmation(session: Session, payload: dict[str, Any]) -> None:
    """Ask the address's owner to confirm the sign-up (a new link each time this runs)."""
    pending = session.get(PendingSignup, int(payload["signup_id"]))
    if pending is None:
        return  # confirmed or expired meanwhile: nothing to ask
    office: Office = current_app.extensions["checkout.offices"].get(pending.office_code)
    token = services.mint_token(pending)
    language = pending.language if pending.language in SUPPORTED_LANGUAGES else "en"
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    with in_language(language):
        subject = _("Please confirm: emails from %(office)s", office=office.name)
    email = compose_to_donor(
        to=pending.email,
        language=language,
        subject=str(subject),
        template="signup_confirm",
        values={
            "office_name": office.name,
            "confirm_url": f"{base}/signup/confirm/{token}",
            "valid_until": office.local_date(as_utc(pending.expires_at)),
        },
        message_id=stable_message_id(
            "signup", pending.public_id, str(current_app.config["MAIL_MESSAGE_DOMAIN"])
        ),
        reply_to=office.support.email,
    )
    send(email)
