"""What each kind of receipt says, as a list of blocks in the receipt's language.

`blocks_for` decides the words and their order from a ReceiptDocument; `pdf` only lays the
blocks out. Keeping the two apart lets the content of every kind be read (and tested) as text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Final

from babel.dates import format_date

from checkout.core.money import Money, format_money
from checkout.receipts import wording as w
from checkout.receipts.document import ReceiptDocument
from checkout.receipts.words_de import amount_in_german_words


@dataclass(frozen=True, slots=True)
class Title:
    """The receipt's title (for the DE model, the official one)."""

    text: str


@dataclass(frozen=True, slots=True)
class Heading:
    """A section heading."""

    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Running text; `small` for notes in the margin of the law."""

    text: str
    small: bool = False
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Fields:
    """Label and value pairs, one per row."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Party:
    """A labelled name and address block (issuer or donor)."""

    label: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """Gifts in columns; the last column (the amount) is right-aligned, `total` is the sum row."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Signature:
    """Place and date, and who signs for the issuer."""

    place_and_date: str
    name: str
    title: str
    caption: str
    sign_here: bool = False  # a line for a handwritten signature above the name


@dataclass(frozen=True, slots=True)
class PageBreak:
    """Start a new page (the annex of a Sammelbestätigung)."""


Block = Title | Heading | Paragraph | Fields | Party | Table | Signature | PageBreak

#: (kind, language) -> Babel locale for amounts and dates; the first language is the default.
LOCALES: Final[dict[str, dict[str, str]]] = {
    "de_zuwendungsbestaetigung": {"de": "de_DE"},
    "uk_gift_aid": {"en": "en_GB"},
    "ca_official_receipt": {"en": "en_CA", "fr": "fr_CA"},
    "au_dgr": {"en": "en_AU"},
    "nl_anbi": {"nl": "nl_NL", "en": "en_NL"},
    "us_501c3": {"en": "en_US"},
}


@dataclass(frozen=True, slots=True)
class Writer:
    """The document with its language settled, and how it writes amounts and dates."""

    doc: ReceiptDocument
    language: str
    locale: str

    def money(self, amount: Money) -> str:
        """An amount as this receipt writes it, e.g. "1.234,50 €" in German."""
        return format_money(amount, self.locale)

    def date(self, day: date) -> str:
        """A date as this receipt writes it ("17.05.2026" in German)."""
        return format_date(day, "medium" if self.language == "de" else "long", locale=self.locale)

    def common(self, key: str, **fields: str) -> str:
        """One of the texts every kind shares."""
        return w.COMMON[self.language][key].format(**fields)


def writer_for(document: ReceiptDocument) -> Writer:
    """Settle the language: the document's if the kind allows it, else the kind's default."""
    locales = LOCALES[document.kind]
    language = document.language if document.language in locales else next(iter(locales))
    return Writer(document, language, locales[language])


@dataclass(frozen=True, slots=True)
class Content:
    """Everything the receipt says: blocks in order, the footer line and the PDF's title."""

    language: str
    blocks: tuple[Block, ...]
    footer: str
    title: str


def content_for(document: ReceiptDocument) -> Content:
    """What `document` says, in its language."""
    writer = writer_for(document)
    blocks = list(_KINDS[document.kind](writer))
    blocks += [Paragraph(note, small=True) for note in document.notes]
    issuer = document.issuer
    phone = _unbroken(issuer.support_phone)
    footer = writer.common("contact", email=issuer.support_email, phone=phone)
    title = next((block.text for block in blocks if isinstance(block, Title)), document.number)
    return Content(writer.language, tuple(blocks), footer, f"{title} {document.number}")


# --- Shared pieces ------------------------------------------------------------------------


def _replacement(wr: Writer) -> list[Block]:
    """For a replacement: which receipt it voids."""
    if not wr.doc.replaces:
        return []
    return [Paragraph(wr.common("replaces", number=wr.doc.replaces), bold=True)]


def _header(wr: Writer) -> list[Block]:
    """Receipt number and issue date, and the replacement note."""
    doc = wr.doc
    rows = ((wr.common("number"), doc.number), (wr.common("issued_on"), wr.date(doc.issued_on)))
    return [Fields(rows), *_replacement(wr)]


def _issuer(wr: Writer, *extra: str) -> Party:
    """The issuer's name, address and registration lines."""
    issuer = wr.doc.issuer
    return Party("", (issuer.legal_name, *issuer.address, *extra))


