"""A sign-up waiting for its owner's confirmation (double opt-in, or an address that objected
before). Deleted once confirmed (the ledger and the donor row carry it on) or expired."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from checkout.core.clock import utcnow
from checkout.core.ids import new_public_id
from checkout.db import Base
from checkout.dbtypes import UtcDateTime


class PendingSignup(Base):
    """What the sign-up form recorded, until the link in the confirmation email is used."""

    __tablename__ = "pending_signups"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=new_public_id, comment="Names the outbox message"
    )
    office_code: Mapped[str] = mapped_column(String(8))
    email: Mapped[str] = mapped_column(String(320), comment="Lower-cased")
    country: Mapped[str] = mapped_column(String(2), comment="ISO 3166 alpha-2")
    language: Mapped[str] = mapped_column(String(8))
    notice_id: Mapped[int] = mapped_column(
        ForeignKey("consent_notices.id"), comment="The exact text the form showed"
    )
    ip_hash: Mapped[str | None] = mapped_column(String(64), comment="Keyed hash, never the IP")
    user_agent: Mapped[str | None] = mapped_column(String(300))
    token_hash: Mapped[str | None] = mapped_column(
        String(64), unique=True, comment="SHA-256 of the confirmation link's token"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
