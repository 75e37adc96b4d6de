"""POST /webhooks/stripe/<office>: verified on the raw body, stored once, applied."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, request

from checkout.db import db_session
from checkout.extensions import csrf
from checkout.offices import UnknownOffice
from checkout.payments import events
from checkout.payments.gateway import EventVerificationError
from checkout.payments.wiring import gateway, registry

log = logging.getLogger(__name__)
blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@blueprint.post("/stripe/<office_code>")
def receive(office_code: str) -> tuple[str, int]:
    """Verify with this office's secret; a redelivered event is answered and not applied."""
    try:
        office = registry().get(office_code)
    except UnknownOffice:
        abort(404)
    signature = request.headers.get("Stripe-Signature", "")
    try:
        event = gateway().verify_event(office.code, request.get_data(), signature)
    except EventVerificationError:
        log.warning("webhook for office %s with a bad signature refused", office.code)
        abort(400)
    session = db_session()
    stored = events.record_event(session, office.code, event)
    if stored is None:
        return "", 200
    events.handle(session, stored, event, gateway())
    log.info("event %s %s for office %s: %s", event.id, event.type, office.code, stored.outcome)
    return "", 200


# Stripe signs the body instead: CSRF tokens cannot apply to a server-to-server call.
csrf.exempt(receive)
