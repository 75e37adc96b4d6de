"""The server-side draft of a donation in progress; the cookie holds only its public id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from checkout.core.clock import utcnow
from checkout.core.ids import new_public_id
from checkout.db import Base
from checkout.dbtypes import UtcDateTime


class CheckoutDraft(Base):
    """Everything a donor has typed so far, until payment starts or the draft expires."""

    __tablename__ = "checkout_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(
        String(32),
        unique=True,
        default=new_public_id,
        comment="Random id kept in the session cookie; never derived from personal data",
    )
    locale: Mapped[str] = mapped_column(
        String(8), default="en", comment="Language the donor used last (en, de, nl, fr)"
    )
    data: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, comment="Values typed per step, keyed by step name"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    frozen_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="When payment started; a frozen draft no longer changes"
    )
    purged_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="When the personal data of this expired draft was erased"
    )
