"""Issuing, voiding, reissuing and resending receipts. Services take a Session; no Flask here.

Issuing is two short steps. First the number is taken from the counter and the receipt row
written, in one transaction: a rollback undoes both, so the sequence has no gaps, and the
counter's lock is held only for that. Then (an outbox message later) the PDF is rendered
once, stored with its SHA-256 and its email queued: rendering takes tens of milliseconds,
and doing it under the counter's lock would let only one worker per office make receipts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from checkout.core.clock import as_utc, utcnow
from checkout.core.money import Money
from checkout.donations.models import Donation, Payment
from checkout.donations.states import MONEY_KEPT, Status
from checkout.offices import Office, OfficeRegistry
from checkout.outbox.registry import PermanentFailure, enqueue
from checkout.receipts import documents
from checkout.receipts.document import GiftLine, ReceiptDocument
from checkout.receipts.models import ISSUED, VOID, Receipt, ReceiptItem
from checkout.receipts.numbering import format_number, next_serial

EMAIL_RECEIPT = "receipts.email"
RENDER_RECEIPT = "receipts.render"
#: A German receipt may not be issued on an exemption notice older than this (§ 63 AO).
EXEMPTION_VALIDITY = timedelta(days=5 * 365 + 1)

Renderer = Callable[[ReceiptDocument], bytes]
#: Load option: a payment with its donation and donor (one query instead of three).
_WITH_DONOR = joinedload(Payment.donation).joinedload(Donation.donor)
#: Load option: a receipt's gifts with their payments and donations, in the receipt's query.
WITH_PAYMENTS = (
    joinedload(Receipt.items).joinedload(ReceiptItem.payment).joinedload(Payment.donation)
)


class ReceiptRefused(PermanentFailure):
    """A receipt that must not be issued (staff must act); the outbox parks it as dead."""


@dataclass(frozen=True)
class ReceiptContext:
    """What issuing needs besides the database: offices, the PDF renderer, today, mail domain."""

    offices: OfficeRegistry
    render: Renderer
    today: date
    message_domain: str


def active_receipt_for(session: Session, payment_id: int) -> Receipt | None:
    """The issued receipt (individual or statement) that covers this payment, if any."""
    return session.scalar(
        select(Receipt)
        .join(ReceiptItem)
        .where(ReceiptItem.payment_id == payment_id, ReceiptItem.active.is_(True))
    )


def check_exemption(office: Office, today: date) -> None:
    """Refuse German receipts on an exemption notice more than five years old."""
    notice = office.legal.registration.exemption_notice_date
    if office.receipt_kind == "de_zuwendungsbestaetigung" and (
        notice is None or today - notice > EXEMPTION_VALIDITY
    ):
        raise ReceiptRefused(
            f"office {office.code}: the exemption notice of {notice} is more than 5 years old; "
            "no Zuwendungsbestätigung may be issued until the new notice is in offices.toml"
        )


def issue_for_payment(session: Session, payment_id: int, ctx: ReceiptContext) -> Receipt | None:
    """The receipt for one payment, once; None when none is due (refunded, or annual only)."""
    # One query: the payment, its donation and donor (issuing needs both), and the active
    # receipt that covers it already, if one does.
    found = session.execute(
        select(Payment, ReceiptItem.receipt_id)
        .outerjoin(
            ReceiptItem, (ReceiptItem.payment_id == Payment.id) & ReceiptItem.active.is_(True)
        )
        .where(Payment.id == payment_id)
        .options(_WITH_DONOR)
    ).first()
    if found is None:
        raise PermanentFailure(f"no payment {payment_id}")
    payment, covered_by = found
    if covered_by is not None:
        return session.get(Receipt, covered_by)
    if Status(payment.status) not in MONEY_KEPT:
        return None
    office = ctx.offices.get(payment.donation.office_code)
    if payment.plan_id is not None and not office.receipt_per_instalment:
        return None  # this office confirms recurring gifts once a year
    return issue(session, office, [payment], ctx, recurring=payment.plan_id is not None)


def issue(
    session: Session,
    office: Office,
    payments: list[Payment],
    ctx: ReceiptContext,
    *,
    replaces: Receipt | None = None,
    period: tuple[date, date] | None = None,
    recurring: bool = False,
) -> Receipt:
    """Number a receipt for `payments` (one donor) and queue its rendering."""
    check_exemption(office, ctx.today)
    donor = payments[0].donation.donor
    assert donor is not None
    lines = tuple(documents.gift_line(payment) for payment in payments)
    language = documents.receipt_language(office, donor.locale)
    serial = next_serial(session, office.code, ctx.today.year)
    number = format_number(office.code, ctx.today.year, serial)
    receipt = Receipt(
        number=number,
        office_code=office.code,
        year=ctx.today.year,
        serial=serial,
        kind=office.receipt_kind,
        donor_id=donor.id,
        currency=lines[0].amount.currency,
        total_minor=sum(line.amount.minor for line in lines),
        language=language,
        donor_snapshot=documents.donor_snapshot(donor, language),
        replaces=replaces,
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        recurring=recurring,
        message_id=f"<receipt.{number}@{ctx.message_domain}>",
    )
    session.add(receipt)
    _record_items(session, receipt, payments, lines)
    enqueue(session, RENDER_RECEIPT, f"render-{number}", {"receipt_id": receipt.id})
    return receipt


def render(session: Session, receipt: Receipt, ctx: ReceiptContext) -> None:
    """Render the numbered receipt once, store it with its hash, and queue its email."""
    if receipt.pdf is not None:
        return  # rendered already: a receipt's bytes never change
    office = ctx.offices.get(receipt.office_code)
    payments = payments_of(receipt)
    lines = tuple(
        GiftLine(
            item.received_on, Money(item.amount_minor, receipt.currency), f"P-{item.payment_id}"
        )
        for item in receipt.items
    )
    period = (
        (receipt.period_start, receipt.period_end)
        if receipt.period_start and receipt.period_end
        else None
    )
    document = documents.document_for(
        office,
        receipt.donor_snapshot,
        lines,
        receipt.number,
        receipt.issued_at.date(),
        receipt.language,
        period=period,
        recurring=receipt.recurring,
        replaces=receipt.replaces.number if receipt.replaces else None,
        gift_aid=_gift_aid(office, payments, receipt.language),
    )
    pdf = ctx.render(document)
    receipt.pdf, receipt.pdf_sha256 = pdf, hashlib.sha256(pdf).hexdigest()
    enqueue(session, EMAIL_RECEIPT, f"email-{receipt.number}", {"receipt_id": receipt.id})


def payments_of(receipt: Receipt) -> list[Payment]:
    """The receipt's payments, in the order of its items (load it `WITH_PAYMENTS`)."""
    return [item.payment for item in receipt.items]


