"""Making the next batch for an office, and handing back a stored one. Session in, no Flask.

Which gifts: payments of the office whose money the charity kept (succeeded, partially
refunded, or a dispute won), that no refund marked as fraud, kept at least the hold before now,
and in no batch yet. A disputed payment waits until the dispute ends: won, it goes in the next
batch; lost, never. Failed, cancelled, pending, processing and refunded payments never go.

Which consent rows: the office's ledger rows, not sent before, of donors who have a gift in
this or an earlier batch, and tied either to no donation (a later withdrawal or confirmation)
or to a donation with such a gift, so nothing recorded for a failed attempt leaves with them.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import CompoundSelect, Select, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.addresses import format_lines
from checkout.consent.decisions import is_suppressed
from checkout.consent.implied import IMPLIED
from checkout.consent.models import ConsentRecord
from checkout.consent.services import SIGNUP_FORM
from checkout.core.clock import as_utc
from checkout.core.errors import CheckoutError
from checkout.core.files import write_atomically
from checkout.donations.models import Donation, Donor, Payment
from checkout.donations.states import Status
from checkout.receipts.models import Receipt, ReceiptItem
from checkout.transfers import formats
from checkout.transfers.models import (
    OfficeExportBatch,
    OfficeExportConsent,
    OfficeExportCopy,
    OfficeExportCounter,
    OfficeExportGift,
)

#: Payment states whose money the charity keeps for good (a dispute still open is not one).
EXPORTABLE = (Status.SUCCEEDED.value, Status.PARTIALLY_REFUNDED.value, Status.WON.value)
#: Stripe's refund reason that keeps a gift out of every batch.
FRAUDULENT = "fraudulent"
#: The email summary of an address on the office's suppression list, whatever the ledger says.
SUPPRESSED = "suppressed"
EMAIL_SUMMARY = "consent_email_fundraising"
#: Ledger purposes behind each summary column.
SUMMARY_TOPICS = {
    "data_transfer": "consent_transfer_notice",
    "privacy": "consent_transfer_notice",
    "email_fundraising": "consent_email_fundraising",
    "sms_fundraising": "consent_sms_fundraising",
}


class NoSuchBatch(CheckoutError):
    """The office has no batch with that number."""


class BatchErased(CheckoutError):
    """The batch's files were erased after OFFICE_EXPORT_KEEP_DAYS (the office has them)."""


class BatchCorrupted(CheckoutError):
    """A stored file no longer matches the SHA-256 written beside it."""


def export_next(
    session: Session, office_code: str, *, now: datetime, hold: timedelta, hash_key: str
) -> OfficeExportBatch | None:
    """Make the office's next batch inside the caller's transaction; None when nothing is new.

    The office's counter row is locked first, so a second export of the same office waits
    for this one's commit and then sees its gifts as sent. `hash_key` (EVIDENCE_HASH_KEY)
    reads the suppression list: an address that objected is never sent as opted in.
    """
    counter = _locked_counter(session, office_code)
    paid_before = now - hold
    gift_ids = list(session.scalars(_new_gifts(office_code, paid_before)))
    if not gift_ids and session.scalar(_new_consents(office_code).limit(1)) is None:
        return None
    counter.last_number += 1
    batch = _empty_batch(office_code, counter.last_number, now, paid_before)
    session.add(batch)
    session.flush()
    session.add_all(OfficeExportGift(batch_id=batch.id, payment_id=gift) for gift in gift_ids)
    session.flush()  # the consent query below counts this batch's donors as sent
    consent_ids = list(session.scalars(_new_consents(office_code)))
    session.add_all(
        OfficeExportConsent(batch_id=batch.id, consent_record_id=row) for row in consent_ids
    )
    session.flush()
    _fill(batch, formats.render(_content(session, batch, hash_key)))
    session.flush()
    return batch


def _empty_batch(
    office_code: str, number: int, now: datetime, paid_before: datetime
) -> OfficeExportBatch:
    return OfficeExportBatch(
        office_code=office_code,
        number=number,
        created_at=now,
        paid_before=paid_before,
        gift_count=0,
        donor_count=0,
        consent_count=0,
        gifts_csv=b"",
        gifts_csv_sha256="",
        consents_csv=b"",
        consents_csv_sha256="",
        batch_json=b"",
        batch_json_sha256="",
    )


