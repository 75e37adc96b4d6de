"""Annual statements a donor may ask for: periods that ended, with gifts on no receipt yet.

Offices that confirm recurring gifts once a year (receipt_per_instalment = false) leave each
instalment without a receipt until its statement is issued; the year-end run issues them for
everyone, and a donor may ask for theirs here first. A period that has not ended is refused
(annual.check_period_over): a gift could still be added to it. Services take a Session; no
Flask here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from checkout.core.clock import as_utc
from checkout.core.money import Money
from checkout.donations.models import Donation, Donor, Payment
from checkout.donations.states import MONEY_KEPT
from checkout.offices import Office, OfficeRegistry
from checkout.receipts import annual
from checkout.receipts.models import Receipt, ReceiptItem
from checkout.receipts.services import ReceiptContext


@dataclass(frozen=True, slots=True)
class Offer:
    """A statement the donor may ask for: whose, which office, which year, what it covers."""

    donor: Donor
    office: Office
    year: int
    period: tuple[date, date]
    gifts: int
    total: Money


def offers(
    session: Session, donors: Sequence[Donor], offices: OfficeRegistry, now: datetime
) -> list[Offer]:
    """For each donor, the periods ended (in the office's time zone) with kept gifts that no
    receipt covers yet."""
    found = []
    for donor in donors:
        office = offices.get(donor.office_code)
        today = office.local_date(now)
        for year, payments in sorted(_uncovered_by_year(session, donor, office).items()):
            period = annual.tax_year(office, year)
            if period[1] < today:
                total = Money(sum(p.amount_minor for p in payments), payments[0].currency)
                found.append(Offer(donor, office, year, period, len(payments), total))
    return found


def _uncovered_by_year(session: Session, donor: Donor, office: Office) -> dict[int, list[Payment]]:
    covered = exists().where(ReceiptItem.payment_id == Payment.id, ReceiptItem.active.is_(True))
    payments = session.scalars(
        select(Payment)
        .join(Donation)
        .where(
            Donation.donor_id == donor.id,
            Payment.status.in_([status.value for status in MONEY_KEPT]),
            Payment.paid_at.is_not(None),
            ~covered,
        )
        .order_by(Payment.paid_at)
    )
    years: dict[int, list[Payment]] = defaultdict(list)
    for payment in payments:
        assert payment.paid_at is not None
        years[annual.tax_year_of(office, office.local_date(as_utc(payment.paid_at)))].append(
            payment
        )
    return dict(years)


def request_statement(
    session: Session, donor: Donor, office: Office, year: int, ctx: ReceiptContext
) -> Receipt | None:
    """Issue the donor's statement for `year` now (PeriodNotOver while it runs); None when
    no gift of that period is left to confirm. The workers render and email it."""
    period = annual.tax_year(office, year)
    annual.check_period_over(office, period, ctx.today_for(office))
    payments = annual.unreceipted_of(session, office, period, donor.id)
    if not payments:
        return None
    return annual.issue_group(session, office, payments, period, ctx)
