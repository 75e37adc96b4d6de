"""Retention: personal data is kept as long as the law or an open matter needs it, then erased.

The nightly run (`flask retention run`):

- drafts that never reached payment lose what was typed after RETENTION_DRAFT_DAYS;
- office transfer batches lose their files, in the database and on disk, after
  OFFICE_EXPORT_KEEP_DAYS (the office holds them by then); numbers, counts and hashes stay;
- stored Stripe events lose their (already minimised) payload after STRIPE_EVENT_KEEP_DAYS;
- the donor portal's sign-in links and sessions go after a day, sign-ups never confirmed
  when their link runs out (both hold an address);
- a donor is erased (checkout/retention/erasure.py) once their records have been kept the
  office's period (checkout/retention/periods.py) and nothing is still due.

It works in bounded batches: each batch of donors (or events) is one transaction, committed
through the `commit` the command passes in, which applies the batch's file changes first.
So a large donor base never holds a transaction for long, and a run stopped half way keeps
what it finished and is completed by the next. A dry run's `commit` rolls back instead.
Services take a Session and no Flask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from checkout.core.files import FileChanges
from checkout.donations.models import Donor
from checkout.payments.models import StripeEvent
from checkout.retention import erasure, hooks, periods
from checkout.retention.erasure import ErasureSettings, Tally
from checkout.transfers.erasure import erase_files_before
from checkout.wizard.services import purge_expired

#: Ends one transaction: apply the file changes, then commit (a dry run: roll back instead).
Commit = Callable[[FileChanges], None]


@dataclass(frozen=True, slots=True)
class RetentionPeriods:
    """How long each kind of record is kept, in days (donors: per office, in the registry)."""

    draft_days: int
    batch_days: int
    event_days: int


@dataclass
class RetentionReport:
    """What a run erased (or, in a dry run, would erase)."""

    drafts: int = 0
    links: int = 0  # portal sign-in links and sessions, unconfirmed sign-ups
    batches: int = 0
    events: int = 0
    erased: Tally | None = None
    kept_within_period: int = 0
    kept_still_due: int = 0


def run(
    session: Session,
    settings: ErasureSettings,
    now: datetime,
    keep: RetentionPeriods,
    *,
    batch_size: int,
    commit: Commit,
) -> RetentionReport:
    """Erase what is past its retention, one committed batch at a time."""
    report = RetentionReport(erased=Tally())
    report.drafts = purge_expired(session, timedelta(days=keep.draft_days), now)
    report.links = hooks.forget_old(session, now)  # portal links, pending sign-ups, ...
    commit(FileChanges())
    cutoff = now - timedelta(days=keep.batch_days)
    report.batches, files = erase_files_before(session, cutoff, now, settings.export_root)
    commit(files)
    report.events = _erase_old_events(
        session, now - timedelta(days=keep.event_days), now, batch_size, commit
    )
    _erase_donors(session, settings, now, report, batch_size, commit)
    return report


def _erase_old_events(
    session: Session, before: datetime, now: datetime, batch_size: int, commit: Commit
) -> int:
    """Blank the payloads of events received before `before`, `batch_size` at a time."""
    erased, cursor = 0, 0
    while True:
        ids = list(
            session.scalars(
                select(StripeEvent.id)
                .where(
                    StripeEvent.id > cursor,
                    StripeEvent.received_at < before,
                    StripeEvent.payload_erased_at.is_(None),
                )
                .order_by(StripeEvent.id)
                .limit(batch_size)
            )
        )
        if not ids:
            return erased
        session.execute(
            update(StripeEvent)
            .where(StripeEvent.id.in_(ids))
            .values(payload={}, payload_erased_at=now)
        )
        commit(FileChanges())
        erased, cursor = erased + len(ids), ids[-1]


def _erase_donors(
    session: Session,
    settings: ErasureSettings,
    now: datetime,
    report: RetentionReport,
    batch_size: int,
    commit: Commit,
) -> None:
    """Go through the donors by id, `batch_size` at a time, one transaction per batch."""
    assert report.erased is not None
    cursor = 0
    while True:
        donors = _next_donors(session, cursor, batch_size)
        if not donors:
            return
        cursor = donors[-1].id
        tally = _erase_batch(session, settings, now, report, donors)
        commit(tally.changes)
        tally.changes = FileChanges()
        report.erased.add(tally)


def _next_donors(session: Session, after: int, limit: int) -> list[Donor]:
    """Donors not erased yet, or erased with a Stripe Customer still to delete."""
    return list(
        session.scalars(
            select(Donor)
            .where(
                Donor.id > after,
                or_(Donor.erased_at.is_(None), Donor.stripe_customer_id.is_not(None)),
            )
            .order_by(Donor.id)
            .limit(limit)
        )
    )


def _erase_batch(
    session: Session,
    settings: ErasureSettings,
    now: datetime,
    report: RetentionReport,
    donors: list[Donor],
) -> Tally:
    tally, due = Tally(), []
    for donor in donors:
        if donor.erased_at is not None:
            tally.add(erasure.retry_customers(session, donor, settings))
        elif not periods.period_over(
            session, donor, settings.offices.get(donor.office_code).retention_years, now
        ):
            report.kept_within_period += 1
        elif periods.still_due(session, donor):
            report.kept_still_due += 1
        else:
            due.append(donor)
    if due:
        tally.add(erasure.erase(session, due, settings, now))
    return tally
