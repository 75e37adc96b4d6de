"""Receipts as issued: immutable PDFs with their hash, numbered per office and year.

A receipt is never edited. A correction voids it (it keeps its number) and issues a
replacement with a new number that cites it. Which gifts a receipt covers is kept in
`receipt_items`; a partial unique index lets each payment be on one *active* receipt only, so
a gift appears on an individual receipt or on an annual statement, never both.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checkout.core.clock import utcnow
from checkout.db import Base
from checkout.dbtypes import UtcDateTime

if TYPE_CHECKING:
    from checkout.donations.models import Donor, Payment

ISSUED, VOID = "issued", "void"


class ReceiptCounter(Base):
    """The last serial used per office and calendar year; locked while a number is taken."""

    __tablename__ = "receipt_counters"

    office_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_serial: Mapped[int] = mapped_column(default=0)


class Receipt(Base):
    """One receipt or annual statement, exactly as it was sent."""

    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("office_code", "year", "serial"),
        CheckConstraint("status IN ('issued', 'void')", name="status_known"),
        CheckConstraint("total_minor > 0", name="total_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, comment="e.g. DE-2026-000123")
    office_code: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(comment="Calendar year of the number")
    serial: Mapped[int] = mapped_column(comment="Gapless within office and year")
    kind: Mapped[str] = mapped_column(String(32), comment="The office's receipt kind")
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), index=True)
    period_start: Mapped[date | None] = mapped_column(Date, comment="Statements only")
    period_end: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(comment="Sum of the gifts, minor units")
    language: Mapped[str] = mapped_column(String(8))
    donor_snapshot: Mapped[dict[str, Any]] = mapped_column(
        JSON, comment="Name and address as printed (the donor may change theirs later)"
    )
    # Stored uncompressed on PostgreSQL (STORAGE EXTERNAL, migration 0014): compressed already.
    pdf: Mapped[bytes | None] = mapped_column(
        LargeBinary, comment="The bytes sent; rendered once after numbering, never again"
    )
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    recurring: Mapped[bool] = mapped_column(default=False, comment="Instalments of a plan")
    status: Mapped[str] = mapped_column(String(8), default=ISSUED)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    void_reason: Mapped[str | None] = mapped_column(String(200))
    voided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    message_id: Mapped[str] = mapped_column(String(200), comment="Stable Message-ID of its email")
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    emailed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="Name, address and PDF erased after the retention period"
    )

    items: Mapped[list[ReceiptItem]] = relationship(
        back_populates="receipt", order_by="ReceiptItem.id"
    )
    replaces: Mapped[Receipt | None] = relationship(remote_side=[id])
    donor: Mapped[Donor] = relationship(viewonly=True)


class ReceiptItem(Base):
    """One gift (payment) on a receipt; `active` turns false when the receipt is voided."""

    __tablename__ = "receipt_items"
    __table_args__ = (
        Index(
            "uq_receipt_items_active_payment",
            "payment_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    amount_minor: Mapped[int]
    received_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)

    receipt: Mapped[Receipt] = relationship(back_populates="items")
    payment: Mapped[Payment] = relationship(viewonly=True)
