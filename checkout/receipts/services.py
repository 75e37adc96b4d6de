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
from dataclasses import dataclass, field
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
    """What issuing needs besides the database: offices, the PDF renderer, today, mail domain.

    `now` (the worker's clock) makes each office's today its own local day (an office in
    Sydney is a day ahead of one in Toronto); without it, `today` is every office's day.
    """

    offices: OfficeRegistry
    render: Renderer
    today: date
    message_domain: str
    now: datetime | None = None

    def today_for(self, office: Office) -> date:
        """The office's calendar day now: receipt dates and numbers' years are its own."""
        return office.local_date(self.now) if self.now is not None else self.today


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


@dataclass
class Issued:
    """What numbering a set of payments came to, per payment id."""

    #: Each payment's receipt: the one just numbered, or the one that covered it already.
    receipts: dict[int, Receipt] = field(default_factory=dict)
    #: Why a payment got no receipt when one was due (the outbox parks its message as dead).
    refused: dict[int, Exception] = field(default_factory=dict)
    #: The receipts numbered now, in the order of their offices' codes and payments' ids.
    new: list[Receipt] = field(default_factory=list)


def issue_for_payment(session: Session, payment_id: int, ctx: ReceiptContext) -> Receipt | None:
    """The receipt for one payment, once; None when none is due (refunded, or annual only)."""
    issued = issue_for_payments(session, [payment_id], ctx)
    if payment_id in issued.refused:
        raise issued.refused[payment_id]
    return issued.receipts.get(payment_id)


def issue_for_payments(session: Session, payment_ids: list[int], ctx: ReceiptContext) -> Issued:
    """What `issue_for_payment` does for each payment, for many at once.

    The payments are locked first (`lock_payments`), so a refund that lands meanwhile waits
    for this transaction and its revision then finds the receipt, and what is read here is
    their state under the lock; then each office's serials are taken in one step, offices in
    the order of their codes (as `numbering` asks of every transaction that takes several
    offices' counters). An office that may not issue (a German exemption notice too old)
    refuses its payments only; an unknown payment is refused alone.
    """
    lock_payments(session, payment_ids)
    found = session.execute(_payments_with_cover().where(Payment.id.in_(payment_ids))).all()
    issued = Issued()
    for missing in set(payment_ids) - {payment.id for payment, _covered in found}:
        issued.refused[missing] = PermanentFailure(f"no payment {missing}")
    due: dict[str, list[Payment]] = defaultdict(list)
    for payment, covered_by in found:
        office = _office_due(payment, ctx) if covered_by is None else None
        if covered_by is not None:
            issued.receipts[payment.id] = session.get_one(Receipt, covered_by)
        elif office is not None:
            due[office.code].append(payment)
    for code in sorted(due):
        payments = sorted(due[code], key=lambda payment: payment.id)
        try:
            check_exemption(ctx.offices.get(code), ctx.today_for(ctx.offices.get(code)))
        except ReceiptRefused as refusal:
            issued.refused.update(dict.fromkeys((p.id for p in payments), refusal))
            continue
        issued.new += _number_all(session, ctx, code, payments)
    session.add_all(issued.new)
    session.flush()  # the partial unique index refuses a payment already on an active receipt
    enqueue_all(session, RENDER_RECEIPT, [render_message(receipt) for receipt in issued.new])
    issued.receipts.update({receipt.items[0].payment_id: receipt for receipt in issued.new})
    return issued


def _number_all(
    session: Session, ctx: ReceiptContext, code: str, payments: list[Payment]
) -> list[Receipt]:
    """One receipt each for `payments` of office `code`, their serials taken in one step."""
    office = ctx.offices.get(code)
    serials = take_serials(session, code, ctx.today_for(office).year, len(payments))
    return [
        numbered(office, [payment], ctx, serial, recurring=payment.plan_id is not None)
        for payment, serial in zip(payments, serials, strict=True)
    ]


