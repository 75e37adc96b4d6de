"""The portal's own rows: sign-in links, signed-in sessions, and changes to recurring gifts.

Tokens (a sign-in link's, a session cookie's) are random and only their SHA-256 is kept, so a
copy of the database signs no one in. Links and sessions hold the address typed for a day at
most (`services.forget_old`); nothing else about the donor lives here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checkout.core.clock import utcnow
from checkout.core.ids import new_public_id
from checkout.db import Base
from checkout.dbtypes import UtcDateTime
from checkout.donations.models import RecurringPlan


class SignInLink(Base):
    """A request for a sign-in link; the token is made (and only its hash kept) when the
    email goes out, and only for an address that gave."""

    __tablename__ = "portal_sign_in_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=new_public_id, comment="Names the outbox message"
    )
    email: Mapped[str] = mapped_column(String(320), comment="As typed, lower-cased")
    language: Mapped[str] = mapped_column(String(8), comment="Of the page: the email's language")
    token_hash: Mapped[str | None] = mapped_column(
        String(64), unique=True, comment="SHA-256 of the link's token; none for unknown addresses"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, comment="Single use")


class PortalSession(Base):
    """A signed-in browser; the portal's cookie holds only a random token whose hash is kept."""

    __tablename__ = "portal_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256 of token")
    email: Mapped[str] = mapped_column(String(320), comment="The address the link was sent to")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ip_hash: Mapped[str | None] = mapped_column(String(64), comment="Keyed hash, never the IP")


class PlanChange(Base):
    """A donor's change to a recurring gift: our row first (committed), then Stripe with an
    idempotency key from it; the confirmation email is sent from it."""

    __tablename__ = "portal_plan_changes"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('amount', 'pause', 'resume', 'cancel', 'method')", name="kind_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=new_public_id, comment="Stripe idempotency key source"
    )
    plan_id: Mapped[int] = mapped_column(ForeignKey("recurring_plans.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8), comment="amount, pause, resume, cancel, method")
    amount_minor: Mapped[int | None] = mapped_column(
        comment="amount: the new charge per period (gift plus any covered fee), minor units"
    )
    resumes_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="pause: when collection resumes by itself"
    )
    setup_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    method_type: Mapped[str | None] = mapped_column(String(20), comment="method: the new type")
    last4: Mapped[str | None] = mapped_column(String(4), comment="method: its last four digits")
    brand: Mapped[str | None] = mapped_column(String(20), comment="method: a card's brand")
    status: Mapped[str] = mapped_column(
        String(32), default="started", comment="started, done, failed, or a SetupIntent's status"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="When Stripe confirmed the change"
    )

    plan: Mapped[RecurringPlan] = relationship()
