"""Starting a payment: our rows first, then Stripe with idempotency keys from those rows.

The view commits between the two halves (`create_donation`, then `open_at_stripe`), so if the
process dies after Stripe answered, the donation row exists and the next attempt replays the
same idempotency key: Stripe returns the same PaymentIntent instead of making a second one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from checkout.consent import services as consent
from checkout.consent.services import Evidence, MandateShown
from checkout.core.clock import utcnow
from checkout.core.errors import CheckoutError
from checkout.db import upsert_insert
from checkout.donations.mandates import mandate_reference
from checkout.donations.models import Donation, Donor, RecurringPlan
from checkout.donations.states import Status
from checkout.donations.values import DonorDetails, Gift, total_token
from checkout.offices import Office
from checkout.offices.models import DEBIT_METHODS
from checkout.payments.gateway import (
    OneTimePaymentRequest,
    PaymentGateway,
    RecurringPlanRequest,
)

INTERVALS = {"monthly": "month", "yearly": "year"}


class TotalChanged(CheckoutError):
    """The total the review page showed is not what would be charged now."""


class MandateChanged(CheckoutError):
    """The direct-debit mandate the review page showed is not the office's current one."""


@dataclass(frozen=True, slots=True)
class DonationStart:
    """A complete draft's gift as the review page showed it, when "Donate" is pressed."""

    draft_id: int
    locale: str  # the language the draft was filled in (the donor's emails)
    language: str  # the page's language now (the mandate's text was shown in it)
    office: Office
    gift: Gift
    donor: DonorDetails
    method: str
    shown_total: str  # total_token of what the review page said would be charged
    shown_mandate: str  # mandate_reference of the mandate it showed ("" for none)


def donation_for_draft(session: Session, draft_id: int | None) -> Donation | None:
    """The donation a draft already started, if any."""
    if draft_id is None:
        return None
    return session.scalar(select(Donation).where(Donation.draft_id == draft_id))


def start_donation(
    session: Session,
    start: DonationStart,
    evidence: Evidence,
    mandate: MandateShown | None,
    hash_key: str,
) -> Donation:
    """The checks before money can move, then the donation row (once per draft).

    The charge must be what the review page showed, and a debit's mandate the text it showed:
    otherwise TotalChanged or MandateChanged, and the donor looks again.
    """
    existing = donation_for_draft(session, start.draft_id)
    if existing is not None:
        return existing
    if start.shown_total != total_token(start.gift.total):
        raise TotalChanged(start.shown_total)
    if start.shown_mandate != mandate_reference(start.office, start.method, start.language):
        raise MandateChanged(start.shown_mandate)
    return create_donation(session, start, evidence, hash_key, mandate)


def create_donation(
    session: Session,
    start: DonationStart,
    evidence: Evidence,
    hash_key: str,
    mandate: MandateShown | None = None,
) -> Donation:
    """The donation row for a complete draft, once: a second call returns the first row.

    The consent the details step collected goes into the ledger in the same transaction.
    """
    office, gift, donor = start.office, start.gift, start.donor
    donation = Donation(
        draft_id=start.draft_id,
        donor=upsert_donor(session, office.code, donor, start.locale),
        office_code=office.code,
        currency=gift.currency,
        amount_minor=gift.amount.minor,
        fee_minor=gift.fee.minor,
        frequency=gift.frequency,
        method=start.method,
        status=Status.PENDING.value,
        gift_aid_declared_at=utcnow() if donor.gift_aid else None,
    )
    session.add(donation)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Another request created it between our check and our insert (SQLite has no row lock).
        found = donation_for_draft(session, start.draft_id)
        assert found is not None
        return found
    assert donation.donor is not None
    consent.record_checkout(
        session,
        office,
        language=donor.notice_language,
        email=donor.email,
        email_opt_in=donor.email_opt_in,
        gift_aid=donor.gift_aid,
        donor_id=donation.donor.id,
        donation_id=donation.id,
        evidence=evidence,
        hash_key=hash_key,
        mandate=mandate if start.method in DEBIT_METHODS else None,
    )
    return donation


