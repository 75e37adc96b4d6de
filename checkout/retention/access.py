"""A donor's subject-access export: everything we hold about an email address, as JSON.

Covers every office the address gave to: the donor record, donations, payments, recurring
plans, receipts (numbers, amounts and the PDF's SHA-256; the PDFs themselves are available
on request), every consent decision with the exact text it cites, whether the address is on
an office's suppression list, and any draft still holding what was typed. Amounts are integer
minor units with their currency. Services take a Session and no Flask.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from checkout.consent.models import ConsentRecord, Suppression
from checkout.consent.services import email_hash
from checkout.donations.models import Donation, Donor, Payment
from checkout.receipts.models import Receipt
from checkout.wizard.flow import stored_fields
from checkout.wizard.models import CheckoutDraft

_DONOR_FIELDS = (
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
    "phone",
    "locale",
    "created_at",
    "updated_at",
)


def _plain(value: Any) -> Any:
    """JSON-ready: datetimes and dates as ISO 8601, everything else as is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _fields(row: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(row, name)) for name in names}


def subject_access(session: Session, email: str, hash_key: str) -> dict[str, Any]:
    """Everything held about `email` (case-insensitive), for the donor to read."""
    address = email.strip().lower()
    donors = session.scalars(
        select(Donor).where(func.lower(Donor.email) == address).order_by(Donor.id)
    ).all()
    suppressed = session.scalars(
        select(Suppression.office_code)
        .where(Suppression.email_hash == email_hash(address, hash_key))
        .order_by(Suppression.office_code)
    ).all()
    return {
        "email": address,
        "donors": [_donor(session, donor) for donor in donors],
        "suppressed_by_offices": list(suppressed),
        "drafts": _drafts(session, address),
    }


def _donor(session: Session, donor: Donor) -> dict[str, Any]:
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
        "receipts": [_receipt(receipt) for receipt in receipts],
        "consent": [_consent(row) for row in consents],
    }


def _donation(donation: Donation) -> dict[str, Any]:
    record = _fields(
        donation,
        (
            "public_id",
            "office_code",
            "currency",
            "amount_minor",
            "fee_minor",
            "frequency",
            "method",
            "status",
            "gift_aid_declared_at",
            "gift_aid_cancelled_at",
            "created_at",
        ),
    )
    record["payments"] = [_payment(payment) for payment in donation.payments]
    if donation.plan is not None:
        record["plan"] = _fields(
            donation.plan,
            ("status", "interval", "mandate_reference", "mandate_revoked_at", "canceled_at"),
        )
    return record


def _payment(payment: Payment) -> dict[str, Any]:
    return _fields(
        payment, ("status", "amount_minor", "currency", "refunded_minor", "paid_at", "created_at")
    )


def _receipt(receipt: Receipt) -> dict[str, Any]:
    return _fields(
        receipt,
        (
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
            "emailed_at",
            "voided_at",
            "void_reason",
        ),
    )


def _consent(row: ConsentRecord) -> dict[str, Any]:
    record = _fields(
        row,
        (
            "recorded_at",
            "office_code",
            "purpose",
            "channel",
            "legal_basis",
            "decision",
            "email",
            "form",
            "user_agent",
        ),
    )
    record["notice"] = _fields(row.notice, ("version", "language", "sha256", "text"))
    return record


def _drafts(session: Session, address: str) -> list[dict[str, Any]]:
    """Drafts whose typed email is this address (drafts are few: they expire and are purged)."""
    found = []
    for draft in session.scalars(
        select(CheckoutDraft).where(CheckoutDraft.purged_at.is_(None)).order_by(CheckoutDraft.id)
    ):
        typed = stored_fields(draft.data or {}, "details").get("email")
        if isinstance(typed, str) and typed.strip().lower() == address:
            found.append({"created_at": _plain(draft.created_at), "typed": draft.data})
    return found
