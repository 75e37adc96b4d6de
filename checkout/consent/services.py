"""Recording what a donor was shown and chose. Services take a Session; no Flask here."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.consent.models import ConsentNotice, ConsentRecord
from checkout.core.errors import CheckoutError
from checkout.offices import Notice, Office


class NoticeChangedWithoutVersion(CheckoutError):
    """A notice's text differs from the one stored under the same version: evidence would lie."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """How a decision was made: the form, and the request it came in (IP only as a keyed hash)."""

    form: str
    ip_hash: str | None
    user_agent: str | None


def keyed_ip_hash(ip_address: str | None, key: str) -> str | None:
    """An HMAC of the address: the same address matches, but cannot be read back."""
    if not ip_address:
        return None
    return hmac.new(key.encode(), ip_address.encode(), hashlib.sha256).hexdigest()


def stored_notice(session: Session, office: Office, notice: Notice, language: str) -> ConsentNotice:
    """The stored copy of this notice text, stored the first time it is used."""
    text = notice.text(language)
    digest = hashlib.sha256(text.encode()).hexdigest()
    row = _find(session, office.code, notice, language)
    if row is None:
        row = ConsentNotice(
            office_code=office.code,
            purpose=notice.purpose,
            language=language,
            version=notice.version,
            sha256=digest,
            text=text,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:  # stored by a concurrent request meanwhile
            row = _find(session, office.code, notice, language)
            assert row is not None
    if row.sha256 != digest:
        raise NoticeChangedWithoutVersion(
            f"office {office.code}: notice {notice.purpose} ({language}) version "
            f"{notice.version} differs from the text stored under that version; "
            "give the changed text a new version in config/offices.toml"
        )
    return row


def _find(
    session: Session, office_code: str, notice: Notice, language: str
) -> ConsentNotice | None:
    return session.scalar(
        select(ConsentNotice).where(
            ConsentNotice.office_code == office_code,
            ConsentNotice.purpose == notice.purpose,
            ConsentNotice.language == language,
            ConsentNotice.version == notice.version,
        )
    )


def record(
    session: Session,
    office: Office,
    notice: Notice,
    language: str,
    *,
    decision: str,
    legal_basis: str,
    email: str,
    evidence: Evidence,
    channel: str | None = None,
    donor_id: int | None = None,
    donation_id: int | None = None,
) -> ConsentRecord:
    """Append one decision to the ledger, citing the exact text shown."""
    row = ConsentRecord(
        notice=stored_notice(session, office, notice, language),
        office_code=office.code,
        purpose=notice.purpose,
        channel=channel,
        legal_basis=legal_basis,
        decision=decision,
        donor_id=donor_id,
        donation_id=donation_id,
        email=email,
        form=evidence.form,
        ip_hash=evidence.ip_hash,
        user_agent=(evidence.user_agent or "")[:300] or None,
    )
    session.add(row)
    return row


def record_checkout(
    session: Session,
    office: Office,
    *,
    language: str,
    email: str,
    email_opt_in: bool,
    gift_aid: bool,
    donor_id: int,
    donation_id: int,
    evidence: Evidence,
) -> list[ConsentRecord]:
    """What the details step showed and the donor chose, recorded when they start to pay."""

    def add(notice: Notice, decision: str, basis: str, channel: str | None = None) -> ConsentRecord:
        return record(
            session,
            office,
            notice,
            language,
            decision=decision,
            legal_basis=basis,
            email=email,
            evidence=evidence,
            channel=channel,
            donor_id=donor_id,
            donation_id=donation_id,
        )

    notices = office.notices
    rows = [add(notices.get("data_transfer") or notices["privacy"], "acknowledged", "notice")]
    if email_opt_in and "email_fundraising" in notices:
        rows.append(add(notices["email_fundraising"], "granted", "consent", channel="email"))
    if gift_aid and "gift_aid_declaration" in notices:
        rows.append(add(notices["gift_aid_declaration"], "granted", "declaration"))
    return rows
