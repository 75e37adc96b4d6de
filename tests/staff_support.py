"""Staff accounts and a donor's records for the console tests; a client that signs in through
the real pages (password, then the authenticator app's code computed with pyotp).

Factories flush, never commit: each test's transaction is rolled back.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pyotp
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from checkout.core.clock import utcnow
from checkout.donations.models import Donation, Donor, Payment, RecurringPlan
from checkout.finance.ingest import sum_lines
from checkout.finance.models import BalanceTransaction, Payout, ReconciliationException
from checkout.outbox.models import DEAD, OutboxMessage
from checkout.receipts.models import Receipt, ReceiptItem
from checkout.staff import services
from checkout.staff.models import StaffAccount
from tests.factories import stored_draft

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery staple 42"


@dataclass
class Staff:
    """An enrolled account with what its owner knows: password and TOTP secret."""

    account: StaffAccount
    password: str
    secret: str


def make_staff(
    session: Session, email: str, roles: tuple[str, ...], offices: tuple[str, ...]
) -> Staff:
    """An enrolled, active account with a password and a confirmed authenticator app."""
    account, _token = services.invite(session, email, roles, offices, utcnow(), timedelta(hours=1))
    account.password_hash = _password_hash()
    secret = pyotp.random_base32()
    account.totp_secret, account.totp_last_step = secret, 0
    account.enrolment_token_hash = account.enrolment_expires_at = None
    account.enrolled_at = utcnow()
    session.flush()
    return Staff(account, PASSWORD, secret)


@cache
def _password_hash() -> str:
    """Argon2 is slow on purpose: one hash of the shared test password serves every account."""
    return services.passwords.hash_password(PASSWORD)


def fresh_code(secret: str, last_step: int | None) -> str:
    """A code the server accepts now: of this step or the next, later than the last used."""
    totp = pyotp.TOTP(secret)
    step = max(totp.timecode(datetime.now(UTC)), (last_step or 0) + 1)
    return totp.generate_otp(step)


def token_of(page: TestResponse) -> str:
    """The CSRF token of a page's form."""
    found = CSRF.search(page.get_data(as_text=True))
    assert found, "no CSRF token on the page"
    return found.group(1)


class Console:
    """A staff member's browser without JavaScript: CSRF tokens from the pages it reads."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = ""

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        """GET, keeping the page's CSRF token for the next POST."""
        page = self.client.get(path, **kwargs)
        found = CSRF.search(page.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return page

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        """POST a form with the last CSRF token seen."""
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kwargs)

    def password_step(self, staff: Staff) -> TestResponse:
        """Email and password, as typed on the sign-in page."""
        self.get("/staff/sign-in")
        return self.post(
            "/staff/sign-in", {"email": staff.account.email, "password": staff.password}
        )

    def sign_in(self, staff: Staff, session: Session) -> TestResponse:
        """Both factors; the code computed from the secret as an authenticator app would."""
        assert self.password_step(staff).status_code == 302
        self.get("/staff/sign-in/code")
        session.refresh(staff.account)
        code = fresh_code(staff.secret, staff.account.totp_last_step)
        signed = self.post("/staff/sign-in/code", {"code": code})
        assert signed.status_code == 302, signed.get_data(as_text=True)
        return signed


# --- a donor's records ----------------------------------------------------------------------


@dataclass
class DonorRecords:
    """One donor with a one-time gift (paid, receipted), a monthly plan and a dead email."""

    donor: Donor
    payment: Payment
    plan: RecurringPlan
    receipt: Receipt
    dead_message: OutboxMessage
    payout: Payout
    exception: ReconciliationException