def _donor(wr: Writer, label: str = "") -> Party:
    """The donor's name and address."""
    donor = wr.doc.donor
    return Party(label or wr.common("donor"), (donor.full_name, *donor.address))


def _gift_or_period(wr: Writer) -> tuple[str, str]:
    """The gift's date, or the statement's period."""
    doc = wr.doc
    if doc.period is not None:
        start, end = doc.period
        return wr.common("period"), f"{wr.date(start)} – {wr.date(end)}"
    return wr.common("gift_date"), wr.date(doc.gifts[0].received_on)


def _gift_table(wr: Writer) -> list[Block]:
    """The statement's list of gifts with their total; nothing for a single receipt."""
    doc = wr.doc
    if not doc.is_statement:
        return []
    columns = (wr.common("date"), wr.common("reference"), wr.common("amount"))
    rows = tuple((wr.date(g.received_on), g.reference, wr.money(g.amount)) for g in doc.gifts)
    total = (wr.common("total"), "", wr.money(doc.total))
    return [Heading(wr.common("gifts")), Table(columns, rows, total)]


def _signature(wr: Writer, caption: str = "", *, sign_here: bool = False) -> Signature:
    """Place and date of issue with the signatory (and a line to sign on, if asked)."""
    issuer = wr.doc.issuer
    place_and_date = f"{issuer.place}, {wr.date(wr.doc.issued_on)}"
    return Signature(
        place_and_date, issuer.signatory_name, issuer.signatory_title, caption, sign_here
    )


def _unbroken(text: str) -> str:
    """`text` with no-break spaces, so a phone number stays on one line."""
    return text.replace(" ", "\u00a0")


def _required(value: str | None, name: str, kind: str) -> str:
    """A registration value the kind cannot do without."""
    if not value:
        raise ValueError(f"a {kind} receipt needs the issuer's {name}")
    return value


def _gift_fields(wr: Writer) -> Fields:
    """When and how much: the gift's date and amount, or the period and the total."""
    label, when = _gift_or_period(wr)
    amount_label = wr.common("total" if wr.doc.is_statement else "amount")
    return Fields(((label, when), (amount_label, wr.money(wr.doc.total))))


# --- Germany ------------------------------------------------------------------------------


def _de_purpose(purpose: str) -> str:
    """The purpose as the model's "wegen Förderung ..." needs it."""
    return purpose if purpose.startswith("Förderung") else f"Förderung {purpose}"


def _de_exemption(wr: Writer, purpose: str) -> str:
    """The exemption statement with tax office, tax number and date of the notice."""
    issuer, kind = wr.doc.issuer, wr.doc.kind
    office = _required(issuer.tax_office, "tax office", kind)
    notice = issuer.exemption_notice_date
    if notice is None:
        raise ValueError(f"a {kind} receipt needs the date of the exemption notice")
    period = issuer.assessment_period
    if period is None:
        raise ValueError(f"a {kind} receipt needs the last assessment period of the notice")
    return w.DE_EXEMPTION.format(
        purpose=purpose,
        tax_office=office.replace("Finanzamt ", "Finanzamtes ", 1)
        if office.startswith("Finanzamt ")
        else f"Finanzamtes {office}",
        tax_number=_required(issuer.tax_number, "tax number", kind),
        notice_date=wr.date(notice),
        assessment_period=period,
    )


def _de_amounts(wr: Writer) -> Fields:
    """Amount in figures and in words, and the date (or period) of the gift."""
    doc = wr.doc
    figures = w.DE_TOTAL_FIGURES if doc.is_statement else w.DE_AMOUNT_FIGURES
    when = (w.DE_PERIOD if doc.is_statement else w.DE_GIFT_DATE, _gift_or_period(wr)[1])
    words = (w.DE_AMOUNT_WORDS, amount_in_german_words(doc.total))
    return Fields(((figures, wr.money(doc.total)), words, when))


def _de_annex(wr: Writer) -> list[Block]:
    """The Sammelbestätigung's annex: every gift with date, kind, waiver and amount."""
    doc = wr.doc
    rows = tuple(
        (wr.date(g.received_on), w.DE_GIFT_KIND, w.DE_NO, wr.money(g.amount)) for g in doc.gifts
    )
    total = (w.DE_TOTAL, "", "", wr.money(doc.total))
    title = w.DE_ANNEX_TITLE.format(number=doc.number)
    return [PageBreak(), Heading(title), Table(w.DE_ANNEX_COLUMNS, rows, total)]


