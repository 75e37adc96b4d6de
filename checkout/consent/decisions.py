"""Later decisions about a consent: confirmation, withdrawal, Gift Aid cancellation.

Each is a new ledger row citing the notice the original decision cited (the text the donor
agreed to), never an edit. Repeating a decision is harmless: a second click on the same link
adds nothing. Services take a Session; no Flask here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.consent.models import ConsentRecord, Suppression
from checkout.consent.services import (
    Evidence,
    email_hash,
    lift_suppression,
    record_with_notice,
    stored_notice,
    years_later,
)
from checkout.donations.models import Donation, Donor
from checkout.offices import Office

EMAIL = "email_fundraising"
GIFT_AID = "gift_aid_declaration"
#: A Gift Aid declaration covers the gifts of this many years before it (and all after it).
GIFT_AID_YEARS_BACK = 4


class Outcome(StrEnum):
    """What a decision did, for the page that reports it."""

    DONE = "done"
    ALREADY = "already"  # the same decision was made before: nothing added
    NOTHING = "nothing"  # nothing to decide on (no opt-in, no declaration)
    WITHDRAWN = "withdrawn"  # a confirmation came after a withdrawal: the withdrawal stands


def latest(session: Session, donor_id: int, office_code: str, purpose: str) -> ConsentRecord | None:
    """The donor's most recent decision about `purpose` at this office, if any."""
    return session.scalar(
        select(ConsentRecord)
        .where(
            ConsentRecord.donor_id == donor_id,
            ConsentRecord.office_code == office_code,
            ConsentRecord.purpose == purpose,
        )
        .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
        .limit(1)
    )


def _follow_up(
    session: Session, earlier: ConsentRecord, donor: Donor, decision: str, evidence: Evidence
) -> ConsentRecord:
    """A new row about the same notice, channel and basis as `earlier`."""
    return record_with_notice(
        session,
        earlier.notice,
        decision=decision,
        legal_basis=earlier.legal_basis,
        email=donor.email,
        evidence=evidence,
        channel=earlier.channel,
        donor_id=donor.id,
        donation_id=earlier.donation_id,
        office_legal_name=earlier.office_legal_name,
    )


def confirm_email(
    session: Session, donation: Donation, evidence: Evidence, hash_key: str
) -> Outcome:
    """The donor clicked the double opt-in link: their email opt-in now counts."""
    return confirm_email_of(session, _donor(donation), evidence, hash_key)


def confirm_email_of(session: Session, donor: Donor, evidence: Evidence, hash_key: str) -> Outcome:
    """The donor confirms their pending email opt-in at their office (link or portal)."""
    last = latest(session, donor.id, donor.office_code, EMAIL)
    if last is None:
        return Outcome.NOTHING
    if last.decision == "confirmed":
        return Outcome.ALREADY
    if last.decision == "withdrawn":
        return Outcome.WITHDRAWN
    _follow_up(session, last, donor, "confirmed", evidence)
    lift_suppression(session, donor.office_code, donor.email, hash_key)
    return Outcome.DONE


def withdraw_email(
    session: Session, office: Office, donation: Donation, evidence: Evidence, hash_key: str
) -> Outcome:
    """The donor objects to fundraising email: a withdrawal row, and the suppression list."""
    return withdraw_email_of(session, office, _donor(donation), evidence, hash_key, donation.id)


def withdraw_email_of(
    session: Session,
    office: Office,
    donor: Donor,
    evidence: Evidence,
    hash_key: str,
    donation_id: int | None = None,
) -> Outcome:
    """The donor objects to fundraising email at `office` (a link, or the portal)."""
    suppress(session, office.code, donor.email, hash_key, evidence.form)
    last = latest(session, donor.id, office.code, EMAIL)
    if last is not None and last.decision == "withdrawn":
        return Outcome.ALREADY
    if last is None:  # never opted in (e.g. soft opt-in): the objection is recorded all the same
        notice = stored_notice(session, office, office.notices[EMAIL], donor.locale)
        record_with_notice(
            session,
            notice,
            decision="withdrawn",
            legal_basis="objection",
            email=donor.email,
            evidence=evidence,
            channel="email",
            donor_id=donor.id,
            donation_id=donation_id,
            office_legal_name=office.legal.legal_name,
        )
    else:
        _follow_up(session, last, donor, "withdrawn", evidence)
    return Outcome.DONE


