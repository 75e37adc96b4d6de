"""Everything a receipt PDF prints, as one immutable value: the renderer needs nothing else.

The receipt service builds a ReceiptDocument from the database (a snapshot: the donor's name
and address as they were when the receipt was issued), and `pdf.render_pdf` turns it into
bytes. Keeping the two apart lets the PDF be tested for every receipt kind without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from checkout.core.money import Money


@dataclass(frozen=True, slots=True)
class Issuer:
    """The office that receives the gift and issues the receipt (from config/offices.toml)."""

    legal_name: str
    address: tuple[str, ...]
    place: str  # place of issue, e.g. the office's city
    signatory_name: str
    signatory_title: str
    support_email: str
    support_phone: str
    # Registration numbers; only those the receipt kind needs are set.
    tax_number: str | None = None  # DE
    tax_office: str | None = None  # DE
    exemption_notice_date: date | None = None  # DE Freistellungsbescheid
    tax_privileged_purpose: str | None = None  # DE
    charity_number: str | None = None  # UK
    registration_number: str | None = None  # CA business number (BN)
    abn: str | None = None  # AU
    rsin: str | None = None  # NL
    ein: str | None = None  # US
    # DE: the last assessment period (Veranlagungszeitraum) the notice covers, e.g. 2022; the
    # BMF model prints it after the notice's date.
    assessment_period: int | None = None
    # DE: the Finanzamt was told receipts are made by machine: no signature needed.
    machine_made: bool = False


@dataclass(frozen=True, slots=True)
class DonorOnReceipt:
    """The donor as the receipt names them: full name (CA: with middle initial) and address."""

    full_name: str
    address: tuple[str, ...]  # lines; may be empty where the office does not need it


@dataclass(frozen=True, slots=True)
class GiftLine:
    """One gift the receipt confirms."""

    received_on: date
    amount: Money
    reference: str  # our payment reference, e.g. "P-42"


@dataclass(frozen=True, slots=True)
class GiftAidConfirmation:
    """UK: the declaration the donor made, confirmed on the receipt with how to cancel it."""

    declared_on: date
    declaration_text: str


@dataclass(frozen=True, slots=True)
class ReceiptDocument:
    """One receipt or annual statement, ready to render."""

    kind: str  # de_zuwendungsbestaetigung, uk_gift_aid, ca_official_receipt, au_dgr, nl_anbi,
    # us_501c3 (the office's receipt kind)
    number: str  # e.g. "DE-2026-000123"
    issued_on: date
    language: str  # en, de, nl, fr: the donor's language where the kind allows it
    issuer: Issuer
    donor: DonorOnReceipt
    gifts: tuple[GiftLine, ...]  # one for a single receipt; every gift for a statement
    period: tuple[date, date] | None = None  # set for an annual statement
    replaces: str | None = None  # number of the voided receipt this one replaces
    advantage: Money | None = None  # CA: value of any advantage received (usually zero)
    gift_aid: GiftAidConfirmation | None = None  # UK, when the donor declared
    recurring: bool = False  # the gifts are instalments of a recurring gift
    notes: tuple[str, ...] = field(default=())  # extra lines an office's adviser wants
    advantage_description: str | None = None  # CA: what the advantage was; needed if not zero
    #: AU: a year's summary of gifts already receipted one by one (references are their
    #: receipts' numbers); not a receipt, and it says so.
    summary: bool = False

    @property
    def total(self) -> Money:
        """The sum of the gifts (all in one currency: a receipt never mixes currencies)."""
        amounts = [gift.amount for gift in self.gifts]
        total = amounts[0]
        for amount in amounts[1:]:
            total = total + amount
        return total

    @property
    def is_statement(self) -> bool:
        """An annual statement (Sammelbestätigung, cumulative receipt, yearly summary)."""
        return self.period is not None