def _de(wr: Writer) -> list[Block]:
    """Zuwendungsbestätigung or Sammelbestätigung after the BMF model."""
    doc = wr.doc
    purpose = _de_purpose(_required(doc.issuer.tax_privileged_purpose, "purpose", doc.kind))
    blocks: list[Block] = [Party(w.DE_ISSUER, (doc.issuer.legal_name, *doc.issuer.address))]
    blocks += _header(wr)
    blocks += [Title(w.DE_TITLE_STATEMENT if doc.is_statement else w.DE_TITLE)]
    blocks += [_donor(wr, w.DE_DONOR), _de_amounts(wr)]
    if doc.is_statement:
        blocks.append(Paragraph(w.DE_WAIVER_IN_ANNEX))
    else:
        blocks.append(Paragraph(w.DE_NO_WAIVER))
    blocks += [Paragraph(_de_exemption(wr, purpose)), Paragraph(w.DE_USE.format(purpose=purpose))]
    if doc.is_statement:
        blocks.append(Paragraph(w.DE_NO_OTHER_CONFIRMATIONS))
    if doc.issuer.machine_made:  # the Finanzamt was told: valid without a signature
        blocks += [_signature(wr, w.DE_SIGNATURE_CAPTION), Paragraph(w.DE_MACHINE_MADE, small=True)]
    else:
        blocks.append(_signature(wr, w.DE_SIGNATURE_CAPTION, sign_here=True))
    blocks += [Paragraph(f"{w.DE_NOTE_TITLE} {w.DE_LIABILITY} {w.DE_NOTICE_AGE}", small=True)]
    return blocks + (_de_annex(wr) if doc.is_statement else [])


# --- United Kingdom -----------------------------------------------------------------------


def _uk_gift_aid(wr: Writer) -> list[Block]:
    """The declaration confirmed, and how to cancel it; nothing without a declaration."""
    doc = wr.doc
    declaration = doc.gift_aid
    if declaration is None:
        return []
    charity, issuer = doc.issuer.legal_name, doc.issuer
    confirm = w.UK_GIFT_AID.format(date=wr.date(declaration.declared_on), charity=charity)
    phone = _unbroken(issuer.support_phone)
    cancel = w.UK_GIFT_AID_CANCEL.format(email=issuer.support_email, phone=phone)
    return [
        Heading(w.UK_GIFT_AID_TITLE),
        Paragraph(confirm),
        Paragraph(f"“{declaration.declaration_text}”"),
        Paragraph(cancel),
    ]


def _uk(wr: Writer) -> list[Block]:
    """A thank-you receipt, with the Gift Aid declaration where the donor made one."""
    issuer = wr.doc.issuer
    number = _required(issuer.charity_number, "charity number", wr.doc.kind)
    blocks: list[Block] = [_issuer(wr, w.UK_CHARITY_NUMBER.format(number=number))]
    blocks += [*_header(wr), Title(w.UK_TITLE), _donor(wr), _gift_fields(wr)]
    blocks += [*_gift_table(wr), Paragraph(w.UK_THANKS.format(charity=issuer.legal_name))]
    return blocks + _uk_gift_aid(wr)


# --- Canada -------------------------------------------------------------------------------


def _ca_advantage(wr: Writer) -> tuple[tuple[str, str], ...]:
    """Value and description of the advantage, and the eligible amount."""
    doc, texts = wr.doc, w.CA[wr.language]
    advantage = doc.advantage or Money.zero(doc.total.currency)
    eligible = doc.total - advantage
    if advantage.minor < 0 or eligible.minor < 0:
        raise ValueError(f"the advantage {advantage} does not fit the gift {doc.total}")
    if not advantage.is_positive:
        value = description = texts["none"]
    else:
        value = wr.money(advantage)
        description = _required(doc.advantage_description, "advantage description", doc.kind)
    return (
        (texts["advantage_value"], value),
        (texts["advantage_description"], description),
        (texts["eligible"], wr.money(eligible)),
    )


