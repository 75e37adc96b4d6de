"""Annual statements: one per donor and currency for the gifts of a tax year not yet receipted.

A gift already on an individual receipt, or on an earlier statement, is skipped (the partial
unique index on receipt items enforces it too), and refunded or lost gifts never appear; so
re-running a year issues nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.core.money import Money
from checkout.donations.models import Donation, Payment
from checkout.donations.states import MONEY_KEPT
from checkout.offices import Office
from checkout.outbox.registry import enqueue_all
from checkout.receipts.document import GiftLine
from checkout.receipts.models import ISSUED, Receipt, ReceiptItem
from checkout.receipts.services import ReceiptContext, issue

#: Offices whose tax year is not the calendar year: (first month, first day).
TAX_YEAR_STARTS = {"au_dgr": (7, 1)}  # Australia: 1 July to 30 June


def tax_year(office: Office, year: int) -> tuple[date, date]:
    """The period statement `year` covers: calendar year, or AU's July-June ending in `year`."""
    start = TAX_YEAR_STARTS.get(office.receipt_kind)
    if start is None:
        return date(year, 1, 1), date(year, 12, 31)
    month, day = start
    return date(year - 1, month, day), date(year, month, day) - timedelta(days=1)


class PeriodNotOver(ValueError):
    """A statement asked for before the end of the period it covers."""


def check_period_over(office: Office, period: tuple[date, date], today: date) -> None:
    """Refuse a statement while its period runs: a gift could still be added to it."""
    if today <= period[1]:
        raise PeriodNotOver(
            f"the {office.code} statements for {period[0]} to {period[1]} can be issued from "
            f"{period[1] + timedelta(days=1)} ({office.time_zone}), not on {today}"
        )


def bounds(office: Office, period: tuple[date, date]) -> tuple[datetime, datetime]:
    """The period as moments: from the first day's midnight to the day after the last, in the
    office's time zone (New Year in Berlin, 1 July in Sydney), as UTC."""
    start = datetime.combine(period[0], time.min, office.zone)
    end = datetime.combine(period[1] + timedelta(days=1), time.min, office.zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def unreceipted(session: Session, office: Office, period: tuple[date, date]) -> list[Payment]:
    """Kept payments of `office` paid in `period` and on no active receipt."""
    start, end = bounds(office, period)
    covered = select(ReceiptItem.payment_id).where(ReceiptItem.active.is_(True))
    statement = (
        select(Payment)
        .join(Donation)
        .where(Donation.office_code == office.code)
        .where(Payment.paid_at >= start, Payment.paid_at < end)
        .where(Payment.status.in_([status.value for status in MONEY_KEPT]))
        .where(Payment.id.not_in(covered))
        .order_by(Payment.paid_at, Payment.id)
    )
    return list(session.scalars(statement))


def grouped(payments: list[Payment]) -> dict[tuple[int, str], list[Payment]]:
    """Payments per (donor, currency): a statement never mixes donors or currencies."""
    groups: dict[tuple[int, str], list[Payment]] = defaultdict(list)
    for payment in payments:
        donor_id = payment.donation.donor_id
        if donor_id is not None:
            groups[(donor_id, payment.currency)].append(payment)
    return dict(groups)


def issue_group(
    session: Session,
    office: Office,
    payments: list[Payment],
    period: tuple[date, date],
    ctx: ReceiptContext,
) -> Receipt | None:
    """One donor's statement for `period`, listing each of `payments` still kept (None if
    none is)."""
    recurring = any(payment.plan_id is not None for payment in payments)
    return issue(session, office, payments, ctx, period=period, recurring=recurring)


#: The outbox message that sends one donor a year's summary (see `queue_summaries`).
SUMMARY = "receipts.summary"


def receipted_instalments(
    session: Session, office: Office, period: tuple[date, date], donor_id: int | None = None
) -> dict[int, list[GiftLine]]:
    """Per donor, the instalments of recurring gifts in `period` that each have their own
    standing receipt: the gift's day and amount, and that receipt's number as reference."""
    statement = (
        select(Receipt.donor_id, Receipt.number, Receipt.currency, ReceiptItem)
        .join(ReceiptItem, ReceiptItem.receipt_id == Receipt.id)
        .where(Receipt.office_code == office.code, Receipt.status == ISSUED)
        .where(Receipt.recurring.is_(True), Receipt.period_start.is_(None))
        .where(ReceiptItem.active.is_(True))
        .where(ReceiptItem.received_on.between(period[0], period[1]))
        .order_by(Receipt.donor_id, ReceiptItem.received_on, ReceiptItem.id)
    )
    if donor_id is not None:
        statement = statement.where(Receipt.donor_id == donor_id)
    lines: dict[int, list[GiftLine]] = defaultdict(list)
    for donor, number, currency, item in session.execute(statement):
        amount = Money(item.amount_minor, currency)
        lines[donor].append(GiftLine(item.received_on, amount, number))
    return dict(lines)


def queue_summaries(session: Session, office: Office, period: tuple[date, date]) -> int:
    """Queue the year's summary for each donor of `office` with receipted instalments in
    `period` (Australia: July to June); queued once per donor and period. How many."""
    donors = sorted(receipted_instalments(session, office, period))
    key = f"{office.code}-{period[0]}-{period[1]}"
    payload = {"office": office.code, "start": period[0].isoformat(), "end": period[1].isoformat()}
    enqueue_all(
        session,
        SUMMARY,
        [(f"summary-{key}-{donor}", {**payload, "donor_id": donor}) for donor in donors],
    )
    return len(donors)