def cancel_gift_aid(session: Session, donation: Donation, evidence: Evidence) -> Outcome:
    """The donor cancels their Gift Aid declaration: kept, with its cancellation, for ever."""
    return cancel_gift_aid_of(session, _donor(donation), evidence)


def cancel_gift_aid_of(session: Session, donor: Donor, evidence: Evidence) -> Outcome:
    """The donor cancels their Gift Aid declaration at their office (a link, or the portal)."""
    last = latest(session, donor.id, donor.office_code, GIFT_AID)
    if last is None:
        return Outcome.NOTHING
    if last.decision == "withdrawn":
        return Outcome.ALREADY
    cancellation = _follow_up(session, last, donor, "withdrawn", evidence)
    cancelled_at = cancellation.recorded_at
    declared = session.scalars(
        select(Donation).where(
            Donation.donor_id == donor.id,
            Donation.office_code == donor.office_code,
            Donation.gift_aid_declared_at.is_not(None),
            Donation.gift_aid_cancelled_at.is_(None),
        )
    )
    for each in declared:
        each.gift_aid_cancelled_at = cancelled_at
    return Outcome.DONE


def declare_gift_aid(
    session: Session, office: Office, donor: Donor, evidence: Evidence, language: str
) -> Outcome:
    """A UK donor makes a Gift Aid declaration for their gifts to `office`: this one's text as
    shown, covering the gifts of the past four years and those to come (HMRC's model
    declaration). The donations it covers are marked declared now; cancelled ones again."""
    if GIFT_AID not in office.notices:
        return Outcome.NOTHING
    last = latest(session, donor.id, office.code, GIFT_AID)
    if last is not None and last.decision == "granted":
        return Outcome.ALREADY
    row = record_with_notice(
        session,
        stored_notice(session, office, office.notices[GIFT_AID], language),
        decision="granted",
        legal_basis="declaration",
        email=donor.email,
        evidence=evidence,
        donor_id=donor.id,
        office_legal_name=office.legal.legal_name,
    )
    covered = session.scalars(
        select(Donation).where(
            Donation.donor_id == donor.id,
            Donation.office_code == office.code,
            or_(
                Donation.created_at >= years_later(row.recorded_at, -GIFT_AID_YEARS_BACK),
                Donation.frequency != "once",  # a recurring gift's future instalments
            ),
        )
    )
    for each in covered:
        if each.gift_aid_declared_at is None or each.gift_aid_cancelled_at is not None:
            each.gift_aid_declared_at, each.gift_aid_cancelled_at = row.recorded_at, None
    return Outcome.DONE


def suppress(session: Session, office_code: str, email: str, hash_key: str, reason: str) -> None:
    """Add the address to the office's suppression list (once)."""
    digest = email_hash(email, hash_key)
    exists = session.scalar(
        select(Suppression.id).where(
            Suppression.office_code == office_code, Suppression.email_hash == digest
        )
    )
    if exists is not None:
        return
    try:
        with session.begin_nested():
            session.add(Suppression(office_code=office_code, email_hash=digest, reason=reason))
    except IntegrityError:  # added by a concurrent click meanwhile
        pass


def is_suppressed(session: Session, office_code: str, email: str, hash_key: str) -> bool:
    """True when the address objected to this office's fundraising."""
    return suppressed_since(session, office_code, email, hash_key) is not None


def suppressed_since(
    session: Session, office_code: str, email: str, hash_key: str
) -> datetime | None:
    """When the address went on the office's suppression list; None when it is not on it."""
    return session.scalar(
        select(Suppression.created_at).where(
            Suppression.office_code == office_code,
            Suppression.email_hash == email_hash(email, hash_key),
        )
    )


def _donor(donation: Donation) -> Donor:
    if donation.donor is None:
        raise LookupError(f"donation {donation.id} has no donor")
    return donation.donor
