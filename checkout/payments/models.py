"""Stripe events as received: stored once each, so a redelivery is recognised and ignored.

Only what processing needs of each event is stored (checkout/payments/event_payloads.py keeps
ids, states and amounts, never names, addresses or emails), and `flask retention run` erases
even that after STRIPE_EVENT_KEEP_DAYS; the event id, type, object id and outcome stay, so a
late redelivery is still recognised.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from checkout.core.clock import utcnow
from checkout.core.ids import new_public_id
from checkout.db import Base
from checkout.dbtypes import UtcDateTime


class StripeEvent(Base):
    """One verified webhook event from one office's Stripe account."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True, comment="Stripe's evt_ id")
    office_code: Mapped[str] = mapped_column(String(8), comment="Whose endpoint received it")
    type: Mapped[str] = mapped_column(String(64), index=True)
    object_id: Mapped[str] = mapped_column(String(64), index=True, comment="data.object.id")
    stripe_created: Mapped[int] = mapped_column(comment="Stripe's timestamp, Unix seconds")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # minimised; {} once erased
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(
        String(24), comment="applied, ignored, unhandled or failed"
    )
    error: Mapped[str | None] = mapped_column(Text)
    payload_erased_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="When the stored payload was erased (retention or a donor's erasure)"
    )


class PaymentAttempt(Base):
    """One try to pay a donation, made by our server: our row first, then Stripe's confirm with
    an idempotency key from this row. Card-testing limits count these; support sees them."""

    __tablename__ = "payment_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=new_public_id, comment="Stripe idempotency key source"
    )
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"), index=True)
    payment_intent_id: Mapped[str] = mapped_column(String(64), index=True)
    confirmation_token: Mapped[str | None] = mapped_column(
        String(64), unique=True, comment="Stripe's ctoken_ id; None for a confirm after 3-D Secure"
    )
    method_type: Mapped[str] = mapped_column(String(32), default="")
    card_fingerprint: Mapped[str | None] = mapped_column(
        String(64), comment="Stripe's fingerprint of the card tried (the same card, the same value)"
    )
    outcome: Mapped[str] = mapped_column(
        String(24),
        default="started",
        comment="started, succeeded, processing, requires_action, declined, refused, error",
    )
    decline_code: Mapped[str | None] = mapped_column(String(64))
    stripe_charge_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
