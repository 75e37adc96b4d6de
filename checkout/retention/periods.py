"""How long a donor's records are kept, and whether anything keeps them longer.

VERIFY (each office's adviser): the keeping period of a gift counts from the later of the gift
and the issue of the last tax document that covers it (a replacement receipt, an annual
statement issued years later), to the end of that calendar year plus the office's
`retention_years` (config/offices.toml). A donor's records go together, so the donor's period
ends with that of their latest gift or document.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.core.clock import as_utc
from checkout.donations.models import Donation, Donor, Payment, RecurringPlan
from checkout.donations.states import Status
from checkout.receipts.models import Receipt

#: Stripe subscription states after which a plan never debits again.
ENDED_PLANS = frozenset({"canceled", "incomplete_expired"})
#: Donation and payment states that are still open: money may yet move.
OPEN = frozenset({Status.PENDING, Status.PROCESSING, Status.DISPUTED})


def last_record(session: Session, donor: Donor) -> datetime:
    """The latest gift, donation or tax document of the donor (their creation if none)."""
    paid = session.scalar(
        select(func.max(Payment.paid_at)).join(Donation).where(Donation.donor_id == donor.id)
    )
    started = session.scalar(
        select(func.max(Donation.created_at)).where(Donation.donor_id == donor.id)
    )
    issued = session.scalar(select(func.max(Receipt.issued_at)).where(Receipt.donor_id == donor.id))
    moments = [as_utc(m) for m in (paid, started, issued, donor.created_at) if m is not None]
    return max(moments)


def kept_until(session: Session, donor: Donor, years: int) -> date:
    """The last day the donor's tax records must be kept."""
    return date(last_record(session, donor).year + years, 12, 31)


def period_over(session: Session, donor: Donor, years: int, now: datetime) -> bool:
    """True once the donor's records have been kept their full period."""
    return as_utc(now).date() > kept_until(session, donor, years)


def still_due(session: Session, donor: Donor) -> str | None:
    """Why the donor's data must stay for now (a plan that may debit again, money still
    moving), or None when nothing is due."""
    open_values = [status.value for status in OPEN]
    if session.scalar(
        select(RecurringPlan.id)
        .join(Donation)
        .where(Donation.donor_id == donor.id, RecurringPlan.status.not_in(ENDED_PLANS))
        .limit(1)
    ):
        return "a recurring gift may still be debited"
    open_money = session.scalar(
        select(Donation.id)
        .where(Donation.donor_id == donor.id, Donation.status.in_(open_values))
        .limit(1)
    ) or session.scalar(
        select(Payment.id)
        .join(Donation)
        .where(Donation.donor_id == donor.id, Payment.status.in_(open_values))
        .limit(1)
    )
    return "a payment is still pending, processing or disputed" if open_money else None


def has_tax_records(session: Session, donor: Donor) -> bool:
    """Money that moved (a payment paid, refunded or not) or a receipt: the accounts keep it."""
    paid = session.scalar(
        select(Payment.id)
        .join(Donation)
        .where(Donation.donor_id == donor.id, Payment.paid_at.is_not(None))
        .limit(1)
    )
    receipt = session.scalar(select(Receipt.id).where(Receipt.donor_id == donor.id).limit(1))
    return paid is not None or receipt is not None
