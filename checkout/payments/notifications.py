"""Telling a donor that an instalment failed or needs their bank's confirmation (via the outbox)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from checkout.core.languages import SUPPORTED_LANGUAGES
from checkout.core.money import Money
from checkout.donations.models import Donation, Donor, RecurringPlan
from checkout.mail.compose import stable_message_id
from checkout.mail.sending import compose_to_donor, send
from checkout.offices import Office
from checkout.outbox.registry import PermanentFailure, register
from checkout.payments.confirming import VERIFY_BANK_ACCOUNT
from checkout.payments.events import NOTIFY_RENEWAL
from checkout.payments.sync import PLAN_STARTED
from checkout.site.i18n import in_language


def _addressee(session: Session, payload: dict[str, Any]) -> tuple[Donation, Donor, Office, str]:
    """The donation a message is about, its donor, office, and the donor's language."""
    donation = session.get(Donation, int(payload["donation_id"]))
    if donation is None or donation.donor is None:
        raise PermanentFailure(f"no donation {payload['donation_id']} with a donor")
    donor = donation.donor
    office: Office = current_app.extensions["checkout.offices"].get(donation.office_code)
    return donation, donor, office, donor.locale if donor.locale in SUPPORTED_LANGUAGES else "en"


@register(NOTIFY_RENEWAL)
def notify_renewal(session: Session, payload: dict[str, Any]) -> None:
    """One email per failed or unconfirmed invoice (the outbox key is the invoice and event)."""
    donation, donor, office, language = _addressee(session, payload)
    action = bool(payload.get("action_required"))
    with in_language(language):
        subject = (
            _("Please confirm your monthly gift")
            if action
            else _("Your monthly gift could not be collected")
        )
    domain = str(current_app.config["MAIL_MESSAGE_DOMAIN"])
    email = compose_to_donor(
        to=donor.email,
        language=language,
        subject=str(subject),
        template="renewal",
        values={
            "donor_name": donor.full_name,
            "office_name": office.name,
            "amount": Money(int(payload["amount_minor"]), donation.currency),
            "support_email": office.support.email,
            "action_required": action,
            "pay_url": payload.get("pay_url") or "",
        },
        message_id=stable_message_id("renewal", str(payload["key"]), domain),
        reply_to=office.support.email,
    )
    send(email)


def next_debit_dates(plan: RecurringPlan, count: int = 3) -> list[date]:
    """The next debits of a plan: its period end, then every interval after it."""
    if plan.current_period_end is None:
        return []
    first = plan.current_period_end.date()
    step = 12 if plan.interval == "year" else 1
    return [_add_months(first, step * n) for n in range(count)]


def _add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@register(PLAN_STARTED)
def notify_plan_started(session: Session, payload: dict[str, Any]) -> None:
    """A SEPA plan's first debit is paid: confirm it, with the pre-notification of the next."""
    plan = session.get(RecurringPlan, int(payload["plan_id"]))
    donor = plan.donation.donor if plan else None
    if plan is None or donor is None:
        raise PermanentFailure(f"no plan {payload['plan_id']} with a donor")
    office: Office = current_app.extensions["checkout.offices"].get(plan.donation.office_code)
    language = donor.locale if donor.locale in SUPPORTED_LANGUAGES else "en"
    with in_language(language):
        subject = _("Your recurring gift to %(office)s has started", office=office.name)
    domain = str(current_app.config["MAIL_MESSAGE_DOMAIN"])
    email = compose_to_donor(
        to=donor.email,
        language=language,
        subject=str(subject),
        template="plan_started",
        values={
            "donor_name": donor.full_name,
            "office_name": office.name,
            "amount": plan.donation.total,
            "support_email": office.support.email,
            "mandate_reference": plan.mandate_reference,
            "creditor_id": office.stripe.sepa_creditor_id or "",
            "debit_dates": next_debit_dates(plan),
            # Offices that send one annual statement say so, rather than "a receipt each time".
            "annual_statement": not office.receipt_per_instalment,
        },
        message_id=stable_message_id("plan", str(plan.id), domain),
        reply_to=office.support.email,
    )
    send(email)


@register(VERIFY_BANK_ACCOUNT)
def notify_bank_verification(session: Session, payload: dict[str, Any]) -> None:
    """A pre-authorised debit waits for micro-deposits: tell the donor what to do, once."""
    donation, donor, office, language = _addressee(session, payload)
    with in_language(language):
        subject = _(
            "Please confirm your bank account for your gift to %(office)s", office=office.name
        )
    arrival = datetime.fromtimestamp(int(payload["arrival_date"]), UTC)
    domain = str(current_app.config["MAIL_MESSAGE_DOMAIN"])
    email = compose_to_donor(
        to=donor.email,
        language=language,
        subject=str(subject),
        template="bank_verification",
        values={
            "donor_name": donor.full_name,
            "office_name": office.name,
            "amount": donation.total,
            "arrival_date": office.local_date(arrival),
            "verification_url": str(payload["verification_url"]),
            "support_email": office.support.email,
        },
        message_id=stable_message_id("verify", str(donation.public_id), domain),
        reply_to=office.support.email,
    )
    send(email)
