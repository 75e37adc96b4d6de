"""Issuing, voiding, reissuing and resending receipts. Services take a Session; no Flask here.

Issuing is two short steps. First the number is taken from the counter and the receipt row
written, in one transaction: a rollback undoes both, so the sequence has no gaps, and the
counter's lock is held only for that. Then (an outbox message later) the PDF is rendered
once and stored with its SHA-256, and the same message emails it: rendering takes
milliseconds, and doing it under the counter's lock would let only one worker per office make
receipts. A worker numbers a batch of payments at once (`issue_for_payments`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from checkout.core.clock import as_utc, utcnow
from checkout.core.money import Money
from checkout.donations.models import Donation, Payment
from checkout.donations.states import MONEY_KEPT, Status
from checkout.offices import Office, OfficeRegistry
from checkout.outbox.registry import PermanentFailure, enqueue, enqueue_all
from checkout.receipts import documents
from checkout.receipts.document import GiftLine, ReceiptDocument
from checkout.receipts.models import ISSUED, VOID, Receipt, ReceiptItem
from checkout.receipts.numbering import format_number, next_serial, take_serials

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
    found = session.execute(_payments_with_cover().where(Payment.id == payment_id)).first()
    if found is None:
        raise PermanentFailure(f"no payment {payment_id}")
    payment, covered_by = found
    if covered_by is not None:
        return session.get(Receipt, covered_by)
    office = _office_due(payment, ctx)
    if office is None:
        return None
    return issue(session, office, [payment], ctx, recurring=payment.plan_id is not None)


def issue_for_payments(
    session: Session, payment_ids: list[int], ctx: ReceiptContext
) -> list[Receipt]:
    """What `issue_for_payment` does for each payment, for many at once: the new receipts.

    The payments are read in one query; each office's serials are taken in one step, offices
    in the order of their codes (as `numbering` asks of every transaction that takes several
    offices' counters); the receipts, their items and their rendering messages are written in
    a statement each. All or nothing: a refusal for any payment raises, and the caller runs
    them one by one instead.
    """
    found = session.execute(_payments_with_cover().where(Payment.id.in_(payment_ids))).all()
    missing = set(payment_ids) - {payment.id for payment, _covered in found}
    if missing:
        raise PermanentFailure(f"no payments {sorted(missing)}")
    due: dict[str, list[Payment]] = defaultdict(list)
    for payment, covered_by in found:
        office = _office_due(payment, ctx) if covered_by is None else None
        if office is not None:
            due[office.code].append(payment)
    receipts: list[Receipt] = []
    for code in sorted(due):
        office = ctx.offices.get(code)
        check_exemption(office, ctx.today)
        payments = sorted(due[code], key=lambda payment: payment.id)
        serials = take_serials(session, code, ctx.today.year, len(payments))
        receipts += [
            _numbered(office, [payment], ctx, serial, recurring=payment.plan_id is not None)
            for payment, serial in zip(payments, serials, strict=True)
        ]
    session.add_all(receipts)
    session.flush()  # the partial unique index refuses a payment already on an active receipt
    enqueue_all(session, RENDER_RECEIPT, [_render_message(receipt) for receipt in receipts])
    return receipts


def _payments_with_cover() -> Select[Payment, int]:
    """Payments with their donation and donor (issuing needs both) and the id of the active
    receipt that covers each already, if one does: one query."""
    return (
        select(Payment, ReceiptItem.receipt_id)
        .outerjoin(
            ReceiptItem, (ReceiptItem.payment_id == Payment.id) & ReceiptItem.active.is_(True)
        )
        .options(_WITH_DONOR)
    )


def _office_due(payment: Payment, ctx: ReceiptContext) -> Office | None:
    """The office that owes this uncovered payment a receipt now, or None: no money was kept,
    or the office confirms recurring gifts once a year."""
    if Status(payment.status) not in MONEY_KEPT:
        return None
    office = ctx.offices.get(payment.donation.office_code)
    if payment.plan_id is not None and not office.receipt_per_instalment:
        return None
    return office


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
    serial = next_serial(session, office.code, ctx.today.year)
    receipt = _numbered(
        office, payments, ctx, serial, replaces=replaces, period=period, recurring=recurring
    )
    session.add(receipt)
    session.flush()  # the partial unique index refuses a payment already on an active receipt
    key, payload = _render_message(receipt)
    enqueue(session, RENDER_RECEIPT, key, payload)
    return receipt


def _numbered(
    office: Office,
    payments: list[Payment],
    ctx: ReceiptContext,
    serial: int,
    *,
    replaces: Receipt | None = None,
    period: tuple[date, date] | None = None,
    recurring: bool = False,
) -> Receipt:
    """Receipt `serial` of this year for `payments` (one donor), with its items."""
    donor = payments[0].donation.donor
    assert donor is not None
    lines = tuple(documents.gift_line(payment) for payment in payments)
    language = documents.receipt_language(office, donor.locale)
    number = format_number(office.code, ctx.today.year, serial)
    return Receipt(
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
        items=[
            ReceiptItem(
                payment_id=payment.id,
                amount_minor=line.amount.minor,
                received_on=line.received_on,
            )
            for payment, line in zip(payments, lines, strict=True)
        ],
    )


def _render_message(receipt: Receipt) -> tuple[str, dict[str, int]]:
    """The outbox key and payload that render a numbered receipt and email it."""
    return f"render-{receipt.number}", {"receipt_id": receipt.id}


def render(session: Session, receipt: Receipt, ctx: ReceiptContext) -> None:
    """Render the numbered receipt once and store it with its hash (the handler that calls
    this emails it, in the same message)."""
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


def payments_of(receipt: Receipt) -> list[Payment]:
    """The receipt's payments, in the order of its items (load it `WITH_PAYMENTS`)."""
    return [item.payment for item in receipt.items]


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


def resend(session: Session, receipt: Receipt, to: str | None = None) -> None:
    """Send the same stored PDF again (same Message-ID: a duplicate is recognisable), to the
    donor or to another address `to` that the donor confirmed."""
    if receipt.status != ISSUED or receipt.pdf is None:
        raise ValueError(f"receipt {receipt.number} is void or not yet rendered")
    payload: dict[str, int | str] = {"receipt_id": receipt.id}
    if to:
        payload["to"] = to
    enqueue(session, EMAIL_RECEIPT, f"resend-{receipt.number}-{utcnow().isoformat()}", payload)
