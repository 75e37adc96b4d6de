"""The receipts feature's outbox handlers, registered by name (the outbox imports no feature)."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from checkout.consent import handlers as consent_links
from checkout.core.clock import utcnow
from checkout.core.languages import SUPPORTED_LANGUAGES
from checkout.core.money import Money
from checkout.donations.models import Donor, Payment
from checkout.donations.states import MONEY_KEPT, Status
from checkout.mail.compose import receipt_subject, stable_message_id
from checkout.mail.mime import OutgoingEmail
from checkout.mail.sending import TransportPool, compose_to_donor, send, transport_pool
from checkout.mail.transports import MailError
from checkout.offices import Office
from checkout.outbox.registry import Later, PermanentFailure, enqueue, register
from checkout.receipts import services
from checkout.receipts.models import VOID, Receipt

#: The names payments enqueue (checkout/payments/sync.py); a test checks they match.
ISSUE_RECEIPT = "receipts.issue"
REVISE_RECEIPT = "receipts.revise"
VOID_NOTICE = "receipts.void_notice"
#: Load option for emailing: a receipt with its gifts, their payments and donations, and
#: its donor, in one query.
_FOR_EMAIL = (services.WITH_PAYMENTS, joinedload(Receipt.donor))


def context() -> services.ReceiptContext:
    """Issuing needs the offices, the renderer, today and the Message-ID domain."""
    from checkout.receipts.pdf import render_pdf  # ReportLab loads only where receipts are made

    return services.ReceiptContext(
        offices=current_app.extensions["checkout.offices"],
        render=render_pdf,
        today=utcnow().date(),
        message_domain=str(current_app.config["MAIL_MESSAGE_DOMAIN"]),
    )


def issue_receipts(session: Session, payloads: list[dict[str, Any]]) -> None:
    """Several payments' receipts at once: their offices' counters in a fixed order."""
    ids = [int(payload["payment_id"]) for payload in payloads]
    services.issue_for_payments(session, ids, context())


# One message at a time locks one office's counter; a batch locks several, in a fixed order.
@register(ISSUE_RECEIPT, alone=True, together=issue_receipts)
def issue_receipt(session: Session, payload: dict[str, Any]) -> None:
    """A payment succeeded: its receipt (or nothing, if the office confirms yearly)."""
    services.issue_for_payment(session, int(payload["payment_id"]), context())


def receipts_to_send(session: Session, payloads: list[dict[str, Any]]) -> list[Receipt]:
    """A transaction's receipts with all that rendering and emailing read, in one query."""
    ids = [int(payload["receipt_id"]) for payload in payloads]
    found = session.scalars(select(Receipt).where(Receipt.id.in_(ids)).options(*_FOR_EMAIL))
    return list(found.unique())


def render_and_send_all(session: Session, payloads: list[dict[str, Any]]) -> list[Later | None]:
    """Several receipts' PDFs and emails: read in one query, their PDFs stored in one round
    of UPDATEs (no savepoint per receipt)."""
    receipts = {receipt.id: receipt for receipt in receipts_to_send(session, payloads)}
    ctx = context()
    effects: list[Later | None] = []
    for payload in payloads:
        receipt = receipts.get(int(payload["receipt_id"]))
        if receipt is None:  # fails the batch; alone, this message is parked
            raise PermanentFailure(f"no receipt {payload['receipt_id']}")
        effects.append(_render_and_email(session, receipt, ctx))
    session.flush()
    return effects


@register(services.RENDER_RECEIPT, together=render_and_send_all)
def render_and_send(session: Session, payload: dict[str, Any]) -> Later | None:
    """A numbered receipt: its PDF, once, then its email (one message for both: a second
    would be claimed, locked, loaded and marked done again)."""
    receipt = session.get(Receipt, int(payload["receipt_id"]), options=_FOR_EMAIL)
    if receipt is None:
        raise PermanentFailure(f"no receipt {payload['receipt_id']}")
    return _render_and_email(session, receipt, context())


def _render_and_email(
    session: Session, receipt: Receipt, ctx: services.ReceiptContext
) -> Later | None:
    services.render(session, receipt, ctx)
    if receipt.status == VOID or receipt.emailed_at is not None:
        return None  # voided before it went out (its replacement has an email of its own)
    return _email(receipt)


@register(REVISE_RECEIPT, alone=True)  # a replacement locks the counter too
def revise_receipt(session: Session, payload: dict[str, Any]) -> None:
    """A refund or lost dispute: void the receipt, and reissue for what was kept."""
    payment = session.get(Payment, int(payload["payment_id"]))
    if payment is None:
        raise PermanentFailure(f"no payment {payload['payment_id']}")
    receipt = services.active_receipt_for(session, payment.id)
    if receipt is None:
        return  # never receipted (refunded before the receipt went out): nothing to revise
    reason = f"payment {payment.id} is {payment.status}"
    if Status(payment.status) in MONEY_KEPT:
        services.void_and_reissue(session, receipt, reason, context())
    else:
        services.void(session, receipt, reason)
        enqueue(session, VOID_NOTICE, f"void-notice-{receipt.number}", {"receipt_id": receipt.id})


