"""The receipts feature's outbox handlers, registered by name (the outbox imports no feature).

A receipt takes three messages: numbering (`receipts.issue`, the counter's lock held only for
that), rendering (`receipts.render`: the PDF made once and stored with its hash) and emailing
(`receipts.email`: the stored bytes, which a resend sends again). Each runs in batches of
`BATCH` messages per transaction, declared with `register_batch`; each message's failure is
its own.
"""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage
from functools import partial
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from checkout.consent import handlers as consent_links
from checkout.core.clock import utcnow
from checkout.core.languages import SUPPORTED_LANGUAGES
from checkout.core.money import Money
from checkout.donations.models import Donor, Payment
from checkout.mail.compose import receipt_subject, stable_message_id
from checkout.mail.sending import compose_to_donor, send, send_all
from checkout.offices import Office
from checkout.outbox.registry import (
    PermanentFailure,
    enqueue,
    enqueue_all,
    register,
    register_batch,
)
from checkout.receipts import annual, documents, services
from checkout.receipts.models import VOID, Receipt
from checkout.settings import is_production
from checkout.site.i18n import in_language

#: The names payments enqueue (checkout/payments/sync.py); a test checks they match.
ISSUE_RECEIPT = "receipts.issue"
REVISE_RECEIPT = "receipts.revise"
VOID_NOTICE = "receipts.void_notice"
#: Messages of one name a transaction takes at once (numbering, rendering, emailing).
BATCH = 20
#: Load option for emailing: a receipt with its gifts, their payments and donations, and
#: its donor, in one query.
_FOR_EMAIL = (services.WITH_PAYMENTS, joinedload(Receipt.donor))


def context() -> services.ReceiptContext:
    """Issuing needs the offices, the renderer, today and the Message-ID domain."""
    from checkout.receipts.pdf import render_pdf  # ReportLab loads only where receipts are made

    specimen = not is_production(current_app.config)
    now = utcnow()
    return services.ReceiptContext(
        offices=current_app.extensions["checkout.offices"],
        render=partial(render_pdf, specimen=specimen),
        today=now.date(),
        message_domain=str(current_app.config["MAIL_MESSAGE_DOMAIN"]),
        now=now,
    )


@register_batch(ISSUE_RECEIPT, BATCH)
def issue_receipts(session: Session, payloads: list[dict[str, Any]]) -> list[Exception | None]:
    """Payments succeeded: their receipts (none where the office confirms yearly), numbered
    office by office in one step each."""
    ids = [int(payload["payment_id"]) for payload in payloads]
    issued = services.issue_for_payments(session, ids, context())
    return [issued.refused.get(payment_id) for payment_id in ids]


def _receipts(session: Session, payloads: list[dict[str, Any]]) -> dict[int, Receipt]:
    """The payloads' receipts with all that rendering and emailing read, in one query."""
    ids = [int(payload["receipt_id"]) for payload in payloads]
    found = session.scalars(select(Receipt).where(Receipt.id.in_(ids)).options(*_FOR_EMAIL))
    return {receipt.id: receipt for receipt in found.unique()}


def _missing(receipt_id: object) -> PermanentFailure:
    return PermanentFailure(f"no receipt {receipt_id}")


@register_batch(services.RENDER_RECEIPT, BATCH)
def render_receipts(session: Session, payloads: list[dict[str, Any]]) -> list[Exception | None]:
    """Numbered receipts: each PDF made once and stored with its hash, then its email queued
    (a receipt voided meanwhile is stored but not sent: its replacement has an email)."""
    receipts, ctx = _receipts(session, payloads), context()
    outcomes: list[Exception | None] = []
    emails: list[tuple[str, dict[str, Any]]] = []
    for payload in payloads:
        receipt = receipts.get(int(payload["receipt_id"]))
        if receipt is None:
            outcomes.append(_missing(payload["receipt_id"]))
            continue
        services.render(session, receipt, ctx)
        if receipt.status != VOID and receipt.emailed_at is None:
            emails.append((f"email-{receipt.number}", {"receipt_id": receipt.id}))
        outcomes.append(None)
    enqueue_all(session, services.EMAIL_RECEIPT, emails)
    return outcomes


@register_batch(services.EMAIL_RECEIPT, BATCH)
def email_receipts(session: Session, payloads: list[dict[str, Any]]) -> list[Exception | None]:
    """Send receipts' stored PDFs, several at once; each Message-ID is stable, so a repeat is
    recognisable. A receipt voided meanwhile is not sent (its replacement is)."""
    receipts = _receipts(session, payloads)
    outcomes: dict[int, Exception | None] = {}
    sending: list[tuple[int, Receipt]] = []
    for index, payload in enumerate(payloads):
        receipt = receipts.get(int(payload["receipt_id"]))
        if receipt is None:
            outcomes[index] = _missing(payload["receipt_id"])
        elif receipt.status == VOID:
            outcomes[index] = None
        elif receipt.pdf is None:  # retried later, once rendered
            outcomes[index] = RuntimeError(f"receipt {receipt.number} is not rendered yet")
        else:
            sending.append((index, receipt))
    # "to": another address the donor confirmed (support's copy); else the donor's own.
    sent = send_all([_email(receipt, payloads[index].get("to")) for index, receipt in sending])
    by_index = dict(zip((index for index, _receipt in sending), sent, strict=True))
    for index, payload in enumerate(payloads):
        if index in outcomes:
            continue
        error = by_index[index]
        if error is None and not payload.get("to"):
            receipts[int(payload["receipt_id"])].emailed_at = utcnow()
        # The server refused the address itself: retrying cannot help.
        outcomes[index] = PermanentFailure(str(error)) if error and error.permanent else error
    return [outcomes[index] for index in range(len(payloads))]


