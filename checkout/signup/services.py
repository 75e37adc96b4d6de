"""Email sign-up without a gift: the office's notice, the ledger, double opt-in, suppression.

A sign-up makes (or finds) the office's donor record for the address, with no name and no
gift, and appends a `granted` row citing the exact notice the page showed (form "signup").
Where the office asks for double opt-in, or the address is on the office's suppression list
(it objected before, and someone else may be typing it), nothing is recorded until the owner
confirms by the link emailed to the address: the request waits as a PendingSignup, and the
confirmation writes `granted` (as of the sign-up, with its evidence) and `confirmed`. Every
address gets the same answer. Services take a Session; no Flask here.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from checkout.consent.decisions import EMAIL, is_suppressed
from checkout.consent.models import ConsentNotice, ConsentRecord
from checkout.consent.services import (
    SIGNUP_FORM,
    Evidence,
    lift_suppression,
    record_with_notice,
    stored_notice,
)
from checkout.core.clock import as_utc, utcnow
from checkout.db import upsert_insert
from checkout.donations.models import Donor
from checkout.offices import Office
from checkout.outbox.registry import enqueue
from checkout.retention import hooks
from checkout.signup.models import PendingSignup

#: The outbox message that emails the confirmation link (checkout/signup/handlers.py).
SEND_CONFIRMATION = "signup.send_confirmation"


def token_hash(token: str) -> str:
    """What is stored of a link's random token."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign_up(
    session: Session,
    office: Office,
    email: str,
    country: str,
    language: str,
    evidence: Evidence,
    hash_key: str,
    valid_for: timedelta,
) -> PendingSignup | None:
    """Record the sign-up, or (double opt-in, a suppressed address) wait for its confirmation;
    the pending request when an email must confirm it."""
    now = utcnow()
    forget_expired(session, now)
    notice = stored_notice(session, office, office.notices[EMAIL], language)
    if office.notices[EMAIL].double_opt_in or is_suppressed(session, office.code, email, hash_key):
        pending = PendingSignup(
            office_code=office.code,
            email=email,
            country=country,
            language=language,
            notice_id=notice.id,
            ip_hash=evidence.ip_hash,
            user_agent=(evidence.user_agent or "")[:300] or None,
            created_at=now,
            expires_at=now + valid_for,
        )
        session.add(pending)
        session.flush()
        key = f"signup-{pending.public_id}"
        enqueue(session, SEND_CONFIRMATION, key, {"signup_id": pending.id})
        return pending
    record(session, office, notice, email, country, language, evidence)
    return None


@hooks.nightly
def forget_expired(session: Session, now: datetime) -> int:
    """Delete sign-ups whose confirmation link ran out (each sign-up does this, and so does
    the nightly retention run): an unconfirmed address is kept no longer. How many went."""
    gone = session.execute(delete(PendingSignup).where(PendingSignup.expires_at < now))
    return int(getattr(gone, "rowcount", 0) or 0)


@hooks.on_erasure
def forget_address(session: Session, email: str) -> None:
    """Delete the address's sign-ups still waiting for confirmation (its erasure request)."""
    session.execute(delete(PendingSignup).where(PendingSignup.email == email.strip().lower()))


def record(
    session: Session,
    office: Office,
    notice: ConsentNotice,
    email: str,
    country: str,
    language: str,
    evidence: Evidence,
) -> ConsentRecord:
    """The address's donor record at the office, and its `granted` row citing `notice`."""
    donor = signup_donor(session, office.code, email, country, language)
    return record_with_notice(
        session,
        notice,
        decision="granted",
        legal_basis="consent",
        email=donor.email,
        evidence=evidence,
        channel="email",
        donor_id=donor.id,
        office_legal_name=office.legal.legal_name,
    )


def signup_donor(
    session: Session, office_code: str, email: str, country: str, language: str
) -> Donor:
    """The office's donor with this address; a new one without a name if none gave yet.

    INSERT ... ON CONFLICT DO NOTHING, as the wizard makes donors: two sign-ups (or a sign-up
    and a gift) at the same moment make one row.
    """
    found = session.scalar(
        select(Donor).where(Donor.office_code == office_code, func.lower(Donor.email) == email)
    )
    if found is not None:
        return found
    session.execute(
        upsert_insert(session, Donor.__table__)
        .values(
            office_code=office_code,
            email=email,
            first_name="",
            last_name="",
            country=country,
            locale=language,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["office_code", "email"])
    )
    return session.scalars(
        select(Donor).where(Donor.office_code == office_code, Donor.email == email)
    ).one()


def mint_token(pending: PendingSignup) -> str:
    """A new token for the confirmation link (an earlier one stops working)."""
    token = secrets.token_urlsafe(32)
    pending.token_hash = token_hash(token)
    return token


def pending_for_token(session: Session, token: str, now: datetime) -> PendingSignup | None:
    """The unexpired sign-up a confirmation link's token belongs to."""
    found = session.scalar(
        select(PendingSignup).where(PendingSignup.token_hash == token_hash(token))
    )
    if found is None or as_utc(found.expires_at) <= now:
        return None
    return found


def confirm(
    session: Session, pending: PendingSignup, office: Office, evidence: Evidence, hash_key: str
) -> Donor:
    """The owner confirmed: `granted` as of the sign-up (with its evidence), then `confirmed`
    now; a new consent lifts an old objection. The pending request is done with."""
    notice = session.get_one(ConsentNotice, pending.notice_id)
    signed_up = Evidence(SIGNUP_FORM, pending.ip_hash, pending.user_agent, "/signup")
    grant = record(
        session, office, notice, pending.email, pending.country, pending.language, signed_up
    )
    grant.recorded_at = pending.created_at  # when they signed up; the row is not written yet
    assert grant.donor_id is not None
    record_with_notice(
        session,
        notice,
        decision="confirmed",
        legal_basis="consent",
        email=pending.email,
        evidence=evidence,
        channel="email",
        donor_id=grant.donor_id,
        office_legal_name=office.legal.legal_name,
    )
    lift_suppression(session, office.code, pending.email, hash_key)
    session.delete(pending)
    session.flush()
    return session.get_one(Donor, grant.donor_id)