def upsert_donor(session: Session, office_code: str, details: DonorDetails, locale: str) -> Donor:
    """The office's donor with this email, updated to the details just given.

    The row is made with INSERT ... ON CONFLICT DO NOTHING: a new donor pressing "Donate" in
    two browsers at once makes one row, and the second request waits for it instead of failing
    on the unique (office, email) key.
    """
    session.execute(
        upsert_insert(session, Donor.__table__)
        .values(
            office_code=office_code,
            email=details.email,
            first_name=details.first_name,
            last_name=details.last_name,
            country=details.country,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["office_code", "email"])
    )
    donor = session.scalars(
        select(Donor)
        .where(Donor.office_code == office_code, Donor.email == details.email)
        .execution_options(populate_existing=True)
    ).one()
    donor.first_name, donor.last_name = details.first_name, details.last_name
    donor.middle_initial, donor.country = details.middle_initial, details.country
    donor.address_line1, donor.address_line2 = details.address_line1, details.address_line2
    donor.postcode, donor.city, donor.phone = details.postcode, details.city, details.phone
    donor.region = details.region or None
    donor.locale = locale
    return donor


def open_at_stripe(session: Session, donation: Donation, gateway: PaymentGateway) -> Donation:
    """Create the PaymentIntent or Subscription for `donation` unless it already has one."""
    locked = session.scalars(
        select(Donation)
        .where(Donation.id == donation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if locked.stripe_client_secret:
        return locked
    if locked.is_recurring:
        _open_recurring(session, locked, gateway)
    else:
        _open_one_time(locked, gateway)
    session.flush()
    return locked


def idempotency_key(donation: Donation) -> str:
    """Stripe idempotency keys start from the donation's random public id, not its serial id:
    a serial id comes again after a database is restored or reset, and Stripe would then
    refuse (or worse, replay) a different gift under the same key."""
    return f"donation-{donation.public_id}"


def _open_one_time(donation: Donation, gateway: PaymentGateway) -> None:
    donor = donation.donor
    assert donor is not None
    created = gateway.create_one_time_payment(
        donation.office_code,
        OneTimePaymentRequest(
            donation_id=donation.id,
            key=idempotency_key(donation),
            amount=donation.total,
            method=donation.method,
            email=donor.email,
            description=f"Donation {donation.public_id}",
        ),
    )
    donation.stripe_payment_intent_id = created.payment_intent_id
    donation.stripe_client_secret = created.client_secret


def _open_recurring(session: Session, donation: Donation, gateway: PaymentGateway) -> None:
    donor = donation.donor
    assert donor is not None
    created = gateway.create_recurring_plan(
        donation.office_code,
        RecurringPlanRequest(
            donation_id=donation.id,
            key=idempotency_key(donation),
            donor_id=donor.id,
            amount=donation.total,
            interval=INTERVALS[donation.frequency],
            method=donation.method,
            email=donor.email,
            name=donor.full_name,
            customer_id=donor.stripe_customer_id,
            product_name="Recurring gift",
        ),
    )
    donor.stripe_customer_id = created.customer_id
    session.add(
        RecurringPlan(
            donation=donation,
            stripe_subscription_id=created.subscription_id,
            first_payment_intent_id=created.first_payment_intent_id,
            stripe_customer_id=created.customer_id,
            status=created.status,
            interval=INTERVALS[donation.frequency],
        )
    )
    donation.stripe_client_secret = created.client_secret


def cancel_recurring(plan: RecurringPlan, gateway: PaymentGateway) -> RecurringPlan:
    """Stop a recurring gift at Stripe now (donor, portal or support all come through here)."""
    state = gateway.cancel_recurring(plan.donation.office_code, plan.stripe_subscription_id)
    plan.status = state.status
    plan.canceled_at = utcnow()
    return plan