def _record_items(
    session: Session, receipt: Receipt, payments: list[Payment], lines: tuple[GiftLine, ...]
) -> None:
    for payment, line in zip(payments, lines, strict=True):
        session.add(
            ReceiptItem(
                receipt=receipt,
                payment_id=payment.id,
                amount_minor=line.amount.minor,
                received_on=line.received_on,
            )
        )
    session.flush()  # the partial unique index refuses a payment already on an active receipt


def gift_aid_declared(office: Office, payments: list[Payment]) -> datetime | None:
    """When the declaration covering every one of these payments was made, if one does.

    A cancelled declaration still covers what was paid before the cancellation, nothing after.
    """
    if not payments or not office.donor.gift_aid:
        return None
    donation = payments[0].donation
    declared, cancelled = donation.gift_aid_declared_at, donation.gift_aid_cancelled_at
    if declared is None:
        return None
    if cancelled is not None and any(
        p.paid_at is None or as_utc(p.paid_at) >= as_utc(cancelled) for p in payments
    ):
        return None
    return declared


def _gift_aid(office: Office, payments: list[Payment], language: str) -> object:
    declared = gift_aid_declared(office, payments)
    if declared is None:
        return None
    return documents.gift_aid_confirmation(office, declared.date(), language)


def void(session: Session, receipt: Receipt, reason: str) -> None:
    """Mark a receipt void (it keeps its number) and free its gifts for a replacement."""
    if receipt.status == VOID:
        return
    receipt.status, receipt.void_reason, receipt.voided_at = VOID, reason[:200], utcnow()
    for item in receipt.items:
        item.active = False
    session.flush()


def void_and_reissue(
    session: Session, receipt: Receipt, reason: str, ctx: ReceiptContext
) -> Receipt | None:
    """A correction: void the receipt, then issue a replacement that cites it.

    The replacement reads the donor as they are now (a corrected name is edited on the donor
    first) and each payment as it is now (a partial refund lowers the amount); it is skipped
    when nothing is left to confirm.
    """
    payments = [session.get(Payment, item.payment_id) for item in receipt.items if item.active]
    void(session, receipt, reason)
    kept = [p for p in payments if p is not None and Status(p.status) in MONEY_KEPT]
    if not kept:
        return None
    office = ctx.offices.get(receipt.office_code)
    period = (
        (receipt.period_start, receipt.period_end)
        if receipt.period_start and receipt.period_end
        else None
    )
    return issue(session, office, kept, ctx, replaces=receipt, period=period)


def resend(session: Session, receipt: Receipt) -> None:
    """Send the same stored PDF again (same Message-ID: a duplicate is recognisable)."""
    if receipt.status != ISSUED or receipt.pdf is None:
        raise ValueError(f"receipt {receipt.number} is void or not yet rendered")
    enqueue(
        session,
        EMAIL_RECEIPT,
        f"resend-{receipt.number}-{utcnow().isoformat()}",
        {"receipt_id": receipt.id},
    )