def lock_payments(session: Session, payment_ids: list[int]) -> list[Payment]:
    """The payments, locked until the transaction ends (in the order of their ids) and read
    afresh under the lock.

    Issuing and revising a payment's receipt take this lock before anything else (before a
    receipt counter): a refund that lands while a receipt is being numbered waits for the
    number to be committed, and the revision it queues then finds the receipt; a numbering
    that starts after the refund sees it. SQLite has one writer at a time, which serialises
    the same way.
    """
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.id.in_(payment_ids))
            .order_by(Payment.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


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
) -> Receipt | None:
    """Number a receipt for those of `payments` (one donor) whose money is still kept, and
    queue its rendering; None when none is.

    The payments are locked and read afresh first (see `lock_payments`): one refunded since
    the caller read it is left out.
    """
    check_exemption(office, ctx.today_for(office))
    locked = lock_payments(session, [payment.id for payment in payments])
    payments = [payment for payment in locked if Status(payment.status) in MONEY_KEPT]
    if not payments:
        return None
    serial = next_serial(session, office.code, ctx.today_for(office).year)
    receipt = numbered(
        office, payments, ctx, serial, replaces=replaces, period=period, recurring=recurring
    )
    session.add(receipt)
    session.flush()  # the partial unique index refuses a payment already on an active receipt
    key, payload = render_message(receipt)
    enqueue(session, RENDER_RECEIPT, key, payload)
    return receipt


def numbered(
    office: Office,
    payments: list[Payment],
    ctx: ReceiptContext,
    serial: int,
    *,
    replaces: Receipt | None = None,
    period: tuple[date, date] | None = None,
    recurring: bool = False,
) -> Receipt:
    """Receipt `serial` of this year for `payments` (one donor), with its items (not added
    to the session: the caller adds it, or many at once)."""
    donor = payments[0].donation.donor
    assert donor is not None
    lines = tuple(documents.gift_line(payment, office) for payment in payments)
    language = documents.receipt_language(office, donor.locale)
    year = ctx.today_for(office).year
    number = format_number(office.code, year, serial)
    return Receipt(
        number=number,
        office_code=office.code,
        year=year,
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
        issued_at=ctx.now or utcnow(),  # the moment its number's year and its date come from
        items=[
            ReceiptItem(
                payment_id=payment.id,
                amount_minor=line.amount.minor,
                received_on=line.received_on,
            )
            for payment, line in zip(payments, lines, strict=True)
        ],
    )


def render_message(receipt: Receipt) -> tuple[str, dict[str, int]]:
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
        office.local_date(as_utc(receipt.issued_at)),
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
    payments = lock_payments(session, [item.payment_id for item in receipt.items if item.active])
    void(session, receipt, reason)
    kept = [p for p in payments if Status(p.status) in MONEY_KEPT]
    if not kept:
        return None
    office = ctx.offices.get(receipt.office_code)
    period = (
        (receipt.period_start, receipt.period_end)
        if receipt.period_start and receipt.period_end
        else None
    )
    return issue(session, office, kept, ctx, replaces=receipt, period=period)


@dataclass(frozen=True)
class Revision:
    """What revising a payment's receipt did: the receipt voided, and its replacement."""

    voided: Receipt | None = None
    replacement: Receipt | None = None


def revise_for_payment(session: Session, payment_id: int, ctx: ReceiptContext) -> Revision:
    """What was kept changed: void the payment's receipt, and reissue for what was kept.

    A refund or a lost dispute voids it (and reissues for what is left); a refund that failed
    after the receipt was voided gives the money back to the charity, so a replacement citing
    the voided receipt is issued (`_reissue_kept`). A receipt that already states what is kept
    stays, so a repeated revision changes nothing.

    The payment is locked first, as issuing locks it (`lock_payments`): a receipt being
    numbered for it is committed before this reads, so "no receipt" here means none was or
    will be issued for the money as it was (an issue that starts later sees the refund).
    """
    payments = lock_payments(session, [payment_id])
    if not payments:
        raise PermanentFailure(f"no payment {payment_id}")
    payment = payments[0]
    kept = Status(payment.status) in MONEY_KEPT
    receipt = active_receipt_for(session, payment.id)
    if receipt is None:
        return Revision(replacement=_reissue_kept(session, payment, ctx)) if kept else Revision()
    reason = f"payment {payment.id} is {payment.status}"
    if kept:
        if _states_kept(receipt, payment):
            return Revision()
        return Revision(receipt, void_and_reissue(session, receipt, reason, ctx))
    void(session, receipt, reason)
    return Revision(receipt)


