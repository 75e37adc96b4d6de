"""The outbox handler that applies a stored Stripe event (the webhook only stores it)."""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy.orm import Session

from checkout.metrics import EVENT_APPLY_LAG
from checkout.outbox.registry import register
from checkout.payments import events
from checkout.payments.models import StripeEvent
from checkout.payments.wiring import gateway

log = logging.getLogger(__name__)


@register(events.APPLY_EVENT)
def apply_event(session: Session, payload: dict[str, Any]) -> None:
    """Apply the event the payload names, once; a GatewayError (Stripe unreachable) fails the
    message, which the outbox retries with backoff.

    The event's row is locked first, so two workers holding the same message (a lease that ran
    out) apply it once.
    """
    stored = session.get(StripeEvent, int(payload["stripe_event"]), with_for_update=True)
    if stored is None:
        return
    if events.apply_stored(session, stored, gateway()):
        lag = max(time.time() - stored.stripe_created, 0.0)
        EVENT_APPLY_LAG.labels(stored.office_code).observe(lag)
        log.info(
            "event %s %s for office %s: %s",
            stored.event_id,
            stored.type,
            stored.office_code,
            stored.outcome,
        )