def _ca(wr: Writer) -> list[Block]:
    """The CRA official receipt (one gift, or a cumulative receipt for a year)."""
    doc, texts = wr.doc, w.CA[wr.language]
    bn = _required(doc.issuer.registration_number, "registration number", doc.kind)
    received = _gift_or_period(wr)[1]
    blocks: list[Block] = [_issuer(wr, f"{texts['registration']}: {bn}")]
    blocks.append(Title(texts["title"]))
    serial = Fields(
        (
            (texts["serial"], doc.number),
            (texts["place"], doc.issuer.place),
            (wr.common("issued_on"), wr.date(doc.issued_on)),
            (texts["received_period" if doc.is_statement else "received"], received),
        )
    )
    blocks += [serial, *_replacement(wr), _donor(wr)]
    blocks.append(Fields(((texts["amount"], wr.money(doc.total)), *_ca_advantage(wr))))
    blocks += _gift_table(wr)
    blocks += [_signature(wr, texts["signature"], sign_here=True), Paragraph(texts["cra"])]
    return blocks


# --- Australia, the Netherlands, the United States ----------------------------------------


def _au(wr: Writer) -> list[Block]:
    """A DGR receipt: organisation, ABN, and that the amount is a gift."""
    doc = wr.doc
    if doc.summary:
        return _au_summary(wr)
    abn = _required(doc.issuer.abn, "ABN", doc.kind)
    gift = w.AU_GIFT.format(organisation=doc.issuer.legal_name, amount=wr.money(doc.total))
    blocks: list[Block] = [_issuer(wr, w.AU_ABN.format(abn=abn)), *_header(wr)]
    blocks += [Title(w.AU_TITLE), _donor(wr), _gift_fields(wr), *_gift_table(wr)]
    return [*blocks, Paragraph(gift)]


def _au_summary(wr: Writer) -> list[Block]:
    """A monthly donor's July-June summary of gifts receipted one by one: not a receipt."""
    doc = wr.doc
    assert doc.period is not None, "a summary covers a tax year"
    start, end = (wr.date(day) for day in doc.period)
    abn = _required(doc.issuer.abn, "ABN", doc.kind)
    rows = tuple((wr.date(g.received_on), g.reference, wr.money(g.amount)) for g in doc.gifts)
    table = Table(w.AU_SUMMARY_COLUMNS, rows, (w.AU_SUMMARY_TOTAL, "", wr.money(doc.total)))
    return [
        _issuer(wr, w.AU_ABN.format(abn=abn)),
        Title(w.AU_SUMMARY_TITLE.format(start=start, end=end)),
        Paragraph(w.AU_SUMMARY_NOT_A_RECEIPT, bold=True),
        _donor(wr),
        table,
    ]


def _nl(wr: Writer) -> list[Block]:
    """An ANBI's confirmation: name and RSIN, so the donor can check the status."""
    doc, texts = wr.doc, w.NL[wr.language]
    rsin = _required(doc.issuer.rsin, "RSIN", doc.kind)
    anbi = doc.issuer.legal_name
    blocks: list[Block] = [_issuer(wr, f"{texts['rsin']}: {rsin}"), *_header(wr)]
    blocks += [Title(texts["title"]), Paragraph(texts["thanks"].format(anbi=anbi)), _donor(wr)]
    blocks += [_gift_fields(wr), *_gift_table(wr)]
    if doc.recurring:
        blocks.append(Paragraph(texts["recurring"]))
    return [*blocks, Paragraph(texts["anbi"].format(anbi=anbi, rsin=rsin))]


def _us(wr: Writer) -> list[Block]:
    """A 501(c)(3) acknowledgment: no goods or services in exchange."""
    doc = wr.doc
    ein = _required(doc.issuer.ein, "EIN", doc.kind)
    name = doc.issuer.legal_name
    blocks: list[Block] = [_issuer(wr, f"EIN {ein}"), *_header(wr), Title(w.US_TITLE)]
    blocks += [_donor(wr), _gift_fields(wr), *_gift_table(wr)]
    thanks = w.US_THANKS.format(amount=wr.money(doc.total), organisation=name)
    exempt = w.US_EXEMPT.format(organisation=name, ein=ein)
    return [*blocks, Paragraph(thanks), Paragraph(w.US_NO_GOODS, bold=True), Paragraph(exempt)]


_KINDS: Final[dict[str, Callable[[Writer], list[Block]]]] = {
    "de_zuwendungsbestaetigung": _de,
    "uk_gift_aid": _uk,
    "ca_official_receipt": _ca,
    "au_dgr": _au,
    "nl_anbi": _nl,
    "us_501c3": _us,
}