def _states_kept(receipt: Receipt, payment: Payment) -> bool:
    """Whether the receipt's line for `payment` is the amount kept now."""
    kept = payment.amount_minor - payment.refunded_minor
    return any(
        item.payment_id == payment.id and item.active and item.amount_minor == kept
        for item in receipt.items
    )


def _reissue_kept(session: Session, payment: Payment, ctx: ReceiptContext) -> Receipt | None:
    """Money kept after all, with no receipt standing for it (a refund failed after its
    receipt was voided): a replacement citing the receipt voided last, which also carries
    whatever that receipt's own replacement covered (a statement's other gifts). Without a
    voided receipt (it was refunded before one was issued) it is issued as any other."""
    voided = session.scalar(
        select(Receipt)
        .join(ReceiptItem)
        .where(ReceiptItem.payment_id == payment.id, Receipt.status == VOID)
        .order_by(Receipt.id.desc())
        .limit(1)
    )
    if voided is None:
        return issue_for_payment(session, payment.id, ctx)
    successor = session.scalar(
        select(Receipt).where(Receipt.replaces_id == voided.id, Receipt.status == ISSUED)
    )
    payments = [payment]
    if successor is not None:
        payments += [item.payment for item in successor.items if item.active]
        void(session, successor, f"payment {payment.id} is {payment.status} again")
    office = ctx.offices.get(voided.office_code)
    period = (
        (voided.period_start, voided.period_end)
        if voided.period_start and voided.period_end
        else None
    )
    return issue(
        session,
        office,
        payments,
        ctx,
        replaces=successor or voided,
        period=period,
        recurring=voided.recurring,
    )


def pdf_to_show(session: Session, receipt: Receipt, offices: OfficeRegistry) -> bytes:
    """The receipt's PDF as staff or the donor download it again (the support console and the
    portal call this): the stored bytes while it stands; for a void receipt, a copy stamped
    VOID with the date it was voided and its replacement's number. The stored original is
    never changed."""
    if receipt.pdf is None:
        raise ValueError(f"receipt {receipt.number} is not rendered yet, or its PDF was erased")
    if receipt.status != VOID:
        return receipt.pdf
    from checkout.receipts import stamp  # ReportLab and pikepdf load only where PDFs are made

    office = offices.get(receipt.office_code)
    replacement = session.scalar(select(Receipt.number).where(Receipt.replaces_id == receipt.id))
    voided_on = office.local_date(as_utc(receipt.voided_at or utcnow()))
    words = stamp.stamp_text(receipt.kind, receipt.language, voided_on, replacement)
    return stamp.stamped_void(receipt.pdf, words, office.local_date(as_utc(receipt.issued_at)))


def resend(session: Session, receipt: Receipt, to: str | None = None) -> None:
    """Send the same stored PDF again (same Message-ID: a duplicate is recognisable), to the
    donor or to another address `to` that the donor confirmed (support's copy)."""
    if receipt.status != ISSUED or receipt.pdf is None:
        raise ValueError(f"receipt {receipt.number} is void or not yet rendered")
    payload: dict[str, int | str] = {"receipt_id": receipt.id}
    if to:
        payload["to"] = to
    enqueue(session, EMAIL_RECEIPT, f"resend-{receipt.number}-{utcnow().isoformat()}", payload)
