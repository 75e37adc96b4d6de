"""Helpers for office transfer tests: gifts in any state, consent rows, and reading batches back."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from checkout.consent import services as consent
from checkout.donations.models import Donation, Donor, Payment
from checkout.offices import load_registry
from checkout.paths import CONFIG_DIR
from checkout.transfers.models import OfficeExportBatch
from tests.factories import make_donation

OFFICES = load_registry(CONFIG_DIR / "offices.toml")
EVIDENCE = consent.Evidence("details", consent.keyed_ip_hash("192.0.2.1", "k"), "pytest")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=30)
HOLD = timedelta(days=7)
HASH_KEY = "testing-evidence-key"
CURRENCY = {"DE": "EUR", "NL": "EUR", "UK": "GBP", "CA": "CAD", "AU": "AUD", "INT": "USD"}


def make_donor(session: Session, office: str = "DE", email: str = "ada@example.org") -> Donor:
    """A donor of `office`, added and flushed."""
    donor = Donor(
        office_code=office,
        email=email,
        first_name="Ada",
        middle_initial="M",
        last_name="Lovelace",
        country=office if office != "INT" else "FR",
        address_line1="Ring 1",
        postcode="10115",
        city="Berlin",
        phone="+4930123456",
        locale="de",
    )
    session.add(donor)
    session.flush()
    return donor


def give(
    session: Session,
    donor: Donor,
    status: str = "succeeded",
    kept_at: datetime | None = LONG_AGO,
    amount_minor: int = 5000,
    **payment: Any,
) -> Payment:
    """A one-time gift of `donor` whose payment is in `status`, kept (succeeded) at `kept_at`."""
    donation = make_donation(
        session,
        donor=donor,
        office_code=donor.office_code,
        currency=CURRENCY[donor.office_code],
        amount_minor=amount_minor,
        status=status,
    )
    return pay(session, donation, status, kept_at, **payment)


def pay(
    session: Session,
    donation: Donation,
    status: str = "succeeded",
    kept_at: datetime | None = LONG_AGO,
    **values: Any,
) -> Payment:
    """One more payment (an instalment) of `donation`."""
    row = Payment(
        donation=donation,
        status=status,
        amount_minor=donation.amount_minor,
        currency=donation.currency,
        paid_at=kept_at,
        receipt_due_at=kept_at,
        **values,
    )
    session.add(row)
    session.flush()
    return row


def record_checkout(
    session: Session,
    donation: Donation,
    email_opt_in: bool = True,
    recorded_at: datetime = NOW - timedelta(minutes=5),
) -> None:
    """The ledger rows the details step records for `donation`, stamped `recorded_at`: the
    tests' own time, like the later rows they compare them with (the real clock would put
    the checkout after a withdrawal stamped NOW once the real day passes NOW)."""
    real_clock = consent.utcnow
    consent.utcnow = lambda: recorded_at  # the ledger is append-only: stamped as it goes in
    try:
        _record_checkout(session, donation, email_opt_in)
    finally:
        consent.utcnow = real_clock
    session.flush()


def _record_checkout(session: Session, donation: Donation, email_opt_in: bool) -> None:
    assert donation.donor is not None
    consent.record_checkout(
        session,
        OFFICES.get(donation.office_code),
        language="de",
        email=donation.donor.email,
        email_opt_in=email_opt_in,
        gift_aid=False,
        donor_id=donation.donor.id,
        donation_id=donation.id,
        evidence=EVIDENCE,
        hash_key="testing-evidence-key",
    )


def withdraw_email(session: Session, donor: Donor, recorded_at: datetime = NOW) -> None:
    """The donor withdraws email fundraising consent later (a new row, no donation)."""
    office = OFFICES.get(donor.office_code)
    row = consent.record(
        session,
        office,
        office.notices["email_fundraising"],
        "de",
        decision="withdrawn",
        legal_basis="consent",
        email=donor.email,
        evidence=consent.Evidence("email_link", None, None),
        channel="email",
        donor_id=donor.id,
    )
    row.recorded_at = recorded_at
    session.flush()


def rows(data: bytes) -> list[dict[str, str]]:
    """A CSV file's rows as dictionaries."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def payment_ids(batch: OfficeExportBatch) -> list[int]:
    """The payment ids the batch's gifts CSV carries."""
    return [int(row["payment_id"]) for row in rows(batch.gifts_csv)]


def document(batch: OfficeExportBatch) -> dict[str, Any]:
    """The batch's JSON."""
    return json.loads(batch.batch_json.decode("utf-8"))  # type: ignore[no-any-return]