@register(REVISE_RECEIPT)
def revise_receipt(session: Session, payload: dict[str, Any]) -> None:
    """A refund or lost dispute: void the receipt, and reissue for what was kept; tell the
    donor when nothing was kept."""
    revision = services.revise_for_payment(session, int(payload["payment_id"]), context())
    if revision.voided is not None and revision.replacement is None:
        queue_void_notice(session, revision.voided)


def queue_void_notice(session: Session, receipt: Receipt) -> None:
    """Tell the donor, after this commits, that `receipt` no longer stands."""
    enqueue(session, VOID_NOTICE, f"void-notice-{receipt.number}", {"receipt_id": receipt.id})


@register(VOID_NOTICE)
def email_void_notice(session: Session, payload: dict[str, Any]) -> None:
    """Tell the donor their receipt no longer stands (refunded, reversed, or replaced by a
    corrected one, which then names it)."""
    receipt = session.get(Receipt, int(payload["receipt_id"]))
    donor = session.get(Donor, receipt.donor_id) if receipt else None
    if receipt is None or donor is None:
        raise PermanentFailure(f"no receipt {payload['receipt_id']} with a donor")
    office: Office = current_app.extensions["checkout.offices"].get(receipt.office_code)
    language = donor.locale if donor.locale in SUPPORTED_LANGUAGES else receipt.language
    with in_language(language):
        subject = _("Receipt %(number)s is no longer valid", number=receipt.number)
    replacement = session.scalar(select(Receipt.number).where(Receipt.replaces_id == receipt.id))
    domain = str(current_app.config["MAIL_MESSAGE_DOMAIN"])
    email = compose_to_donor(
        to=donor.email,
        language=language,
        subject=str(subject),
        template="receipt_void",
        values={
            "donor_name": receipt.donor_snapshot.get("full_name", ""),
            "receipt_number": receipt.number,
            "replacement_number": replacement or "",
            "office_name": office.name,
            "support_email": office.support.email,
        },
        message_id=stable_message_id("void", receipt.number, domain),
        reply_to=office.support.email,
    )
    send(email)


@register(annual.SUMMARY)
def email_summary(session: Session, payload: dict[str, Any]) -> None:
    """A monthly donor's summary of a tax year's gifts, each already receipted: made and sent
    (it is not a receipt, so it is neither numbered nor kept)."""
    donor = session.get(Donor, int(payload["donor_id"]))
    if donor is None:
        raise PermanentFailure(f"no donor {payload['donor_id']}")
    ctx = context()
    office = ctx.offices.get(str(payload["office"]))
    period = (date.fromisoformat(payload["start"]), date.fromisoformat(payload["end"]))
    lines = annual.receipted_instalments(session, office, period, donor.id).get(donor.id)
    if not lines:
        return  # voided meanwhile: nothing to sum up
    language = documents.receipt_language(office, donor.locale)
    number = f"{office.code}-SUMMARY-{period[1].year}"
    document = documents.document_for(
        office,
        documents.donor_snapshot(donor, language),
        tuple(lines),
        number,
        ctx.today_for(office),
        language,
        period=period,
        summary=True,
    )
    email_language = donor.locale if donor.locale in SUPPORTED_LANGUAGES else language
    with in_language(email_language):
        subject = _("Your gifts to %(office)s in one summary", office=office.name)
    domain = str(current_app.config["MAIL_MESSAGE_DOMAIN"])
    send(
        compose_to_donor(
            to=donor.email,
            language=email_language,
            subject=str(subject),
            template="receipt_summary",
            values={
                "donor_name": donor.full_name,
                "office_name": office.name,
                "period_start": period[0],
                "period_end": period[1],
                "support_email": office.support.email,
            },
            attachment=ctx.render(document),
            attachment_name=f"{number}.pdf",
            message_id=stable_message_id("summary", f"{number}-{donor.id}", domain),
            reply_to=office.support.email,
        )
    )


def _email(receipt: Receipt, to: str | None = None) -> EmailMessage:
    """The rendered receipt's email, to the donor or to `to`."""
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
    return compose_to_donor(
        to=to or donor.email,
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
    if receipt.replaces is not None:
        values["replaces_number"] = receipt.replaces.number
    declared = services.gift_aid_declared(office, payments)
    if declared is not None:
        values["gift_aid_declared_on"] = declared.date()
        values["gift_aid_declaration"] = office.notices["gift_aid_declaration"].text("en")
    return values
