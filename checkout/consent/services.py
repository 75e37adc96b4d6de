"""Recording what a donor was shown and chose. Services take a Session; no Flask here."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.consent.models import ConsentNotice, ConsentRecord, Suppression
from checkout.core.clock import utcnow
from checkout.core.errors import CheckoutError
from checkout.offices import Notice, Office
from checkout.outbox.registry import enqueue

#: The outbox message that asks a donor to confirm an email opt-in (checkout/consent/handlers.py).
CONFIRM_EMAIL = "consent.confirm_email"
#: The `form` of a ledger row recorded by the email sign-up page (/signup, no gift): the
#: office batches carry such a donor's rows although they never gave.
SIGNUP_FORM = "signup"


class NoticeChangedWithoutVersion(CheckoutError):
    """A notice's text differs from the one stored under the same version: evidence would lie."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """How a decision was made: the form, and the request it came in (IP only as a keyed hash)."""

    form: str
    ip_hash: str | None
    user_agent: str | None
    url: str | None = None  # the page's path: never a token or anything the donor typed


@dataclass(frozen=True, slots=True)
class MandateShown:
    """The debit mandate as the review page showed it: in which language, and how accepted."""

    language: str
    evidence: Evidence


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
    lapses_at: datetime | None = None,
) -> ConsentRecord:
    """Append one decision to the ledger, citing the exact text shown."""
    return record_with_notice(
        session,
        stored_notice(session, office, notice, language),
        decision=decision,
        legal_basis=legal_basis,
        email=email,
        evidence=evidence,
        channel=channel,
        donor_id=donor_id,
        donation_id=donation_id,
        office_legal_name=office.legal.legal_name,
        lapses_at=lapses_at,
    )


def record_with_notice(
    session: Session,
    notice: ConsentNotice,
    *,
    decision: str,
    legal_basis: str,
    email: str,
    evidence: Evidence,
    channel: str | None = None,
    donor_id: int | None = None,
    donation_id: int | None = None,
    office_legal_name: str | None = None,
    lapses_at: datetime | None = None,
) -> ConsentRecord:
    """Append one decision about a stored notice (a later decision cites the earlier text)."""
    row = ConsentRecord(
        notice=notice,
        notice_sha256=notice.sha256,
        office_code=notice.office_code,
        purpose=notice.purpose,
        channel=channel,
        legal_basis=legal_basis,
        decision=decision,
        donor_id=donor_id,
        donation_id=donation_id,
        email=email,
        form=evidence.form,
        url=evidence.url,
        office_legal_name=office_legal_name,
        implied_consent_lapses_at=lapses_at,
        ip_hash=evidence.ip_hash,
        user_agent=(evidence.user_agent or "")[:300] or None,
        recorded_at=utcnow(),
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
    hash_key: str,
    mandate: MandateShown | None = None,
) -> list[ConsentRecord]:
    """What the details step showed and the donor chose, recorded when they start to pay;
    with `mandate`, also the debit mandate the review page showed.

    An email opt-in that needs no confirmation counts at once, so it also lifts an earlier
    objection from the office's suppression list; one that needs confirmation (double opt-in)
    lifts it when confirmed.
    """

    def add(
        notice: Notice,
        decision: str,
        basis: str,
        channel: str | None = None,
        shown_in: str = language,
        how: Evidence = evidence,
    ) -> ConsentRecord:
        return record(
            session,
            office,
            notice,
            shown_in,
            decision=decision,
            legal_basis=basis,
            email=email,
            evidence=how,
            channel=channel,
            donor_id=donor_id,
            donation_id=donation_id,
        )

    notices = office.notices
    rows = [add(notices.get("data_transfer") or notices["privacy"], "acknowledged", "notice")]
    if email_opt_in and "email_fundraising" in notices:
        rows.append(add(notices["email_fundraising"], "granted", "consent", channel="email"))
        if not notices["email_fundraising"].double_opt_in:
            lift_suppression(session, office.code, email, hash_key)
    if gift_aid and "gift_aid_declaration" in notices:
        rows.append(add(notices["gift_aid_declaration"], "granted", "declaration"))
    if mandate is not None and "direct_debit_mandate" in notices:  # accepted on review
        text = notices["direct_debit_mandate"]
        rows.append(
            add(text, "granted", "mandate", shown_in=mandate.language, how=mandate.evidence)
        )
    return rows


def years_later(moment: datetime, years: int) -> datetime:
    """The same moment `years` later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def email_hash(email: str, key: str) -> str:
    """The suppression list's keyed hash of an address (case-insensitive)."""
    return hmac.new(key.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


def lift_suppression(session: Session, office_code: str, email: str, hash_key: str) -> None:
    """A new, recorded consent replaces an old objection."""
    session.execute(
        delete(Suppression).where(
            Suppression.office_code == office_code,
            Suppression.email_hash == email_hash(email, hash_key),
        )
    )


def queue_confirmation(session: Session, donation_id: int) -> None:
    """A gift is kept: if its donor opted in to email, queue the confirmation request.

    The handler decides whether the office needs one; the key makes it once per opt-in however
    many instalments follow.
    """
    grant = session.scalar(
        select(ConsentRecord.id)
        .where(
            ConsentRecord.donation_id == donation_id,
            ConsentRecord.purpose == "email_fundraising",
            ConsentRecord.decision == "granted",
        )
        .limit(1)
    )
    if grant is not None:
        enqueue(session, CONFIRM_EMAIL, f"confirm-email-{grant}", {"record_id": grant})
