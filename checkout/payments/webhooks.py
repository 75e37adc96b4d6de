"""POST /webhooks/stripe/<office>: verified on the raw body, stored once, applied."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, request

from checkout.db import db_session
from checkout.extensions import csrf
from checkout.offices import UnknownOffice
from checkout.payments import events
from checkout.payments.gateway import EventVerificationError, GatewayError
from checkout.payments.wiring import gateway, registry

log = logging.getLogger(__name__)
blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@blueprint.before_request
def _own_body_limit() -> None:
    """Stripe's events can be larger than any form a donor sends, and have their own limit."""
    request.max_content_length = int(current_app.config["WEBHOOK_MAX_CONTENT_LENGTH"])


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
    try:
        events.handle(session, stored, event, gateway())
    except GatewayError:
        # Stripe could not be asked about the object: roll back (the event is not kept) and
        # answer 503, so Stripe delivers the event again later.
        log.warning("event %s for office %s waits: Stripe unreachable", event.id, office.code)
        abort(503)
    log.info("event %s %s for office %s: %s", event.id, event.type, office.code, stored.outcome)
    return "", 200


# Stripe signs the body instead: CSRF tokens cannot apply to a server-to-server call.
csrf.exempt(receive)
