"""Erasure in office batches: files past their keeping period, and erased donors in kept ones.

Both the database copy and every copy on disk follow: the folders a batch was written to are
recorded (`office_export_copies`), and the default folder is always looked at too (batches
written before copies were recorded). Changes to files are returned as `FileChanges` for the
command to apply just before it commits. Session in, no Flask.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from checkout.consent.models import ConsentRecord
from checkout.core.files import FileChanges
from checkout.donations.models import Donation, Payment
from checkout.transfers import formats
from checkout.transfers.models import (
    OfficeExportBatch,
    OfficeExportConsent,
    OfficeExportGift,
    OfficeExportRedaction,
)
from checkout.transfers.services import file_names


def folders(batch: OfficeExportBatch, default_root: Path | None) -> list[Path]:
    """Every folder the batch's files may be in."""
    found = [Path(copy.folder) for copy in batch.copies]
    if default_root is not None:
        found.append(default_root / batch.office_code)
    return list(dict.fromkeys(found))


def erase_files_before(
    session: Session, cutoff: datetime, now: datetime, default_root: Path | None
) -> tuple[int, FileChanges]:
    """Erase the files of batches made before `cutoff`, in the database and on disk; the
    numbers, counts and hashes stay. Copies left on disk by batches erased before are
    deleted too. The number of batches erased now, and the files to delete."""
    newly = session.scalars(
        select(OfficeExportBatch).where(
            OfficeExportBatch.created_at < cutoff, OfficeExportBatch.erased_at.is_(None)
        )
    ).all()
    for batch in newly:
        batch.gifts_csv = batch.consents_csv = batch.batch_json = None
        batch.erased_at = now
    changes = FileChanges()
    erased = session.scalars(select(OfficeExportBatch).where(OfficeExportBatch.erased_at <= now))
    for batch in erased:
        changes.deletes |= _existing(batch, default_root)
    return len(newly), changes


def _existing(batch: OfficeExportBatch, default_root: Path | None) -> set[Path]:
    return {
        folder / name
        for folder in folders(batch, default_root)
        for name in file_names(batch)
        if (folder / name).exists()
    }


def batches_of(session: Session, donor_ids: Iterable[int]) -> list[OfficeExportBatch]:
    """The batches that carried a gift or a consent row of these donors (erased or kept)."""
    ids = list(donor_ids)
    with_gifts = (
        select(OfficeExportGift.batch_id)
        .join(Payment, Payment.id == OfficeExportGift.payment_id)
        .join(Donation, Donation.id == Payment.donation_id)
        .where(Donation.donor_id.in_(ids))
    )
    with_consents = (
        select(OfficeExportConsent.batch_id)
        .join(ConsentRecord, ConsentRecord.id == OfficeExportConsent.consent_record_id)
        .where(ConsentRecord.donor_id.in_(ids))
    )
    return list(
        session.scalars(
            select(OfficeExportBatch)
            .where(
                or_(OfficeExportBatch.id.in_(with_gifts), OfficeExportBatch.id.in_(with_consents))
            )
            .order_by(OfficeExportBatch.office_code, OfficeExportBatch.number)
        )
    )


def redact_donors(
    session: Session, donor_ids: set[int], now: datetime, default_root: Path | None
) -> tuple[int, FileChanges]:
    """Blank these donors' personal data in every batch still kept, in the database and in
    the copies on disk, recording each redaction with the files' new hashes. The number of
    batches changed, and the files to rewrite."""
    changes, changed = FileChanges(), 0
    for batch in batches_of(session, donor_ids):
        pending = _not_yet_redacted(session, batch, donor_ids)
        if batch.erased_at is not None or not pending:
            continue
        files = formats.redact(_stored(batch), pending)
        _store(session, batch, files, pending, now)
        by_name = dict(zip(file_names(batch), _bytes(files), strict=True))
        for path in _existing(batch, default_root):
            changes.writes[path] = by_name[path.name]
        changed += 1
    return changed, changes


def _not_yet_redacted(session: Session, batch: OfficeExportBatch, donor_ids: set[int]) -> set[int]:
    done = set(
        session.scalars(
            select(OfficeExportRedaction.donor_id).where(OfficeExportRedaction.batch_id == batch.id)
        )
    )
    return _carried(session, batch, donor_ids) - done


def _carried(session: Session, batch: OfficeExportBatch, donor_ids: set[int]) -> set[int]:
    """Which of `donor_ids` the batch carries."""
    with_gifts = session.scalars(
        select(Donation.donor_id)
        .join(Payment, Payment.donation_id == Donation.id)
        .join(OfficeExportGift, OfficeExportGift.payment_id == Payment.id)
        .where(OfficeExportGift.batch_id == batch.id, Donation.donor_id.in_(donor_ids))
    )
    with_consents = session.scalars(
        select(ConsentRecord.donor_id)
        .join(OfficeExportConsent, OfficeExportConsent.consent_record_id == ConsentRecord.id)
        .where(OfficeExportConsent.batch_id == batch.id, ConsentRecord.donor_id.in_(donor_ids))
    )
    return {donor for donor in [*with_gifts, *with_consents] if donor is not None}


def _stored(batch: OfficeExportBatch) -> formats.BatchFiles:
    return formats.BatchFiles(
        batch.gifts_csv or b"", batch.consents_csv or b"", batch.batch_json or b""
    )


def _bytes(files: formats.BatchFiles) -> tuple[bytes, bytes, bytes]:
    return files.gifts_csv, files.consents_csv, files.batch_json


def _store(
    session: Session,
    batch: OfficeExportBatch,
    files: formats.BatchFiles,
    donor_ids: set[int],
    now: datetime,
) -> None:
    batch.gifts_csv, batch.consents_csv, batch.batch_json = _bytes(files)
    digests = [hashlib.sha256(data).hexdigest() for data in _bytes(files)]
    for donor_id in sorted(donor_ids):
        session.add(
            OfficeExportRedaction(
                batch_id=batch.id,
                donor_id=donor_id,
                redacted_at=now,
                gifts_csv_sha256=digests[0],
                consents_csv_sha256=digests[1],
                batch_json_sha256=digests[2],
            )
        )
    session.flush()
    session.expire(batch, ["redactions"])
