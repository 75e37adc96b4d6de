"""Everything about one donor on one page: gifts, payments, receipts, emails, consent, plans,
refunds and notes, merged into one timeline, plus the side-by-side answer to "was I charged
twice?". Reads only; services take a Session and no Flask.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from checkout.consent.models import ConsentRecord
from checkout.core.clock import as_utc
from checkout.donations.models import Donation, Donor, Payment
from checkout.donations.states import MONEY_KEPT, Status
from checkout.mail.compose import stable_message_id
from checkout.outbox.models import DEAD, DONE, OutboxMessage
from checkout.receipts.models import Receipt
from checkout.staff.permissions import Scope
from checkout.support.models import StaffRefund, SupportNote
from checkout.wizard.models import CheckoutDraft

#: Two kept charges of the same amount this close together look like one gift paid twice.
DOUBLE_CHARGE_WINDOW = timedelta(hours=24)
#: Outbox messages that send an email, and how each one's Message-ID is made.
EMAIL_KINDS = {
    "receipts.render": "receipt",
    "receipts.email": "receipt",
    "receipts.void_notice": "void",
    "consent.confirm_email": "optin",
    "payments.notify_renewal": "renewal",
    "payments.plan_started": "plan",
    "support.copy_link": "copy",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the timeline: when, what kind of thing, and the thing itself."""

    when: datetime
    kind: str
    item: Any
    note: str = ""


@dataclass(frozen=True, slots=True)
class Email:
    """An outbox message of this donor's: what it sends, its Message-ID and how it went."""

    message: OutboxMessage
    kind: str
    message_id: str | None
    state: str  # delivered, dead, pending


@dataclass(frozen=True, slots=True)
class ChargeRow:
    """One PaymentIntent (and its charge) for the donor's address, for comparing."""

    donation: Donation
    payment: Payment | None
    when: datetime
    suspicious: bool = False


@dataclass
class DonorPage:
    """What the donor page shows."""

    donor: Donor
    donations: list[Donation]
    receipts: list[Receipt]
    replaced_by: dict[int, Receipt]
    emails: list[Email]
    consents: list[ConsentRecord]
    notes: list[SupportNote]
    refunds: list[StaffRefund]
    charges: list[ChargeRow]
    drafts: dict[int, Any] = field(default_factory=dict)  # draft id -> (created_at, frozen_at)
    timeline: list[Entry] = field(default_factory=list)


def donor_page(session: Session, donor: Donor, scope: Scope, domain: str) -> DonorPage:
    """Gather the donor's records (and, for the charges, those of their address in the
    offices within `scope`), newest first."""
    donations = list(
        session.scalars(
            select(Donation)
            .where(Donation.donor_id == donor.id)
            .options(
                selectinload(Donation.payments),
                joinedload(Donation.plan),
            )
            .order_by(Donation.id.desc())
        ).unique()
    )
    receipts = list(
        session.scalars(
            select(Receipt)
            .where(Receipt.donor_id == donor.id)
            .options(selectinload(Receipt.items))
            .order_by(Receipt.id.desc())
        )
    )
    page = DonorPage(
        donor=donor,
        donations=donations,
        receipts=receipts,
        replaced_by={r.replaces_id: r for r in receipts if r.replaces_id is not None},
        emails=_emails(session, donations, receipts, domain),
        consents=_consents(session, donor),
        notes=list(
            session.scalars(
                select(SupportNote)
                .where(SupportNote.donor_id == donor.id)
                .order_by(SupportNote.id.desc())
            )
        ),
        refunds=_refunds(session, donations),
        charges=charges_for_address(session, donor.email, scope),
        drafts=_drafts(session, donations),
    )
    page.timeline = _timeline(page)
    return page


def _payments(donations: Iterable[Donation]) -> list[Payment]:
    return [payment for donation in donations for payment in donation.payments]


def _consents(session: Session, donor: Donor) -> list[ConsentRecord]:
    return list(
        session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.donor_id == donor.id)
            .options(joinedload(ConsentRecord.notice))
            .order_by(ConsentRecord.id.desc())
        )
    )


def _refunds(session: Session, donations: list[Donation]) -> list[StaffRefund]:
    ids = [payment.id for payment in _payments(donations)]
    if not ids:
        return []
    return list(
        session.scalars(
            select(StaffRefund).where(StaffRefund.payment_id.in_(ids)).order_by(StaffRefund.id)
        )
    )


def _payload_in(key: str, ids: list[int]) -> ColumnElement[bool] | None:
    """Outbox messages whose payload's `key` is one of `ids`."""
    return OutboxMessage.payload[key].as_integer().in_(ids) if ids else None


