"""Annual statements: one per donor and currency for the gifts of a tax year not yet receipted.

A gift already on an individual receipt, or on an earlier statement, is skipped (the partial
unique index on receipt items enforces it too), and refunded or lost gifts never appear; so
re-running a year issues nothing twice.

A year is issued in batches of donors (`issue_statements`), each batch in a transaction of
its own that locks its payments, takes the office's serials for all its statements in one
step and writes them; the session is emptied after each, so memory stays bounded whatever the
number of donors, and an interruption loses only the batch in hand. The statements' PDFs are
rendered by the outbox workers, several at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, exists, select, text
from sqlalchemy.orm import Session, selectinload

from checkout.core.money import Money
from checkout.donations.models import Donation, Payment
from checkout.donations.states import MONEY_KEPT
from checkout.offices import Office
from checkout.outbox.registry import enqueue_all
from checkout.receipts.document import GiftLine
from checkout.receipts.models import ISSUED, Receipt, ReceiptItem
from checkout.receipts.numbering import take_serials
from checkout.receipts.services import (
    RENDER_RECEIPT,
    ReceiptContext,
    check_exemption,
    issue,
    numbered,
    render_message,
)

#: Donors whose statements one transaction issues.
DONORS_PER_BATCH = 500

#: Offices whose tax year is not the calendar year: (first month, first day).
TAX_YEAR_STARTS = {"au_dgr": (7, 1)}  # Australia: 1 July to 30 June


def tax_year(office: Office, year: int) -> tuple[date, date]:
    """The period statement `year` covers: calendar year, or AU's July-June ending in `year`."""
    start = TAX_YEAR_STARTS.get(office.receipt_kind)
    if start is None:
        return date(year, 1, 1), date(year, 12, 31)
    month, day = start
    return date(year - 1, month, day), date(year, month, day) - timedelta(days=1)


def tax_year_of(office: Office, day: date) -> int:
    """The year of the statement that covers `day` (AU: a July-June year ends in it)."""
    start = TAX_YEAR_STARTS.get(office.receipt_kind)
    if start is None or (day.month, day.day) < start:
        return day.year
    return day.year + 1


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


def _due(office: Office, period: tuple[date, date]) -> list[ColumnElement[bool]]:
    """What makes a payment due on a statement: the office's, paid in the period, money kept,
    and on no active receipt (an anti-join, not a list of every receipted payment)."""
    start, end = bounds(office, period)
    covered = exists().where(ReceiptItem.payment_id == Payment.id, ReceiptItem.active.is_(True))
    return [
        Donation.office_code == office.code,
        Payment.paid_at >= start,
        Payment.paid_at < end,
        Payment.status.in_([status.value for status in MONEY_KEPT]),
        ~covered,
    ]


def unreceipted(session: Session, office: Office, period: tuple[date, date]) -> list[Payment]:
    """Kept payments of `office` paid in `period` and on no active receipt."""
    statement = (
        select(Payment)
        .join(Donation)
        .where(*_due(office, period))
        .order_by(Payment.paid_at, Payment.id)
    )
    return list(session.scalars(statement))


def unreceipted_of(
    session: Session, office: Office, period: tuple[date, date], donor_id: int
) -> list[Payment]:
    """One donor's kept payments of `office` paid in `period` and on no active receipt."""
    statement = (
        select(Payment)
        .join(Donation)
        .where(*_due(office, period), Donation.donor_id == donor_id)
        .order_by(Payment.paid_at, Payment.id)
    )
    return list(session.scalars(statement))


def donors_due(
    session: Session, office: Office, period: tuple[date, date], after: int, limit: int
) -> list[int]:
    """The next `limit` donors (by id, after `after`) with gifts due on a statement."""
    return list(
        session.scalars(
            select(Donation.donor_id)
            .join(Payment, Payment.donation_id == Donation.id)
            .where(*_due(office, period), Donation.donor_id > after)
            .group_by(Donation.donor_id)
            .order_by(Donation.donor_id)
            .limit(limit)
        )
    )


def issue_statements(
    session: Session,
    office: Office,
    period: tuple[date, date],
    ctx: ReceiptContext,
    *,
    batch: int = DONORS_PER_BATCH,
    progress: Callable[[int], None] = lambda issued: None,
) -> int:
    """Issue the period's statements in batches of `batch` donors, committing each batch and
    emptying the session after it; how many statements. `progress` hears each batch's count."""
    check_exemption(office, ctx.today_for(office))
    issued, after, batches = 0, 0, 0
    while donors := donors_due(session, office, period, after, batch):
        made = _issue_batch(session, office, period, ctx, donors)
        session.commit()
        session.expunge_all()  # the batch's payments, donors and receipts: memory stays flat
        batches += 1
        if batches & (batches - 1) == 0:  # after batches 1, 2, 4, 8...: while tables grow
            analyse(session)
        issued, after = issued + made, donors[-1]
        progress(made)
    return issued


def _issue_batch(
    session: Session,
    office: Office,
    period: tuple[date, date],
    ctx: ReceiptContext,
    donors: list[int],
) -> int:
    """The statements of `donors`: their due payments locked and read with their donations
    and donors (three queries, no lazy load), the serials taken in one step, the statements,
    their items and rendering messages written together."""
    payments = session.scalars(
        select(Payment)
        .join(Donation)
        .where(*_due(office, period), Donation.donor_id.in_(donors))
        .order_by(Payment.id)
        .with_for_update(of=Payment)
        .options(selectinload(Payment.donation).selectinload(Donation.donor))
        .execution_options(populate_existing=True)
    ).all()
    groups = sorted(grouped(list(payments)).items())
    if not groups:
        return 0
    serials = take_serials(session, office.code, ctx.today_for(office).year, len(groups))
    receipts = [
        numbered(
            office,
            sorted(group, key=lambda p: (p.paid_at, p.id)),
            ctx,
            serial,
            period=period,
            recurring=any(p.plan_id is not None for p in group),
        )
        for (_key, group), serial in zip(groups, serials, strict=True)
    ]
    session.add_all(receipts)
    session.flush()
    enqueue_all(session, RENDER_RECEIPT, [render_message(receipt) for receipt in receipts])
    return len(receipts)


def analyse(session: Session) -> None:
    """Refresh PostgreSQL's statistics of the tables a year's run fills, so its plans (the
    foreign-key checks among them) stop assuming they are empty."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE receipts, receipt_items, outbox"))


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
