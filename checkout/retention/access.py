"""A donor's subject-access export: everything we hold about an email address, as JSON.

Covers every office the address gave to: the donor record (with its Stripe Customer id and
whether it is restricted), donations, payments and recurring plans with their Stripe ids, the
Stripe events stored about them, receipts (numbers, amounts and the PDF's SHA-256; the PDFs
themselves on request), every consent decision in full with the exact text it cites, the
office batches that carried the data (the recipients: which office, which batch, when, and
whether its files were erased or the donor redacted since), the emails sent (receipts and
the other messages, with when), whether the address is on an office's suppression list, and
any draft or stored email still holding the address. Amounts are integer minor units with
their currency. Services take a Session and no Flask.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.consent.models import ConsentRecord, Suppression
from checkout.consent.services import CONFIRM_EMAIL, email_hash
from checkout.donations.models import Donation, Donor
from checkout.outbox.models import OutboxMessage
from checkout.payments.events import NOTIFY_RENEWAL
from checkout.payments.models import StripeEvent
from checkout.payments.sync import PLAN_STARTED
from checkout.receipts.models import Receipt
from checkout.retention.erasure import ErasureSettings, drafts_typed_by, emails_to, stripe_ids
from checkout.transfers.erasure import batches_of
from checkout.transfers.models import OfficeExportRedaction
from checkout.wizard.services import typed

_DONOR_FIELDS = (
    "id",
    "office_code",
    "email",
    "first_name",
    "middle_initial",
    "last_name",
    "country",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "region",
    "phone",
    "locale",
    "stripe_customer_id",
    "restricted_at",
    "restricted_until",
    "created_at",
    "updated_at",
)
_DONATION_FIELDS = (
    "public_id",
    "office_code",
    "currency",
    "amount_minor",
    "fee_minor",
    "frequency",
    "method",
    "status",
    "stripe_payment_intent_id",
    "gift_aid_declared_at",
    "gift_aid_cancelled_at",
    "created_at",
)
_PLAN_FIELDS = (
    "status",
    "interval",
    "stripe_subscription_id",
    "stripe_customer_id",
    "mandate_reference",
    "mandate_revoked_at",
    "current_period_end",
    "cancel_at_period_end",
    "cancel_at",
    "canceled_at",
)
_PAYMENT_FIELDS = (
    "status",
    "amount_minor",
    "currency",
    "refunded_minor",
    "refund_reason",
    "stripe_payment_intent_id",
    "stripe_charge_id",
    "stripe_invoice_id",
    "stripe_subscription_id",
    "stripe_customer_id",
    "paid_at",
    "created_at",
)
_RECEIPT_FIELDS = (
    "number",
    "kind",
    "status",
    "currency",
    "total_minor",
    "period_start",
    "period_end",
    "donor_snapshot",
    "pdf_sha256",
    "issued_at",
    "voided_at",
    "void_reason",
)
_CONSENT_FIELDS = (
    "id",
    "recorded_at",
    "office_code",
    "office_legal_name",
    "purpose",
    "channel",
    "legal_basis",
    "decision",
    "email",
    "form",
    "url",
    "ip_hash",
    "user_agent",
    "notice_sha256",
    "implied_consent_lapses_at",
)
_NOTICE_FIELDS = ("id", "purpose", "language", "version", "sha256", "text", "first_shown_at")
_EVENT_FIELDS = ("event_id", "type", "object_id", "received_at", "outcome", "payload")
#: Other emails sent through the outbox, and which of the donor's ids their payload names.
_OTHER_EMAILS = {
    CONFIRM_EMAIL: "record_id",
    NOTIFY_RENEWAL: "donation_id",
    PLAN_STARTED: "plan_id",
}


def _plain(value: Any) -> Any:
    """JSON-ready: datetimes and dates as ISO 8601, everything else as is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _fields(row: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(row, name)) for name in names}


def subject_access(session: Session, email: str, settings: ErasureSettings) -> dict[str, Any]:
    """Everything held about `email` (case-insensitive), for the donor to read."""
    address = email.strip().lower()
    donors = session.scalars(
        select(Donor).where(func.lower(Donor.email) == address).order_by(Donor.id)
    ).all()
    suppressed = session.scalars(
        select(Suppression.office_code)
        .where(Suppression.email_hash == email_hash(address, settings.hash_key))
        .order_by(Suppression.office_code)
    ).all()
    stored_emails = emails_to(settings.mail_folder, {address}) if settings.mail_folder else []
    return {
        "email": address,
        "donors": [_donor(session, donor, settings) for donor in donors],
        "suppressed_by_offices": list(suppressed),
        "drafts": [
            {"created_at": _plain(draft.created_at), "typed": typed(draft.data)}
            for draft in drafts_typed_by(session, {address})
        ],
        "stored_email_files": [path.name for path in stored_emails],
    }


