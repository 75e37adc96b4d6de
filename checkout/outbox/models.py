"""One row per side effect to perform after a commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from checkout.core.clock import utcnow
from checkout.db import Base
from checkout.dbtypes import UtcDateTime

PENDING, DONE, DEAD = "pending", "done", "dead"


class OutboxMessage(Base):
    """A named job with its payload; claimed by a worker under a lease, done once."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'done', 'dead')", name="status_known"),
        Index("ix_outbox_due", "status", "available_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), comment="Registered handler, e.g. receipts.issue")
    key: Mapped[str] = mapped_column(
        String(200), unique=True, comment="Idempotency key: enqueuing it again does nothing"
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0, comment="Failed runs so far")
    available_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=utcnow, comment="Not run before this moment (backoff)"
    )
    claimed_by: Mapped[str | None] = mapped_column(String(64), comment="Worker holding it")
    claimed_until: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="Lease: after this another worker may take it (the first died)"
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(
        String(32), comment="The request (or message) that queued it: its id in the logs"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