@register(VOID_NOTICE)
def email_void_notice(session: Session, payload: dict[str, Any]) -> None:
    """Tell the donor their receipt no longer stands (the gift was refunded or reversed)."""
    receipt = session.get(Receipt, int(payload["receipt_id"]))
    donor = session.get(Donor, receipt.donor_id) if receipt else None
    if receipt is None or donor is None:
        raise PermanentFailure(f"no receipt {payload['receipt_id']} with a donor")
    office: Office = current_app.extensions["checkout.offices"].get(receipt.office_code)
    language = donor.locale if donor.locale in SUPPORTED_LANGUAGES else receipt.language
    with force_locale(language):
        subject = _("Receipt %(number)s is no longer valid", number=receipt.number)
    domain = str(current_app.config["MAIL_MESSAGE_DOMAIN"])
    email = compose_to_donor(
        to=donor.email,
        language=language,
        subject=str(subject),
        template="receipt_void",
        values={
            "donor_name": receipt.donor_snapshot.get("full_name", ""),
            "receipt_number": receipt.number,
            "office_name": office.name,
            "support_email": office.support.email,
        },
        message_id=stable_message_id("void", receipt.number, domain),
        reply_to=office.support.email,
    )
    send(email)


@register(services.EMAIL_RECEIPT)
def email_receipt(session: Session, payload: dict[str, Any]) -> Later | None:
    """Send a receipt's stored PDF; its Message-ID is stable, so a repeat is recognisable."""
    receipt = session.get(Receipt, int(payload["receipt_id"]), options=_FOR_EMAIL)
    if receipt is None:
        raise PermanentFailure(f"no receipt {payload['receipt_id']}")
    if receipt.status == VOID:
        return None  # corrected meanwhile: its replacement has an email of its own
    if receipt.pdf is None:
        raise RuntimeError(f"receipt {receipt.number} is not rendered yet")  # retried later
    return _email(receipt)


def _email(receipt: Receipt) -> Later:
    """The rendered receipt's email, for the worker to send (see `Later`)."""
    assert receipt.pdf is not None
    donor = receipt.donor
    office: Office = current_app.extensions["checkout.offices"].get(receipt.office_code)
    language = donor.locale if donor.locale in SUPPORTED_LANGUAGES else receipt.language
    payments = services.payments_of(receipt)
    values = _email_values(receipt, office, payments)
    headers: dict[str, str] = {}
    donation = payments[0].donation if payments else None  # a statement's: its earliest gift's
    if donation is not None:
        links = consent_links.email_links(donation, language)
        values["withdraw_url"], headers = links["withdraw_url"], links["headers"]
        if values.get("gift_aid_declared_on"):
            values["gift_aid_cancel_url"] = consent_links.gift_aid_cancel_url(donation, language)
    email = compose_to_donor(
        to=donor.email,
        language=language,
        template="receipt",
        values=values,
        headers=headers,
        subject=receipt_subject(receipt.number, language, str(current_app.config["CHARITY_NAME"])),
        attachment=receipt.pdf,
        attachment_name=f"{receipt.number}.pdf",
        message_id=receipt.message_id,
        reply_to=office.support.email,
    )
    # Sent by the worker after the batch's database work, beside the batch's other emails.
    return Later(perform=partial(_deliver, transport_pool(), email), then=partial(_sent, receipt))


def _deliver(pool: TransportPool, email: OutgoingEmail) -> None:
    """Send on the calling thread's connection; a refusal of the address itself is final."""
    try:
        pool.send(email)
    except MailError as error:
        if error.permanent:  # the server refused the address itself: retrying cannot help
            raise PermanentFailure(str(error)) from error
        raise


def _sent(receipt: Receipt) -> None:
    receipt.emailed_at = utcnow()


def _email_values(receipt: Receipt, office: Office, payments: list[Payment]) -> dict[str, Any]:
    """What the receipt email says besides the attachment."""
    values: dict[str, Any] = {
        "donor_name": receipt.donor_snapshot.get("full_name", ""),
        "amount": Money(receipt.total_minor, receipt.currency),
        "receipt_number": receipt.number,
        "office_name": office.name,
        "support_email": office.support.email,
        "support_phone": office.support.phone,
    }
    declared = services.gift_aid_declared(office, payments)
    if declared is not None:
        values["gift_aid_declared_on"] = declared.date()
        values["gift_aid_declaration"] = office.notices["gift_aid_declaration"].text("en")
    return values
