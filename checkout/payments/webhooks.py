"""POST /webhooks/stripe/<office>: verified on the raw body, stored once, queued, answered.

Applying an event asks Stripe about its object (a round trip of 100-300 ms, sometimes two):
that happens in an outbox worker (payments/applying.py), so a burst of events never takes
the web processes away from donors. A stored event is in the outbox in the same transaction,
so an event answered 200 is never lost.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, abort, current_app, request

from checkout.db import db_session
from checkout.extensions import csrf, limiter
from checkout.metrics import WEBHOOK_EVENTS, WEBHOOK_LAG
from checkout.offices import UnknownOffice
from checkout.payments import events
from checkout.payments.gateway import EventVerificationError
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
        WEBHOOK_EVENTS.labels(office.code, "unknown", "refused").inc()
        abort(400)
    if events.record_event(db_session(), office.code, event) is None:
        WEBHOOK_EVENTS.labels(office.code, event.type, "duplicate").inc()
        return "", 200
    WEBHOOK_EVENTS.labels(office.code, event.type, "stored").inc()
    WEBHOOK_LAG.labels(office.code).observe(max(time.time() - event.created, 0.0))
    log.info("event %s %s for office %s stored", event.id, event.type, office.code)
    return "", 200


# Stripe signs the body instead: CSRF tokens cannot apply to a server-to-server call.
csrf.exempt(receive)
# Stripe's deliveries are not a donor's requests: no per-address limit applies to them, and
# not looking for one saves each event a little time.
limiter.exempt(blueprint)