def _emails(
    session: Session, donations: list[Donation], receipts: list[Receipt], domain: str
) -> list[Email]:
    """The donor's outbox messages that send email, with their Message-IDs."""
    payments = _payments(donations)
    plan_ids = [d.plan.id for d in donations if d.plan is not None]
    conditions = [
        condition
        for condition in (
            _payload_in("receipt_id", [r.id for r in receipts]),
            _payload_in("payment_id", [p.id for p in payments]),
            _payload_in("donation_id", [d.id for d in donations]),
            _payload_in("plan_id", plan_ids),
        )
        if condition is not None
    ]
    if not conditions:
        return []
    messages = session.scalars(
        select(OutboxMessage)
        .where(or_(*conditions), OutboxMessage.name.in_(sorted(EMAIL_KINDS)))
        .order_by(OutboxMessage.id.desc())
    )
    by_id = {receipt.id: receipt for receipt in receipts}
    return [_email(message, by_id, domain) for message in messages]


def _email(message: OutboxMessage, receipts: dict[int, Receipt], domain: str) -> Email:
    kind = EMAIL_KINDS[message.name]
    receipt = receipts.get(int(message.payload.get("receipt_id") or 0))
    message_id = None
    if kind == "receipt" and receipt is not None:
        message_id = receipt.message_id
    elif kind == "void" and receipt is not None:
        message_id = stable_message_id("void", receipt.number, domain)
    elif kind == "renewal" and message.payload.get("key"):
        message_id = stable_message_id("renewal", str(message.payload["key"]), domain)
    elif kind == "plan" and message.payload.get("plan_id"):
        message_id = stable_message_id("plan", str(message.payload["plan_id"]), domain)
    state = {DONE: "delivered", DEAD: "dead"}.get(message.status, "pending")
    return Email(message, kind, message_id, state)


def charges_for_address(session: Session, email: str, scope: Scope) -> list[ChargeRow]:
    """Every PaymentIntent and charge for this address across drafts (and offices in scope),
    oldest first; kept charges of the same amount within a day of each other are flagged."""
    donations = session.scalars(
        select(Donation)
        .join(Donor, Donation.donor_id == Donor.id)
        .where(func.lower(Donor.email) == email.lower(), scope.where(Donor.office_code))
        .options(selectinload(Donation.payments))
        .order_by(Donation.id)
    ).unique()
    rows: list[ChargeRow] = []
    for donation in donations:
        if not donation.payments:
            rows.append(ChargeRow(donation, None, as_utc(donation.created_at)))
        for payment in donation.payments:
            when = as_utc(payment.paid_at or payment.created_at)
            rows.append(ChargeRow(donation, payment, when))
    return _flag_doubles(sorted(rows, key=lambda row: row.when))


def _flag_doubles(rows: list[ChargeRow]) -> list[ChargeRow]:
    kept = [(row.payment, row.when) for row in rows if row.payment and _kept(row.payment)]
    doubles: set[int] = set()
    for (first, first_at), (second, second_at) in pairwise(kept):
        same = (first.amount_minor, first.currency) == (second.amount_minor, second.currency)
        if same and second_at - first_at <= DOUBLE_CHARGE_WINDOW:
            doubles.update({first.id, second.id})
    return [
        ChargeRow(row.donation, row.payment, row.when, True)
        if row.payment is not None and row.payment.id in doubles
        else row
        for row in rows
    ]


def _kept(payment: Payment) -> bool:
    return Status(payment.status) in MONEY_KEPT


def _drafts(session: Session, donations: list[Donation]) -> dict[int, Any]:
    """When each donation's draft was begun and reached payment (a donation keeps only its
    draft's id)."""
    ids = [donation.draft_id for donation in donations]
    rows = session.execute(
        select(CheckoutDraft.id, CheckoutDraft.created_at, CheckoutDraft.frozen_at).where(
            CheckoutDraft.id.in_(ids)
        )
    )
    return {row.id: row for row in rows}


def _timeline(page: DonorPage) -> list[Entry]:
    """Everything with a moment, newest first."""
    entries: list[Entry] = []
    for donation in page.donations:
        draft = page.drafts.get(donation.draft_id)
        if draft is not None:
            entries.append(Entry(as_utc(draft.created_at), "draft", draft))
        entries.append(Entry(as_utc(donation.created_at), "donation", donation))
        if donation.plan is not None:
            entries.append(Entry(as_utc(donation.plan.created_at), "plan", donation.plan))
            if donation.plan.canceled_at:
                entries.append(
                    Entry(as_utc(donation.plan.canceled_at), "plan_ended", donation.plan)
                )
        for payment in donation.payments:
            entries.append(Entry(as_utc(payment.paid_at or payment.created_at), "payment", payment))
    for receipt in page.receipts:
        entries.append(Entry(as_utc(receipt.issued_at), "receipt", receipt))
        if receipt.voided_at:
            entries.append(Entry(as_utc(receipt.voided_at), "receipt_void", receipt))
    entries += [Entry(as_utc(e.message.created_at), "email", e) for e in page.emails]
    entries += [Entry(as_utc(c.recorded_at), "consent", c) for c in page.consents]
    entries += [Entry(as_utc(r.created_at), "refund", r) for r in page.refunds]
    entries += [Entry(as_utc(n.created_at), "note", n) for n in page.notes]
    return sorted(entries, key=lambda entry: entry.when, reverse=True)
