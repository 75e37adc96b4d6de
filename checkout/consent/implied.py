"""Canada's implied consent: a gift lets a registered charity write to the donor for a while.

Under CASL the consent a gift implies lapses a fixed time after the *last* gift, so the date
cannot be known when the donor starts to pay: each kept gift (one payment, one instalment)
appends a ledger row recording it, with `implied_consent_lapses_at` counted from that gift.
A later gift appends a later date, which extends the consent; the ledger stays append-only.
Only offices whose email notice sets `implied_consent_years` record such rows, and only these
rows carry a lapse date. The row cites the data notice the donor acknowledged with the
donation (it told them the office may contact them about future donations).

Payments queue `consent.gift_kept` when money is kept; the handler
(checkout/consent/handlers.py) knows the office and calls `record_gift`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.consent.models import ConsentRecord
from checkout.consent.services import Evidence, record_with_notice, years_later
from checkout.core.clock import as_utc
from checkout.donations.models import Payment
from checkout.offices import Office
from checkout.outbox.registry import enqueue

#: The outbox message payments queue for each kept gift.
GIFT_KEPT = "consent.gift_kept"
IMPLIED = "implied"
_ACKNOWLEDGED = "acknowledged"
_GIFT = Evidence(form="gift_kept", ip_hash=None, user_agent=None)


def queue_gift_kept(session: Session, payment_id: int) -> None:
    """A gift's money is kept: let the consent feature record what the gift implies."""
    enqueue(session, GIFT_KEPT, f"gift-kept-{payment_id}", {"payment_id": payment_id})


def lapse_years(office: Office) -> int | None:
    """How long a gift implies consent at this office; None where the law knows no such rule."""
    notice = office.notices.get("email_fundraising")
    return notice.implied_consent_years if notice else None


def record_gift(session: Session, office: Office, payment: Payment) -> ConsentRecord | None:
    """Append the consent this kept gift implies, lapsing `years` after it; once per gift."""
    years = lapse_years(office)
    kept_at = payment.paid_at or payment.receipt_due_at
    donation = payment.donation
    if years is None or kept_at is None or donation.donor is None:
        return None
    lapses = years_later(as_utc(kept_at), years)
    if _recorded(session, donation.id, lapses):
        return None
    acknowledged = _acknowledged(session, donation.id)
    if acknowledged is None:
        return None  # no notice was shown with this gift: nothing to cite
    row = record_with_notice(
        session,
        acknowledged.notice,
        decision=IMPLIED,
        legal_basis="gift",
        email=donation.donor.email,
        evidence=_GIFT,
        channel="email",
        donor_id=donation.donor.id,
        donation_id=donation.id,
        office_legal_name=acknowledged.office_legal_name,
        lapses_at=lapses,
    )
    session.flush()
    return row


def lapses_at(session: Session, donor_id: int, office_code: str) -> datetime | None:
    """When the donor's implied consent at the office lapses: the latest date any gift set."""
    dates = session.scalars(
        select(ConsentRecord.implied_consent_lapses_at).where(
            ConsentRecord.donor_id == donor_id,
            ConsentRecord.office_code == office_code,
            ConsentRecord.decision == IMPLIED,
        )
    ).all()
    known = [as_utc(moment) for moment in dates if moment is not None]
    return max(known) if known else None


def _recorded(session: Session, donation_id: int, lapses: datetime) -> bool:
    rows = session.scalars(
        select(ConsentRecord.implied_consent_lapses_at).where(
            ConsentRecord.donation_id == donation_id, ConsentRecord.decision == IMPLIED
        )
    ).all()
    return any(moment is not None and as_utc(moment) == lapses for moment in rows)


def _acknowledged(session: Session, donation_id: int) -> ConsentRecord | None:
    return session.scalar(
        select(ConsentRecord)
        .where(ConsentRecord.donation_id == donation_id, ConsentRecord.decision == _ACKNOWLEDGED)
        .order_by(ConsentRecord.id)
        .limit(1)
    )
