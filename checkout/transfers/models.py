"""Batches of donors, gifts and consent evidence sent to a national office, kept as sent.

A batch is numbered per office without gaps (a counter row held under a lock while it is
made) and stores its files' bytes with their SHA-256. Its content is never changed, with one
exception: when a donor is erased, their personal data is redacted from every batch still
kept, and the redaction is recorded with the files' new hashes beside the original ones.
Every folder a batch was written to is recorded, so the copies on disk follow the database.
Which gifts and which ledger rows went in which batch is kept in link tables whose unique
columns let the database itself refuse to send a gift, or a consent row, twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checkout.core.clock import utcnow
from checkout.db import Base
from checkout.dbtypes import UtcDateTime


class OfficeExportCounter(Base):
    """The last batch number used per office; locked while the next batch is made."""

    __tablename__ = "office_export_counters"

    office_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0, comment="0 before the first batch")


class OfficeExportBatch(Base):
    """One numbered transfer to an office: its three files, exactly as first written."""

    __tablename__ = "office_export_batches"
    __table_args__ = (
        UniqueConstraint("office_code", "number"),
        CheckConstraint("number > 0", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_code: Mapped[str] = mapped_column(String(8), comment="The office it is sent to")
    number: Mapped[int] = mapped_column(comment="1, 2, 3, ... per office, without gaps")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    paid_before: Mapped[datetime] = mapped_column(
        UtcDateTime, comment="Cut-off: gifts kept before this moment (now minus the hold)"
    )
    gift_count: Mapped[int] = mapped_column(comment="Rows of the gifts CSV")
    donor_count: Mapped[int] = mapped_column(comment="Donors with a gift or consent row in it")
    consent_count: Mapped[int] = mapped_column(comment="Ledger rows sent for the first time")
    gifts_csv: Mapped[bytes | None] = mapped_column(
        LargeBinary, comment="UTF-8 CSV, one row per gift"
    )
    gifts_csv_sha256: Mapped[str] = mapped_column(String(64))
    consents_csv: Mapped[bytes | None] = mapped_column(
        LargeBinary, comment="UTF-8 CSV, one row per consent ledger row"
    )
    consents_csv_sha256: Mapped[str] = mapped_column(String(64))
    batch_json: Mapped[bytes | None] = mapped_column(
        LargeBinary, comment="UTF-8 JSON: donors, gifts, evidence and the notice texts"
    )
    batch_json_sha256: Mapped[str] = mapped_column(String(64))
    erased_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="Files erased after OFFICE_EXPORT_KEEP_DAYS; counts and hashes stay"
    )

    redactions: Mapped[list[OfficeExportRedaction]] = relationship(
        order_by="OfficeExportRedaction.id", viewonly=True
    )
    copies: Mapped[list[OfficeExportCopy]] = relationship(
        order_by="OfficeExportCopy.id", viewonly=True
    )

    def current_sha256(self) -> tuple[str, str, str]:
        """The hashes of the files as stored now: the latest redaction's, else the originals."""
        if self.redactions:
            last = self.redactions[-1]
            return last.gifts_csv_sha256, last.consents_csv_sha256, last.batch_json_sha256
        return self.gifts_csv_sha256, self.consents_csv_sha256, self.batch_json_sha256


class OfficeExportGift(Base):
    """A gift (one kept payment) and the one batch that carried it."""

    __tablename__ = "office_export_gifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("office_export_batches.id"), index=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("payments.id"), unique=True, comment="Unique: a gift goes in one batch only"
    )


class OfficeExportConsent(Base):
    """A consent ledger row and the one batch that carried it."""

    __tablename__ = "office_export_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("office_export_batches.id"), index=True)
    consent_record_id: Mapped[int] = mapped_column(
        ForeignKey("consent_records.id"), unique=True, comment="Unique: sent in one batch only"
    )


class OfficeExportCopy(Base):
    """A folder a batch's files were written to, so erasure can reach every copy on disk."""

    __tablename__ = "office_export_copies"
    __table_args__ = (UniqueConstraint("batch_id", "folder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("office_export_batches.id"), index=True)
    folder: Mapped[str] = mapped_column(String(500), comment="Absolute path of the folder")
    written_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OfficeExportRedaction(Base):
    """A donor's personal data redacted from a kept batch at erasure, with the files' new hashes.

    The batch row keeps the hashes of the files as first sent; these are the hashes of the
    files after this redaction (a later redaction of another donor starts from these).
    """

    __tablename__ = "office_export_redactions"
    __table_args__ = (UniqueConstraint("batch_id", "donor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("office_export_batches.id"), index=True)
    donor_id: Mapped[int] = mapped_column(comment="Our id of the donor redacted (no foreign key)")
    redacted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    gifts_csv_sha256: Mapped[str] = mapped_column(String(64), comment="Of the file after it")
    consents_csv_sha256: Mapped[str] = mapped_column(String(64))
    batch_json_sha256: Mapped[str] = mapped_column(String(64))
