"""Retention: personal data is kept as long as the law or an open matter needs it, then erased.

- Drafts that never reached payment lose what was typed after RETENTION_DRAFT_DAYS.
- Office transfer batches lose their files after OFFICE_EXPORT_KEEP_DAYS (the office holds
  them by then); numbers, counts and SHA-256 hashes stay as proof of what was sent.
- A donor is erased once every gift's tax record is past the office's `retention_years`
  (counted, as tax law counts, from the end of the year of the last gift) and nothing is still
  due: no recurring gift that may debit again, no payment pending, processing or disputed.
- Erasure blanks the donor's name, address, phone and email (a placeholder keeps the office's
  email index unique), the drafts they typed, the names and PDFs on their receipts (numbers,
  amounts and the PDF's SHA-256 stay for the accounts), and the email, IP hash and user agent
  of their consent rows (the one change the ledger's triggers accept). The office's suppression
  list keeps its keyed hash, so an objection outlives the erasure.

Services take a Session and no Flask; a dry run is the same work rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from checkout.consent.models import ConsentRecord
from checkout.core.clock import as_utc
from checkout.donations.models import Donation, Donor, Payment, RecurringPlan
from checkout.donations.states import Status
from checkout.offices import OfficeRegistry
from checkout.receipts.models import Receipt
from checkout.transfers.services import erase_files_before
from checkout.wizard.models import CheckoutDraft
from checkout.wizard.services import purge_expired

#: Stripe subscription states after which a plan never debits again.
_ENDED_PLANS = frozenset({"canceled", "incomplete_expired"})
#: Donation and payment states that are still open: money may yet move.
_OPEN = frozenset({Status.PENDING, Status.PROCESSING, Status.DISPUTED})


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What a run erased (or, in a dry run, would erase)."""

    drafts: int
    batches: int
    donors: int
    receipts: int
    consent_rows: int
    kept_within_period: int
    kept_still_due: int


def run(
    session: Session, offices: OfficeRegistry, now: datetime, draft_days: int, batch_days: int
) -> RetentionReport:
    """Erase what is past its retention; the caller commits (or rolls back for a dry run)."""
    drafts = purge_expired(session, timedelta(days=draft_days), now)
    batches = erase_files_before(session, now - timedelta(days=batch_days), now)
    erased = receipts = rows = within = due = 0
    for donor in session.scalars(select(Donor).where(Donor.erased_at.is_(None)).order_by(Donor.id)):
        years = offices.get(donor.office_code).retention_years
        if not _period_over(session, donor, years, now):
            within += 1
        elif _still_due(session, donor):
            due += 1
        else:
            receipts += _erase_receipts(session, donor, now)
            rows += _erase_consent_rows(session, donor)
            drafts += _erase_drafts(session, donor, now)
            _erase_donor(donor, now)
            erased += 1
    session.flush()
    return RetentionReport(drafts, batches, erased, receipts, rows, within, due)


def _last_gift_year(session: Session, donor: Donor) -> int | None:
    """The year of the donor's last payment, or of their last donation if none was paid."""
    paid = session.scalar(
        select(func.max(Payment.paid_at)).join(Donation).where(Donation.donor_id == donor.id)
    )
    started = session.scalar(
        select(func.max(Donation.created_at)).where(Donation.donor_id == donor.id)
    )
    moments = [as_utc(m) for m in (paid, started) if m is not None]
    return max(moments).year if moments else None


def _period_over(session: Session, donor: Donor, years: int, now: datetime) -> bool:
    """True once the records of the donor's last gift year have been kept `years` full years."""
    last = _last_gift_year(session, donor)
    if last is None:
        last = as_utc(donor.created_at).year
    return now.year > last + years


def _still_due(session: Session, donor: Donor) -> bool:
    """A plan that may debit again, or money still moving, keeps the donor's data."""
    open_values = [status.value for status in _OPEN]
    live_plan = session.scalar(
        select(RecurringPlan.id)
        .join(Donation)
        .where(Donation.donor_id == donor.id, RecurringPlan.status.not_in(_ENDED_PLANS))
        .limit(1)
    )
    open_donation = session.scalar(
        select(Donation.id)
        .where(Donation.donor_id == donor.id, Donation.status.in_(open_values))
        .limit(1)
    )
    open_payment = session.scalar(
        select(Payment.id)
        .join(Donation)
        .where(Donation.donor_id == donor.id, Payment.status.in_(open_values))
        .limit(1)
    )
    return any(found is not None for found in (live_plan, open_donation, open_payment))


def _erase_receipts(session: Session, donor: Donor, now: datetime) -> int:
    receipts: Sequence[Receipt] = session.scalars(
        select(Receipt).where(Receipt.donor_id == donor.id, Receipt.erased_at.is_(None))
    ).all()
    for receipt in receipts:
        receipt.donor_snapshot = {}
        receipt.pdf = None
        receipt.erased_at = now
    return len(receipts)


def _erase_consent_rows(session: Session, donor: Donor) -> int:
    """Blank the personal parts of the donor's ledger rows (decisions and texts stay)."""
    result = session.execute(
        update(ConsentRecord)
        .where(ConsentRecord.donor_id == donor.id, ConsentRecord.email != "")
        .values(email="", ip_hash=None, user_agent=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _erase_drafts(session: Session, donor: Donor, now: datetime) -> int:
    draft_ids: Iterable[int] = session.scalars(
        select(Donation.draft_id).where(Donation.donor_id == donor.id)
    ).all()
    result = session.execute(
        update(CheckoutDraft)
        .where(CheckoutDraft.id.in_(list(draft_ids)), CheckoutDraft.purged_at.is_(None))
        .values(data={}, purged_at=now)
    )
    session.execute(  # it lets a browser confirm a payment; nothing is left to confirm
        update(Donation).where(Donation.donor_id == donor.id).values(stripe_client_secret=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _erase_donor(donor: Donor, now: datetime) -> None:
    donor.email = f"erased-{donor.id}@erased.invalid"
    donor.first_name = donor.last_name = donor.middle_initial = ""
    donor.address_line1 = donor.address_line2 = donor.postcode = donor.city = donor.phone = ""
    donor.erased_at = now