def _donor(session: Session, donor: Donor, settings: ErasureSettings) -> dict[str, Any]:
    donations = session.scalars(
        select(Donation).where(Donation.donor_id == donor.id).order_by(Donation.id)
    ).all()
    receipts = session.scalars(
        select(Receipt).where(Receipt.donor_id == donor.id).order_by(Receipt.id)
    ).all()
    consents = session.scalars(
        select(ConsentRecord).where(ConsentRecord.donor_id == donor.id).order_by(ConsentRecord.id)
    ).all()
    return {
        **_fields(donor, _DONOR_FIELDS),
        "donations": [_donation(donation) for donation in donations],
        "receipts": [_fields(receipt, _RECEIPT_FIELDS) for receipt in receipts],
        "consent": [_consent(row) for row in consents],
        "stripe_events": _events(session, donor),
        "sent_to_offices": _recipients(session, donor, settings),
        "emails_sent": _emails(session, donations, receipts, _confirmable(consents, settings)),
    }


def _donation(donation: Donation) -> dict[str, Any]:
    record = _fields(donation, _DONATION_FIELDS)
    record["payments"] = [_fields(payment, _PAYMENT_FIELDS) for payment in donation.payments]
    if donation.plan is not None:
        record["plan"] = _fields(donation.plan, _PLAN_FIELDS)
    return record


def _consent(row: ConsentRecord) -> dict[str, Any]:
    record = _fields(row, _CONSENT_FIELDS)
    record["notice"] = _fields(row.notice, _NOTICE_FIELDS)
    return record


def _events(session: Session, donor: Donor) -> list[dict[str, Any]]:
    ids = stripe_ids(session, donor)
    if not ids:
        return []
    events = session.scalars(
        select(StripeEvent).where(StripeEvent.object_id.in_(ids)).order_by(StripeEvent.id)
    )
    return [_fields(event, _EVENT_FIELDS) for event in events]


def _recipients(session: Session, donor: Donor, settings: ErasureSettings) -> list[dict[str, Any]]:
    """Each office batch that carried the donor's data: the office is the recipient."""
    found = []
    for batch in batches_of(session, [donor.id]):
        redacted = session.scalar(
            select(OfficeExportRedaction.redacted_at).where(
                OfficeExportRedaction.batch_id == batch.id,
                OfficeExportRedaction.donor_id == donor.id,
            )
        )
        office = settings.offices.get(batch.office_code)
        found.append(
            {
                "office": batch.office_code,
                "recipient": office.legal.legal_name,
                "batch": batch.number,
                "sent_at": _plain(batch.created_at),
                "our_copy_erased_at": _plain(batch.erased_at),
                "redacted_at": _plain(redacted),
            }
        )
    return found


def _confirmable(consents: Any, settings: ErasureSettings) -> list[ConsentRecord]:
    """Opt-ins whose office asks for confirmation by email (others send no such email)."""
    found = []
    for row in consents:
        notice = settings.offices.get(row.office_code).notices.get(row.purpose)
        if notice is not None and notice.double_opt_in:
            found.append(row)
    return found


def _emails(
    session: Session, donations: Any, receipts: Any, confirmable: list[ConsentRecord]
) -> list[dict[str, Any]]:
    """Receipt emails (from the receipts) and the other emails the outbox sent about the
    donor's donations, plans and opt-ins."""
    sent: list[dict[str, Any]] = [
        {
            "kind": "receipt",
            "receipt": r.number,
            "message_id": r.message_id,
            "sent_at": _plain(r.emailed_at),
        }
        for r in receipts
        if r.emailed_at is not None
    ]
    ids = {
        "record_id": {row.id for row in confirmable},
        "donation_id": {donation.id for donation in donations},
        "plan_id": {donation.plan.id for donation in donations if donation.plan is not None},
    }
    messages = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.name.in_(list(_OTHER_EMAILS)), OutboxMessage.done_at.is_not(None))
        .order_by(OutboxMessage.id)
    )
    for message in messages:
        key = _OTHER_EMAILS[message.name]
        if message.payload.get(key) in ids[key]:
            sent.append(
                {"kind": message.name, "sent_at": _plain(message.done_at), "status": message.status}
            )
    return sent