def _fill(batch: OfficeExportBatch, files: formats.BatchFiles) -> None:
    """Store the files, their hashes and counts: written once, never changed after."""
    batch.gifts_csv, batch.gifts_csv_sha256 = files.gifts_csv, _sha256(files.gifts_csv)
    batch.consents_csv = files.consents_csv
    batch.consents_csv_sha256 = _sha256(files.consents_csv)
    batch.batch_json, batch.batch_json_sha256 = files.batch_json, _sha256(files.batch_json)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _locked_counter(session: Session, office_code: str) -> OfficeExportCounter:
    counter = _counter(session, office_code)
    if counter is None:
        try:
            with session.begin_nested():
                session.add(OfficeExportCounter(office_code=office_code, last_number=0))
                session.flush()
        except IntegrityError:
            pass  # a concurrent first export made it; lock theirs
        counter = _counter(session, office_code)
        assert counter is not None
    return counter


def _counter(session: Session, office_code: str) -> OfficeExportCounter | None:
    statement = (
        select(OfficeExportCounter)
        .where(OfficeExportCounter.office_code == office_code)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(statement).first()


def _new_gifts(office_code: str, paid_before: datetime) -> Select[int]:
    kept_at = func.coalesce(Payment.receipt_due_at, Payment.paid_at)
    return (
        select(Payment.id)
        .join(Donation, Payment.donation_id == Donation.id)
        .where(
            Donation.office_code == office_code,
            Donation.donor_id.is_not(None),
            Payment.status.in_(EXPORTABLE),
            or_(Payment.refund_reason.is_(None), Payment.refund_reason != FRAUDULENT),
            kept_at <= paid_before,
            ~exists().where(OfficeExportGift.payment_id == Payment.id),
        )
        .order_by(Payment.id)
    )


def _sent_donations(office_code: str) -> Select[int]:
    """Donations with a gift in any batch of the office (the one being made included)."""
    return (
        select(Payment.donation_id)
        .join(OfficeExportGift, OfficeExportGift.payment_id == Payment.id)
        .join(OfficeExportBatch, OfficeExportBatch.id == OfficeExportGift.batch_id)
        .where(OfficeExportBatch.office_code == office_code)
    )


def _new_consents(office_code: str) -> Select[int]:
    donations = _sent_donations(office_code)
    # Donors with a gift sent, and people who signed up for emails without a gift (/signup):
    # they asked for the office's contact, so their consent rows go although they never gave.
    donors = (
        select(Donation.donor_id)
        .where(Donation.id.in_(donations))
        .union(
            select(ConsentRecord.donor_id).where(
                ConsentRecord.office_code == office_code, ConsentRecord.form == SIGNUP_FORM
            )
        )
    )
    return (
        select(ConsentRecord.id)
        .where(
            ConsentRecord.office_code == office_code,
            ConsentRecord.donor_id.in_(donors),
            or_(ConsentRecord.donation_id.is_(None), ConsentRecord.donation_id.in_(donations)),
            ~exists().where(OfficeExportConsent.consent_record_id == ConsentRecord.id),
        )
        .order_by(ConsentRecord.id)
    )


def _content(session: Session, batch: OfficeExportBatch, hash_key: str) -> formats.BatchContent:
    gifts = _gift_rows(session, batch)
    consents = _consent_rows(session, batch)
    donors = list(_donor_rows(session, batch))
    summaries = _summaries(session, batch)
    for donor in donors:
        if is_suppressed(session, batch.office_code, donor.email, hash_key):
            summaries.setdefault(donor.donor_id, {})[EMAIL_SUMMARY] = SUPPRESSED
    batch.gift_count, batch.consent_count = len(gifts), len(consents)
    batch.donor_count = len(donors)
    return formats.BatchContent(
        office=batch.office_code,
        number=batch.number,
        created_at=batch.created_at,
        paid_before=batch.paid_before,
        donors=tuple(donors),
        gifts=tuple(gifts),
        consents=tuple(consents),
        summaries=summaries,
        notices=tuple(_notices(session, batch)),
    )


def _gift_rows(session: Session, batch: OfficeExportBatch) -> list[formats.GiftRow]:
    receipts = _receipt_numbers(session, batch)
    rows = session.execute(
        select(Payment, Donation)
        .join(OfficeExportGift, OfficeExportGift.payment_id == Payment.id)
        .join(Donation, Donation.id == Payment.donation_id)
        .where(OfficeExportGift.batch_id == batch.id)
        .order_by(Payment.id)
    )
    return [
        formats.GiftRow(
            donor_id=donation.donor_id or 0,
            donation_id=donation.public_id,
            payment_id=payment.id,
            paid_at=payment.paid_at,
            amount_minor=payment.amount_minor,
            refunded_minor=payment.refunded_minor,
            currency=payment.currency,
            frequency=donation.frequency,
            method=donation.method,
            status=payment.status,
            receipt_number=receipts.get(payment.id),
            gift_aid_declared_at=donation.gift_aid_declared_at,
            gift_aid_cancelled_at=donation.gift_aid_cancelled_at,
            gift_aid_claimable=gift_aid_claimable(payment, donation),
        )
        for payment, donation in rows
    ]


def gift_aid_claimable(payment: Payment, donation: Donation) -> bool:
    """A gift carries a Gift Aid claim when it was declared and made before any cancellation
    (a cancellation covers later gifts only; the earlier ones keep their claim)."""
    if donation.gift_aid_declared_at is None:
        return False
    cancelled = donation.gift_aid_cancelled_at
    made = payment.paid_at or payment.receipt_due_at or payment.created_at
    return cancelled is None or (made is not None and as_utc(made) < as_utc(cancelled))


def _receipt_numbers(session: Session, batch: OfficeExportBatch) -> dict[int, str]:
    """The receipt (or statement) standing for each gift, where one was issued yet."""
    rows = session.execute(
        select(ReceiptItem.payment_id, Receipt.number)
        .join(Receipt, Receipt.id == ReceiptItem.receipt_id)
        .join(OfficeExportGift, OfficeExportGift.payment_id == ReceiptItem.payment_id)
        .where(OfficeExportGift.batch_id == batch.id, ReceiptItem.active)
    )
    return {row.payment_id: row.number for row in rows}


def _consent_rows(session: Session, batch: OfficeExportBatch) -> list[formats.ConsentRow]:
    rows = session.execute(
        select(ConsentRecord, Donation.public_id)
        .join(OfficeExportConsent, OfficeExportConsent.consent_record_id == ConsentRecord.id)
        .outerjoin(Donation, Donation.id == ConsentRecord.donation_id)
        .where(OfficeExportConsent.batch_id == batch.id)
        .order_by(ConsentRecord.id)
    )
    return [
        formats.ConsentRow(
            consent_id=row.id,
            donor_id=row.donor_id or 0,
            donation_id=public_id,
            email=row.email,
            purpose=row.purpose,
            decision=row.decision,
            channel=row.channel,
            legal_basis=row.legal_basis,
            notice_version=row.notice.version,
            notice_language=row.notice.language,
            notice_sha256=row.notice_sha256 or row.notice.sha256,
            recorded_at=row.recorded_at,
            form=row.form,
            implied_consent_lapses_at=row.implied_consent_lapses_at,
        )
        for row, public_id in rows
    ]


def _batch_donors(batch: OfficeExportBatch) -> CompoundSelect[int | None]:
    """Ids of the donors with a gift or a consent row in the batch."""
    with_gifts = (
        select(Donation.donor_id)
        .join(Payment, Payment.donation_id == Donation.id)
        .join(OfficeExportGift, OfficeExportGift.payment_id == Payment.id)
        .where(OfficeExportGift.batch_id == batch.id)
    )
    with_consents = (
        select(ConsentRecord.donor_id)
        .join(OfficeExportConsent, OfficeExportConsent.consent_record_id == ConsentRecord.id)
        .where(OfficeExportConsent.batch_id == batch.id)
    )
    return with_gifts.union(with_consents)


def _donor_rows(session: Session, batch: OfficeExportBatch) -> Iterable[formats.DonorRow]:
    donors = session.scalars(
        select(Donor).where(Donor.id.in_(_batch_donors(batch))).order_by(Donor.id)
    ).all()
    for donor in donors:
        yield formats.DonorRow(
            donor_id=donor.id,
            first_name=donor.first_name,
            middle_initial=donor.middle_initial,
            last_name=donor.last_name,
            email=donor.email,
            phone=donor.phone,
            address_line1=donor.address_line1,
            address_line2=donor.address_line2,
            postcode=donor.postcode,
            city=donor.city,
            region=donor.region or "",
            country=donor.country,
            postal_address=tuple(format_lines(donor.postal_address)),
            language=donor.locale,
        )


def _summaries(session: Session, batch: OfficeExportBatch) -> dict[int, dict[str, str]]:
    """Each donor's latest decision per topic, over the rows sent up to this batch."""
    rows = session.execute(
        select(ConsentRecord.donor_id, ConsentRecord.purpose, ConsentRecord.decision)
        .join(OfficeExportConsent, OfficeExportConsent.consent_record_id == ConsentRecord.id)
        .join(OfficeExportBatch, OfficeExportBatch.id == OfficeExportConsent.batch_id)
        .where(
            OfficeExportBatch.office_code == batch.office_code,
            OfficeExportBatch.number <= batch.number,
            ConsentRecord.donor_id.in_(_batch_donors(batch)),
        )
        .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
    )
    summaries: dict[int, dict[str, str]] = defaultdict(dict)
    for donor_id, purpose, decision in rows:
        if purpose in SUMMARY_TOPICS and donor_id is not None and decision != IMPLIED:
            summaries[donor_id][SUMMARY_TOPICS[purpose]] = decision
    return dict(summaries)


def _notices(session: Session, batch: OfficeExportBatch) -> list[formats.NoticeText]:
    rows = session.scalars(
        select(ConsentRecord)
        .join(OfficeExportConsent, OfficeExportConsent.consent_record_id == ConsentRecord.id)
        .where(OfficeExportConsent.batch_id == batch.id)
    ).all()
    notices = {row.notice.sha256: row.notice for row in rows}
    return [
        formats.NoticeText(n.sha256, n.purpose, n.language, n.version, n.text)
        for _, n in sorted(notices.items())
    ]


def stored_batch(session: Session, office_code: str, number: int) -> OfficeExportBatch:
    """Batch `number` of the office, as it was made."""
    batch = session.scalar(
        select(OfficeExportBatch).where(
            OfficeExportBatch.office_code == office_code, OfficeExportBatch.number == number
        )
    )
    if batch is None:
        raise NoSuchBatch(f"office {office_code} has no batch {number}")
    return batch


def file_names(batch: OfficeExportBatch) -> tuple[str, str, str]:
    """The names of the batch's gifts CSV, consents CSV and JSON."""
    stem = f"{batch.office_code}-{batch.number:06d}"
    return f"{stem}.csv", f"{stem}-consents.csv", f"{stem}.json"


def batch_files(batch: OfficeExportBatch) -> dict[str, bytes]:
    """File name -> the stored bytes, each checked against its SHA-256 (after the latest
    redaction, if a donor was redacted from the batch; else as first sent)."""
    stored = (batch.gifts_csv, batch.consents_csv, batch.batch_json)
    pairs = zip(stored, batch.current_sha256(), strict=True)
    files = dict(zip(file_names(batch), pairs, strict=True))
    if batch.erased_at is not None:
        hashes = ", ".join(f"{name} {digest}" for name, (_, digest) in files.items())
        raise BatchErased(
            f"batch {batch.number} of office {batch.office_code}: its files were erased on "
            f"{batch.erased_at:%Y-%m-%d} after the keeping period (SHA-256: {hashes})"
        )
    kept: dict[str, bytes] = {}
    for name, (data, digest) in files.items():
        if data is None or _sha256(data) != digest:
            raise BatchCorrupted(f"{name}: stored bytes no longer match their SHA-256")
        kept[name] = data
    return kept


def record_copy(session: Session, batch: OfficeExportBatch, folder: Path, now: datetime) -> None:
    """Remember that the batch's files are (about to be) written to `folder`, so erasure
    reaches that copy too; recorded before writing, so a crash cannot leave one unknown."""
    path = str(folder.resolve())
    known = session.scalar(
        select(OfficeExportCopy.id).where(
            OfficeExportCopy.batch_id == batch.id, OfficeExportCopy.folder == path
        )
    )
    if known is None:
        session.add(OfficeExportCopy(batch_id=batch.id, folder=path, written_at=now))
        session.flush()


def write_batch(batch: OfficeExportBatch, folder: Path) -> list[Path]:
    """Write the batch's files into `folder` (each replaced whole, never half-written)."""
    written = []
    for name, data in batch_files(batch).items():
        write_atomically(folder / name, data)
        written.append(folder / name)
    return written
