"""One row per event; the database itself keeps the table append-only (migration 0018)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from checkout.core.clock import utcnow
from checkout.db import Base
from checkout.dbtypes import UtcDateTime

ACTOR_KINDS = ("staff", "donor", "system", "anonymous")
OUTCOMES = ("ok", "denied", "failed")


class AuditEvent(Base):
    """Something a person looked at or did: sign-in, search, view of a donor, an action."""

    __tablename__ = "audit_events"
    __table_args__ = (
        CheckConstraint(
            "actor_kind IN ('staff', 'donor', 'system', 'anonymous')", name="actor_kind_known"
        ),
        CheckConstraint("outcome IN ('ok', 'denied', 'failed')", name="outcome_known"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(10), comment="staff, donor, system, anonymous")
    staff_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_accounts.id"), index=True, comment="The staff member who acted, if one"
    )
    action: Mapped[str] = mapped_column(
        String(64), index=True, comment="e.g. staff.sign_in, support.search, support.refund"
    )
    outcome: Mapped[str] = mapped_column(String(8), default="ok", comment="ok, denied, failed")
    office_code: Mapped[str | None] = mapped_column(
        String(8), index=True, comment="The office whose data this touched, if one"
    )
    donor_id: Mapped[int | None] = mapped_column(
        ForeignKey("donors.id"), index=True, comment="The donor looked at or acted for, if one"
    )
    object_type: Mapped[str | None] = mapped_column(
        String(32), comment="receipt, payment, plan, outbox, staff_account, ..."
    )
    object_id: Mapped[str | None] = mapped_column(String(64), comment="Its id or number")
    reason: Mapped[str] = mapped_column(
        Text, default="", comment="Why, as the person wrote it (blanked when the donor is erased)"
    )
    detail: Mapped[str] = mapped_column(
        Text, default="", comment="Search terms and the like (blanked when the donor is erased)"
    )
    ip_hash: Mapped[str | None] = mapped_column(
        String(64), comment="Keyed hash of the client address (EVIDENCE_HASH_KEY), never the IP"
    )