def make_donor_records(
    session: Session, office: str, email: str, currency: str = "EUR"
) -> DonorRecords:
    """Records enough for every console page to have something to show."""
    person = Donor(
        office_code=office,
        email=email,
        first_name="Erika",
        last_name=f"Muster{office}",
        country="DE" if office == "DE" else "GB",
        address_line1="Ring 1",
        postcode="10115",
        city="Berlin",
    )
    session.add(person)
    paid_at = datetime(2026, 3, 1, 10, tzinfo=UTC)
    suffix = f"{office}{abs(hash(email)) % 10**8}"
    donation = Donation(
        draft_id=stored_draft(session, frozen_at=paid_at),
        donor=person,
        office_code=office,
        currency=currency,
        amount_minor=5000,
        frequency="once",
        method="card",
        status="succeeded",
        stripe_payment_intent_id=f"pi_{suffix}",
    )
    payment = Payment(
        donation=donation,
        status="succeeded",
        amount_minor=5000,
        currency=currency,
        paid_at=paid_at,
        stripe_payment_intent_id=f"pi_{suffix}",
        stripe_charge_id=f"ch_{suffix}",
        card_last4="4242",
        card_brand="visa",
    )
    monthly = Donation(
        draft_id=stored_draft(session),
        donor=person,
        office_code=office,
        currency=currency,
        amount_minor=1000,
        frequency="monthly",
        method="card",
        status="succeeded",
    )
    plan = RecurringPlan(
        donation=monthly,
        stripe_subscription_id=f"sub_{suffix}",
        stripe_customer_id=f"cus_{suffix}",
        status="active",
        interval="month",
        current_period_end=paid_at + timedelta(days=30),
    )
    session.add_all([payment, plan])
    session.flush()
    pdf = f"%PDF-1.7 receipt of {email}".encode()
    receipt = Receipt(
        number=f"{office}-2025-{payment.id:06d}",  # numbered before this year's counter
        office_code=office,
        year=2025,
        serial=payment.id,
        kind="test",
        donor_id=person.id,
        currency=currency,
        total_minor=5000,
        language="en",
        donor_snapshot={"full_name": person.full_name},
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        message_id=f"<receipt.{office}-{payment.id}@test.invalid>",
        items=[ReceiptItem(payment_id=payment.id, amount_minor=5000, received_on=paid_at.date())],
    )
    session.add(receipt)
    session.flush()
    dead = OutboxMessage(
        name="receipts.email",
        key=f"test-dead-{receipt.number}",
        payload={"receipt_id": receipt.id},
        status=DEAD,
        attempts=8,
        last_error="550 mailbox unavailable",
    )
    session.add(dead)
    payout, exception = make_payout(session, office, payment, currency)
    return DonorRecords(person, payment, plan, receipt, dead, payout, exception)


def make_payout(
    session: Session, office: str, payment: Payment, currency: str
) -> tuple[Payout, ReconciliationException]:
    """A reconciled payout of the payment, and an exception found in it (a charge not ours)."""
    paid_at = payment.paid_at or utcnow()
    payout = Payout(
        stripe_payout_id=f"po_{payment.stripe_charge_id}",
        office_code=office,
        amount_minor=4900,
        currency=currency,
        status="paid",
        reconciliation_status="completed",
        arrival_date=paid_at.date() + timedelta(days=3),
        stripe_created=paid_at + timedelta(days=1),
        lines_complete_at=paid_at + timedelta(days=3),
    )
    session.add(payout)
    session.flush()
    lines = [
        ("txn_a", "charge", payment.stripe_charge_id, 5000, 100, payment.id),
        ("txn_b", "payout", payout.stripe_payout_id, -4900, 0, None),
        ("txn_c", "charge", f"ch_outside_{office}", 0, 0, None),
    ]
    for suffix, kind, source, amount, fee, payment_id in lines:
        session.add(
            BalanceTransaction(
                stripe_balance_transaction_id=f"{suffix}_{payment.stripe_charge_id}",
                office_code=office,
                payout_id=payout.id,
                type=kind,
                reporting_category=kind,
                source_id=source,
                charge_id=source if kind == "charge" else None,
                amount_minor=amount,
                fee_minor=fee,
                net_minor=amount - fee,
                currency=currency,
                stripe_created=paid_at,
                payment_id=payment_id,
            )
        )
    session.flush()
    sum_lines(session, payout)  # as storing a payout's lines does
    exception = ReconciliationException(
        key=f"charge_not_ours:txn_c_{payment.stripe_charge_id}",
        office_code=office,
        kind="charge_not_ours",
        payout_id=payout.id,
        stripe_reference=f"ch_outside_{office}",
        currency=currency,
        actual_minor=0,
    )
    session.add(exception)
    session.flush()
    return payout, exception
