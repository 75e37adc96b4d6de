"""Erasing a donor everywhere we wrote them, and restricting what the law still needs.

Full erasure (the tax period is over, or nothing needs keeping) blanks the donor's name,
address, phone and email (a placeholder keeps the office's email index unique); the names and
PDFs on their receipts (numbers, amounts and the PDF's SHA-256 stay for the accounts) and
support's free-text reasons for voiding them; the email, IP hash and user agent of their
consent rows (the one change the ledger's triggers accept); every draft they typed, matched
by donation or by the email typed; the stored Stripe events about their objects; their
Stripe Customer (deleted through the gateway, then the ids blanked); their data in every
office batch still kept (database and disk, the redaction recorded); and the stored copies
of emails sent to them (the file transport's .eml files). The suppression list keeps its
keyed hash, so an objection outlives the erasure.

Restriction (an erasure request inside the tax period) erases all of that except what tax law
needs kept (name, address, email, receipts and the consent evidence), marks the donor
restricted until the period ends, and puts the address on the office's suppression list.

File changes are returned, never made here: the command applies them before it commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import getaddresses
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from checkout.consent.decisions import suppress
from checkout.consent.models import ConsentRecord
from checkout.core.files import FileChanges
from checkout.donations.models import Donation, Donor, Payment, RecurringPlan
from checkout.offices import OfficeRegistry
from checkout.payments.gateway import GatewayError, PaymentGateway
from checkout.payments.models import StripeEvent
from checkout.receipts.models import Receipt
from checkout.transfers.erasure import redact_donors
from checkout.wizard.flow import stored_fields
from checkout.wizard.models import CheckoutDraft

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ErasureSettings:
    """What erasure needs besides the database: the offices, Stripe, and where files are."""

    offices: OfficeRegistry
    gateway: PaymentGateway | None  # None in a dry run: nothing is deleted at Stripe
    mail_folder: Path | None  # the file transport's folder, if mail is written to files
    export_root: Path | None  # the default folder of office batches
    hash_key: str  # EVIDENCE_HASH_KEY, for the suppression list


@dataclass
class Tally:
    """What an erasure changed."""

    donors: int = 0
    receipts: int = 0
    consent_rows: int = 0
    drafts: int = 0
    events: int = 0
    batches: int = 0
    customers: int = 0
    customers_failed: int = 0
    changes: FileChanges = field(default_factory=FileChanges)

    def add(self, other: Tally) -> None:
        """Add `other`'s counts and file changes to these."""
        for name in ("donors", "receipts", "consent_rows", "drafts", "events", "batches"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.customers += other.customers
        self.customers_failed += other.customers_failed
        self.changes.merge(other.changes)


def erase(session: Session, donors: list[Donor], settings: ErasureSettings, now: datetime) -> Tally:
    """Erase these donors completely (the caller checked that nothing needs keeping)."""
    tally = _erase_extras(session, donors, settings, now)
    for donor in donors:
        tally.receipts += _erase_receipts(session, donor, now)
        tally.consent_rows += _erase_consent_rows(session, donor)
        _blank(donor, now)
        tally.donors += 1
    session.flush()
    return tally


def restrict(
    session: Session, donor: Donor, until: date, settings: ErasureSettings, now: datetime
) -> Tally:
    """Erase what tax law does not need of this donor; keep the rest, restricted, `until`."""
    tally = _erase_extras(session, [donor], settings, now)
    suppress(session, donor.office_code, donor.email, settings.hash_key, "erasure_request")
    donor.phone = ""
    donor.restricted_at = donor.restricted_at or now
    donor.restricted_until = until
    session.flush()
    return tally


def erase_address(
    session: Session, address: str, settings: ErasureSettings, now: datetime
) -> Tally:
    """Drafts typed with the address, and emails stored for it, whoever they belong to."""
    tally = Tally()
    tally.drafts = _erase_drafts_typed_by(session, {address}, now)
    if settings.mail_folder is not None:
        tally.changes.deletes |= set(emails_to(settings.mail_folder, {address}))
    return tally


def retry_customers(session: Session, donor: Donor, settings: ErasureSettings) -> Tally:
    """An erased donor whose Stripe Customer could not be deleted last time: try again."""
    tally = Tally()
    _delete_customers(session, donor, settings, tally)
    return tally


def _erase_extras(
    session: Session, donors: list[Donor], settings: ErasureSettings, now: datetime
) -> Tally:
    """Everything both erasure and restriction remove."""
    tally = Tally()
    addresses = {donor.email.strip().lower() for donor in donors}
    for donor in donors:
        tally.drafts += _erase_drafts(session, donor, now)
        tally.events += _erase_events(session, donor, now)
        _erase_void_reasons(session, donor)
        _delete_customers(session, donor, settings, tally)
    tally.drafts += _erase_drafts_typed_by(session, addresses, now)
    ids = {donor.id for donor in donors}
    tally.batches, changes = redact_donors(session, ids, now, settings.export_root)
    tally.changes.merge(changes)
    if settings.mail_folder is not None:
        tally.changes.deletes |= set(emails_to(settings.mail_folder, addresses))
    return tally


def _erase_receipts(session: Session, donor: Donor, now: datetime) -> int:
    receipts = session.scalars(
        select(Receipt).where(Receipt.donor_id == donor.id, Receipt.erased_at.is_(None))
    ).all()
    for receipt in receipts:
        receipt.donor_snapshot = {}
        receipt.pdf = None
        receipt.erased_at = now
    return len(receipts)


def _erase_void_reasons(session: Session, donor: Donor) -> None:
    """Support's free-text reasons may quote a name or an address: the fact of the void stays."""
    session.execute(
        update(Receipt)
        .where(Receipt.donor_id == donor.id, Receipt.void_reason.is_not(None))
        .values(void_reason="")
    )


def _erase_consent_rows(session: Session, donor: Donor) -> int:
    """Blank the personal parts of the donor's ledger rows (decisions and texts stay)."""
    result = session.execute(
        update(ConsentRecord)
        .where(ConsentRecord.donor_id == donor.id, ConsentRecord.email != "")
        .values(email="", ip_hash=None, user_agent=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _erase_drafts(session: Session, donor: Donor, now: datetime) -> int:
    draft_ids = session.scalars(select(Donation.draft_id).where(Donation.donor_id == donor.id))
    result = session.execute(
        update(CheckoutDraft)
        .where(CheckoutDraft.id.in_(list(draft_ids)), CheckoutDraft.purged_at.is_(None))
        .values(data={}, purged_at=now)
    )
    session.execute(  # it lets a browser confirm a payment; nothing is left to confirm
        update(Donation).where(Donation.donor_id == donor.id).values(stripe_client_secret=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _erase_drafts_typed_by(session: Session, addresses: set[str], now: datetime) -> int:
    """The donor's other drafts (another attempt, a copy to give again), found by the email
    typed into them."""
    ids = [draft.id for draft in drafts_typed_by(session, addresses)]
    if ids:
        session.execute(
            update(CheckoutDraft).where(CheckoutDraft.id.in_(ids)).values(data={}, purged_at=now)
        )
    return len(ids)


def drafts_typed_by(session: Session, addresses: set[str]) -> Iterator[CheckoutDraft]:
    """Drafts still holding what was typed whose email is one of `addresses` (lower case).

    Drafts are few (they expire and are purged), and their data is JSON: read in pages.
    """
    query = (
        select(CheckoutDraft)
        .where(CheckoutDraft.purged_at.is_(None))
        .order_by(CheckoutDraft.id)
        .execution_options(yield_per=500)
    )
    for draft in session.scalars(query):
        typed = stored_fields(draft.data or {}, "details").get("email")
        if isinstance(typed, str) and typed.strip().lower() in addresses:
            yield draft


def stripe_ids(session: Session, donor: Donor) -> set[str]:
    """Every Stripe id of the donor's objects: customers, intents, charges, invoices, plans."""
    donations = select(Donation.id).where(Donation.donor_id == donor.id)
    found: set[str | None] = {donor.stripe_customer_id}
    found |= set(
        session.scalars(
            select(Donation.stripe_payment_intent_id).where(Donation.donor_id == donor.id)
        )
    )
    for column in (
        Payment.stripe_payment_intent_id,
        Payment.stripe_charge_id,
        Payment.stripe_invoice_id,
        Payment.stripe_subscription_id,
        Payment.stripe_customer_id,
    ):
        found |= set(session.scalars(select(column).where(Payment.donation_id.in_(donations))))
    for column in (RecurringPlan.stripe_subscription_id, RecurringPlan.stripe_customer_id):
        found |= set(
            session.scalars(select(column).where(RecurringPlan.donation_id.in_(donations)))
        )
    return {ident for ident in found if ident}


def _erase_events(session: Session, donor: Donor, now: datetime) -> int:
    """Stored events about the donor's objects keep their id, type and outcome only."""
    ids = stripe_ids(session, donor)
    if not ids:
        return 0
    result = session.execute(
        update(StripeEvent)
        .where(StripeEvent.object_id.in_(ids), StripeEvent.payload_erased_at.is_(None))
        .values(payload={}, payload_erased_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _customer_ids(session: Session, donor: Donor) -> set[str]:
    donations = select(Donation.id).where(Donation.donor_id == donor.id)
    found: set[str | None] = {donor.stripe_customer_id}
    found |= set(
        session.scalars(
            select(RecurringPlan.stripe_customer_id).where(RecurringPlan.donation_id.in_(donations))
        )
    )
    found |= set(
        session.scalars(
            select(Payment.stripe_customer_id).where(Payment.donation_id.in_(donations))
        )
    )
    return {ident for ident in found if ident}


def _delete_customers(
    session: Session, donor: Donor, settings: ErasureSettings, tally: Tally
) -> None:
    """Delete the donor's Customers at Stripe (nothing is due), then blank our ids. Should
    Stripe be unreachable, the ids stay and the next run tries again."""
    customers = _customer_ids(session, donor)
    if not customers:
        return
    if settings.gateway is not None:
        try:
            for customer in sorted(customers):
                settings.gateway.delete_customer(donor.office_code, customer)
        except GatewayError as error:
            log.warning("donor %s: Stripe Customer not deleted yet (%s)", donor.id, error.code)
            tally.customers_failed += 1
            return
    tally.customers += len(customers)
    _blank_customer_ids(session, donor, customers)


def _blank_customer_ids(session: Session, donor: Donor, customers: Iterable[str]) -> None:
    ids = list(customers)
    donor.stripe_customer_id = None
    donations = select(Donation.id).where(Donation.donor_id == donor.id)
    session.execute(
        update(RecurringPlan)
        .where(RecurringPlan.donation_id.in_(donations))
        .values(stripe_customer_id=None)
    )
    session.execute(
        update(Payment)
        .where(Payment.donation_id.in_(donations), or_(Payment.stripe_customer_id.in_(ids)))
        .values(stripe_customer_id=None)
    )


def _blank(donor: Donor, now: datetime) -> None:
    donor.email = f"erased-{donor.id}@erased.invalid"
    donor.first_name = donor.last_name = donor.middle_initial = ""
    donor.address_line1 = donor.address_line2 = donor.postcode = donor.city = donor.phone = ""
    donor.region = None
    donor.erased_at = now


def emails_to(folder: Path, addresses: set[str]) -> Iterator[Path]:
    """The stored emails (.eml files) addressed to any of `addresses` (lower case)."""
    if not addresses or not folder.is_dir():
        return
    parser = BytesHeaderParser(policy=default_policy)
    for path in sorted(folder.glob("*.eml")):
        try:
            with path.open("rb") as file:
                headers = parser.parse(file)
        except OSError:
            continue
        fields = [str(value) for name in ("To", "Cc", "Bcc") for value in headers.get_all(name, [])]
        if any(address.lower() in addresses for _, address in getaddresses(fields)):
            yield path
