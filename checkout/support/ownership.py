"""Whose an outbox message is: the office and donor its payload points at, so support sees
(and retries) only the messages of donors in its offices."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from checkout.consent.models import ConsentRecord
from checkout.donations.models import Donation, Payment, RecurringPlan
from checkout.outbox.models import OutboxMessage
from checkout.receipts.models import Receipt
from checkout.support.models import AddressConfirmation


def owner_of_message(session: Session, message: OutboxMessage) -> tuple[str | None, int | None]:
    """(office code, donor id) of the record the message's payload names, or (None, None)."""
    payload: dict[str, Any] = message.payload or {}
    lookups: tuple[tuple[str, type[Any]], ...] = (
        ("receipt_id", Receipt),
        ("payment_id", Payment),
        ("donation_id", Donation),
        ("plan_id", RecurringPlan),
        ("record_id", ConsentRecord),
        ("confirmation_id", AddressConfirmation),
    )
    for key, model in lookups:
        if isinstance(payload.get(key), int):
            found = session.get(model, payload[key])
            if isinstance(found, AddressConfirmation):
                found = session.get(Receipt, found.receipt_id)
            if found is not None:
                return _owner(found)
    return None, None


def _owner(record: Any) -> tuple[str | None, int | None]:
    if isinstance(record, Receipt):
        return record.office_code, record.donor_id
    if isinstance(record, Payment | RecurringPlan):
        return record.donation.office_code, record.donation.donor_id
    if isinstance(record, Donation):
        return record.office_code, record.donor_id
    return record.office_code, record.donor_id  # a ConsentRecord
