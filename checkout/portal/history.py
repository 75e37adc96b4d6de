"""What a signed-in donor sees of their giving, every query scoped to their own donor records.

Every look-up takes the donor ids of the signed-in address and finds nothing outside them,
so another donor's public id or receipt number is as unknown as one that does not exist.
Services take a Session; no Flask here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from checkout.donations.models import Donation, Payment, RecurringPlan
from checkout.receipts.models import Receipt, ReceiptItem

#: A subscription that never started: not a gift the donor made.
_NEVER_STARTED = ("incomplete", "incomplete_expired")


@dataclass(frozen=True, slots=True)
class Gift:
    """One donation with its payments, and the receipt standing for each payment."""

    donation: Donation
    payments: list[Payment]
    receipts: dict[int, Receipt] = field(default_factory=dict)

    @property
    def plan(self) -> RecurringPlan | None:
        """The recurring plan, for monthly and yearly gifts."""
        return self.donation.plan


def gifts_of(session: Session, donor_ids: Sequence[int]) -> list[Gift]:
    """The donors' gifts, newest first: those with a payment (paid, pending or failed) and
    recurring gifts that started; a checkout abandoned before paying is none."""
    donations = session.scalars(
        select(Donation)
        .where(Donation.donor_id.in_(donor_ids))
        .options(selectinload(Donation.payments), selectinload(Donation.plan))
        .order_by(Donation.created_at.desc(), Donation.id.desc())
    ).all()
    standing = _receipts_by_payment(session, donor_ids)
    gifts = []
    for donation in donations:
        started = donation.plan is not None and donation.plan.status not in _NEVER_STARTED
        if donation.payments or started:
            payments = sorted(donation.payments, key=lambda p: p.id, reverse=True)
            receipts = {p.id: standing[p.id] for p in payments if p.id in standing}
            gifts.append(Gift(donation, payments, receipts))
    return gifts


def _receipts_by_payment(session: Session, donor_ids: Sequence[int]) -> dict[int, Receipt]:
    """The active receipt (or statement) of each of the donors' payments."""
    rows = session.execute(
        select(ReceiptItem.payment_id, Receipt)
        .join(Receipt, Receipt.id == ReceiptItem.receipt_id)
        .where(Receipt.donor_id.in_(donor_ids), ReceiptItem.active.is_(True))
    )
    return {row.payment_id: row.Receipt for row in rows}


def donation_of(session: Session, donor_ids: Sequence[int], public_id: str) -> Donation | None:
    """One of the donors' donations by its public id."""
    return session.scalar(
        select(Donation).where(Donation.public_id == public_id, Donation.donor_id.in_(donor_ids))
    )


def plan_of(session: Session, donor_ids: Sequence[int], public_id: str) -> RecurringPlan | None:
    """The recurring plan of one of the donors' donations."""
    donation = donation_of(session, donor_ids, public_id)
    return donation.plan if donation is not None else None


def receipts_of(session: Session, donor_ids: Sequence[int]) -> list[Receipt]:
    """The donors' receipts and statements, void ones too, newest first."""
    return list(
        session.scalars(
            select(Receipt)
            .where(Receipt.donor_id.in_(donor_ids))
            .order_by(Receipt.issued_at.desc(), Receipt.id.desc())
        )
    )


def receipt_of(session: Session, donor_ids: Sequence[int], number: str) -> Receipt | None:
    """One of the donors' receipts by its number."""
    return session.scalar(
        select(Receipt).where(Receipt.number == number, Receipt.donor_id.in_(donor_ids))
    )
