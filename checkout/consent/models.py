"""The notice texts donors were shown, and the ledger of what they decided.

Ledger rows and notice texts are never changed: the database itself refuses UPDATE and
DELETE on both (triggers, migrations 0008 and 0017, on SQLite and PostgreSQL; on PostgreSQL
TRUNCATE too), so not even a bug or a hand edit can rewrite evidence. A withdrawal is a new
row. Erasure is the one change the ledger accepts: it blanks a row's email, IP hash and user
agent. Each ledger row keeps its own copy of the notice's SHA-256, and the database refuses a
row whose copy differs from the notice it cites, so the text a row points at can be checked
against what the donor was shown.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checkout.core.clock import utcnow
from checkout.db import Base
from checkout.dbtypes import UtcDateTime


class ConsentNotice(Base):
    """One version of one notice in one language, exactly as shown; kept for ever."""

    __tablename__ = "consent_notices"
    __table_args__ = (UniqueConstraint("office_code", "purpose", "language", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_code: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(
        String(32), comment="data_transfer, email_fundraising, gift_aid_declaration, ..."
    )
    language: Mapped[str] = mapped_column(String(8))
    version: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64), comment="Of the exact text below, UTF-8")
    text: Mapped[str] = mapped_column(Text)
    first_shown_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ConsentRecord(Base):
    """One decision a donor made about one notice: acknowledged, granted, withdrawn, confirmed."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("consent_notices.id"), index=True)
    notice_sha256: Mapped[str | None] = mapped_column(
        String(64), comment="SHA-256 of the notice text as cited; the insert trigger checks it"
    )
    office_code: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(8), comment="email or sms, for opt-ins")
    legal_basis: Mapped[str] = mapped_column(String(16), comment="notice, consent, soft_opt_in")
    decision: Mapped[str] = mapped_column(String(16), comment="acknowledged, granted, ...")
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"), index=True)
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donations.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), comment="The address at the time")
    form: Mapped[str] = mapped_column(String(32), comment="Where: wizard step, email link, ...")
    url: Mapped[str | None] = mapped_column(
        String(200), comment="The page's path (never a token or personal data)"
    )
    office_legal_name: Mapped[str | None] = mapped_column(
        String(200), comment="The controller the donor was told about, as named then"
    )
    implied_consent_lapses_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, comment="Canada: when the consent this gift implies lapses"
    )
    ip_hash: Mapped[str | None] = mapped_column(String(64), comment="Keyed hash, never the IP")
    user_agent: Mapped[str | None] = mapped_column(String(300))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    notice: Mapped[ConsentNotice] = relationship()


class Suppression(Base):
    """An address that must not receive fundraising from an office: it objected.

    Only a keyed hash of the address is kept, so the entry can outlive the erasure of the
    donor's data and still stop the office from writing to that address again.
    """

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("office_code", "email_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_code: Mapped[str] = mapped_column(String(8))
    email_hash: Mapped[str] = mapped_column(
        String(64), comment="HMAC-SHA256 of the lower-cased address (EVIDENCE_HASH_KEY)"
    )
    reason: Mapped[str] = mapped_column(String(32), comment="How: email_link, one_click, ...")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
