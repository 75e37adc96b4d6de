"""Building a ReceiptDocument from our records and the office's configuration."""

from __future__ import annotations

from datetime import date

from babel import Locale

from checkout.core.clock import as_utc
from checkout.core.money import Money
from checkout.donations.models import Donor, Payment
from checkout.offices import Office
from checkout.receipts.document import (
    DonorOnReceipt,
    GiftAidConfirmation,
    GiftLine,
    Issuer,
    ReceiptDocument,
)

#: Receipt kinds whose text is fixed in one language by law or custom.
FIXED_LANGUAGE = {"de_zuwendungsbestaetigung": "de"}


def issuer_of(office: Office) -> Issuer:
    """The office as its receipts name it."""
    registration = office.legal.registration
    return Issuer(
        legal_name=office.legal.legal_name,
        address=office.legal.address,
        place=_place(office.legal.address),
        signatory_name=office.signatory.name,
        signatory_title=office.signatory.title,
        support_email=office.support.email,
        support_phone=office.support.phone,
        tax_number=registration.tax_number,
        tax_office=registration.tax_office,
        exemption_notice_date=registration.exemption_notice_date,
        tax_privileged_purpose=registration.tax_privileged_purpose,
        assessment_period=registration.assessment_period,
        machine_made=registration.machine_receipts_notified,
        charity_number=registration.charity_number,
        registration_number=registration.registration_number,
        abn=registration.abn,
        rsin=registration.rsin,
        ein=registration.ein,
    )


def _place(address: tuple[str, ...]) -> str:
    """The town from the address's postcode line ("10115 Berlin" -> "Berlin")."""
    line = address[-2] if len(address) >= 2 else (address[0] if address else "")
    words = [word for word in line.split() if not any(char.isdigit() for char in word)]
    return " ".join(words) or line


def donor_snapshot(donor: Donor, language: str) -> dict[str, object]:
    """The donor's name and address as printed today, kept with the receipt for ever."""
    country = Locale.parse(language).territories.get(donor.country, donor.country)
    address = [
        donor.address_line1,
        donor.address_line2,
        f"{donor.postcode} {donor.city}".strip(),
        country,
    ]
    return {"full_name": donor.full_name, "address": [line for line in address if line]}


def receipt_language(office: Office, donor_locale: str) -> str:
    """German receipts are German; others follow the donor where the office writes that."""
    fixed = FIXED_LANGUAGE.get(office.receipt_kind)
    if fixed:
        return fixed
    return donor_locale if donor_locale in office.languages else office.languages[0]


def gift_line(payment: Payment, office: Office) -> GiftLine:
    """A payment as a receipt lists it: the day it was paid, in the office's time zone (a gift
    at 01:00 on 1 July in Sydney was given on 1 July), and the amount kept."""
    received = office.local_date(as_utc(payment.paid_at or payment.created_at))
    kept = payment.amount_minor - payment.refunded_minor
    return GiftLine(received, Money(kept, payment.currency), f"P-{payment.id}")


def document_for(
    office: Office,
    snapshot: dict[str, object],
    lines: tuple[GiftLine, ...],
    number: str,
    issued_on: date,
    language: str,
    **extra: object,
) -> ReceiptDocument:
    """The document to render for `lines` (one gift, or a year's gifts for a statement)."""
    address = snapshot.get("address")
    lines_of_address = tuple(str(line) for line in address) if isinstance(address, list) else ()
    donor = DonorOnReceipt(str(snapshot["full_name"]), lines_of_address)
    return ReceiptDocument(
        kind=office.receipt_kind,
        number=number,
        issued_on=issued_on,
        language=language,
        issuer=issuer_of(office),
        donor=donor,
        gifts=lines,
        advantage=Money.zero(lines[0].amount.currency)
        if office.receipt_kind == "ca_official_receipt"
        else None,
        **extra,  # type: ignore[arg-type]
    )


def gift_aid_confirmation(office: Office, declared_on: date, language: str) -> GiftAidConfirmation:
    """UK: the declaration text the donor accepted in the wizard."""
    notice = office.notices["gift_aid_declaration"]
    return GiftAidConfirmation(declared_on, notice.text(language))
