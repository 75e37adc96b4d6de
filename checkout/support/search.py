"""Finding donors: one search box that understands what was typed, plus card digits and a day.

What a term is decides where it is looked for: an email address in donors' addresses
(normalised as the wizard stores them), a receipt number in receipts, a Stripe id in the
column that holds its kind, a number in donation and payment ids, anything else in names.
Every query keeps to the offices of the person searching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import ColumnElement, CompoundSelect, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from checkout.donations.models import Donation, Donor, Payment, RecurringPlan
from checkout.receipts.models import Receipt
from checkout.staff.permissions import Scope

RECEIPT_NUMBER = re.compile(r"^[A-Za-z]{2,3}-\d{4}-\d{1,9}$")
#: Our own references as receipts and pages print them: D-12 (donation), P-34 (payment).
OWN_REFERENCE = re.compile(r"^(?P<kind>[DPdp])-?(?P<id>\d{1,12})$")
STRIPE_PREFIXES = ("pi_", "ch_", "py_", "sub_", "cus_", "in_")
PER_PAGE = 20


@dataclass(frozen=True, slots=True)
class Query:
    """What the person typed: a term, and/or a card's last four digits with the day charged."""

    text: str = ""
    last4: str = ""
    day: date | None = None

    @property
    def kind(self) -> str:
        """How the term is read: email, receipt, stripe, reference, card or name."""
        text = self.text.strip()
        if not text:
            return "card"
        if "@" in text:
            return "email"
        if RECEIPT_NUMBER.match(text):
            return "receipt"
        if text.startswith(STRIPE_PREFIXES):
            return "stripe"
        if OWN_REFERENCE.match(text) or text.isdigit():
            return "reference"
        return "name"

    def describe(self) -> str:
        """The query as the audit log keeps it."""
        parts = [f"{self.kind}: {self.text.strip()}"] if self.text.strip() else []
        if self.last4:
            parts.append(f"last4: {self.last4} on {self.day}")
        return "; ".join(parts)


def normalised_email(text: str) -> str:
    """The address as the wizard stores it (email_validator's normal form), lower-cased for
    comparing; a malformed one is compared as typed."""
    try:
        return validate_email(text.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return text.strip().lower()


def _donor_ids_matching(query: Query) -> Select[Any]:
    """The ids of donors the query's term (and card digits) point at."""
    statement = select(Donor.id)
    if query.text.strip():
        statement = statement.where(Donor.id.in_(_by_term(query)))
    if query.last4:
        statement = statement.where(Donor.id.in_(_by_card(query)))
    return statement


def _by_term(query: Query) -> Select[Any] | CompoundSelect[Any]:
    text = query.text.strip()
    kind = query.kind
    if kind == "email":
        return select(Donor.id).where(func.lower(Donor.email) == normalised_email(text))
    if kind == "receipt":
        return select(Receipt.donor_id).where(Receipt.number == text.upper())
    if kind == "stripe":
        return _by_stripe_id(text)
    if kind == "reference":
        return _by_reference(text)
    return select(Donor.id).where(*_name_terms(text))


def _by_stripe_id(text: str) -> CompoundSelect[Any]:
    """Donors whose donation, payment, plan or Stripe customer carries this id."""
    through_payments = (
        select(Donation.donor_id)
        .join(Payment, Payment.donation_id == Donation.id)
        .where(
            or_(
                Payment.stripe_payment_intent_id == text,
                Payment.stripe_charge_id == text,
                Payment.stripe_invoice_id == text,
                Payment.stripe_subscription_id == text,
            )
        )
    )
    through_plans = (
        select(Donation.donor_id)
        .join(RecurringPlan, RecurringPlan.donation_id == Donation.id)
        .where(RecurringPlan.stripe_subscription_id == text)
    )
    direct = select(Donation.donor_id).where(Donation.stripe_payment_intent_id == text)
    customers = select(Donor.id).where(Donor.stripe_customer_id == text)
    return through_payments.union(through_plans, direct, customers)


def _by_reference(text: str) -> Select[Any] | CompoundSelect[Any]:
    """D-12 is donation 12, P-34 payment 34; a bare number may be either."""
    found = OWN_REFERENCE.match(text)
    kind = found.group("kind").upper() if found else ""
    number = int(found.group("id") if found else text)
    donation = select(Donation.donor_id).where(Donation.id == number)
    payment = (
        select(Donation.donor_id)
        .join(Payment, Payment.donation_id == Donation.id)
        .where(Payment.id == number)
    )
    if kind == "D":
        return donation
    if kind == "P":
        return payment
    return donation.union(payment)


def _name_terms(text: str) -> list[ColumnElement[bool]]:
    """Each word must start the first or the last name (case does not matter)."""
    words = [word for word in re.split(r"\s+", text) if word][:4]
    return [
        or_(
            func.lower(Donor.first_name).startswith(word.lower(), autoescape=True),
            func.lower(Donor.last_name).startswith(word.lower(), autoescape=True),
        )
        for word in words
    ]


def _by_card(query: Query) -> Select[Any]:
    """Donors charged on that card (last four digits) on that day, give or take a day for
    time zones."""
    statement = (
        select(Donation.donor_id)
        .join(Payment, Payment.donation_id == Donation.id)
        .where(Payment.card_last4 == query.last4)
    )
    if query.day is not None:
        start = datetime.combine(query.day, time.min, tzinfo=UTC) - timedelta(days=1)
        statement = statement.where(
            and_(Payment.paid_at >= start, Payment.paid_at < start + timedelta(days=3))
        )
    return statement


def search(session: Session, query: Query, scope: Scope, page: int = 1) -> tuple[list[Donor], bool]:
    """One page of donors matching `query` within `scope`, and whether more follow."""
    statement = (
        select(Donor)
        .where(Donor.id.in_(_donor_ids_matching(query)), scope.where(Donor.office_code))
        .order_by(Donor.last_name, Donor.first_name, Donor.id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    )
    rows = list(session.scalars(statement))
    return rows[:PER_PAGE], len(rows) > PER_PAGE
