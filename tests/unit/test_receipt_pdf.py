"""Receipt PDFs: every kind says what its country's law asks, on a protected, readable PDF.

Each kind's document is built from its real office in config/offices.toml, rendered, and read
back with pypdf (as a donor's PDF reader or a tax office would), so the assertions are about
the text a person sees, not about our own data structures. The legal sentences are spelled
out here on purpose, rather than imported from the wording module, so that a slip in the
wording fails a test.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.encryption import StandardSecurityHandler
from fpdf.enums import Align, EncryptionMethod, XPos, YPos
from fpdf.fonts import SubsetMap
from PIL import Image
from pypdf import PasswordType, PdfReader
from pypdf.constants import UserAccessPermissions

from checkout.core.money import Money, format_money
from checkout.offices import Office, load_registry
from checkout.paths import CONFIG_DIR
from checkout.receipts.document import DonorOnReceipt, GiftLine, ReceiptDocument
from checkout.receipts.documents import gift_aid_confirmation, issuer_of
from checkout.receipts.fonts import _ALWAYS_EMBEDDED, FAMILY, SUBSETS, FontSubsets
from checkout.receipts.pdf import _OWNER_PASSWORD, PERMISSIONS, _write_line, render_pdf
from checkout.receipts.pdf_file import ProtectedPDF, ReceiptOutput
from checkout.receipts.pdf_security import Encryption, Protection

OFFICES = load_registry(CONFIG_DIR / "offices.toml")
KINDS = (
    "de_zuwendungsbestaetigung",
    "uk_gift_aid",
    "ca_official_receipt",
    "au_dgr",
    "nl_anbi",
    "us_501c3",
)
#: How each kind writes amounts (independent of the renderer's own table).
LOCALES = {
    "de_zuwendungsbestaetigung": "de_DE",
    "uk_gift_aid": "en_GB",
    "ca_official_receipt": "en_CA",
    "au_dgr": "en_AU",
    "nl_anbi": "nl_NL",
    "us_501c3": "en_US",
}
ISSUED = date(2026, 5, 8)
GIVEN = date(2026, 5, 7)
YEAR = (date(2026, 1, 1), date(2026, 12, 31))

DE_TITLE = (
    "Bestätigung über Geldzuwendungen/Mitgliedsbeitrag im Sinne des § 10b des "
    "Einkommensteuergesetzes an eine der in § 5 Abs. 1 Nr. 9 des Körperschaftsteuergesetzes "
    "bezeichneten Körperschaften, Personenvereinigungen oder Vermögensmassen"
)
DE_LIABILITY = (
    "Wer vorsätzlich oder grob fahrlässig eine unrichtige Zuwendungsbestätigung erstellt oder "
    "veranlasst, dass Zuwendungen nicht zu den in der Zuwendungsbestätigung angegebenen "
    "steuerbegünstigten Zwecken verwendet werden, haftet für die entgangene Steuer "
    "(§ 10b Abs. 4 EStG, § 9 Abs. 3 KStG, § 9 Nr. 5 GewStG)."
)
DE_NOTICE_AGE = (
    "Diese Bestätigung wird nicht als Nachweis für die steuerliche Berücksichtigung der "
    "Zuwendung anerkannt, wenn das Datum des Freistellungsbescheides länger als 5 Jahre"
)
DE_NO_OTHER = (
    "Es wird bestätigt, dass über die in der Gesamtsumme enthaltenen Zuwendungen keine weiteren "
    "Bestätigungen, weder formelle Zuwendungsbestätigungen noch Beitragsquittungen oder "
    "Ähnliches ausgestellt wurden und werden."
)


def office_of(kind: str) -> Office:
    return next(office for office in OFFICES if office.receipt_kind == kind)


def document(kind: str, **changes: object) -> ReceiptDocument:
    """A receipt of `kind` for a single gift of 50 in the office's currency."""
    office = office_of(kind)
    currency = office.default_currency
    doc = ReceiptDocument(
        kind=kind,
        number=f"{office.code}-2026-000123",
        issued_on=ISSUED,
        language=office.languages[0],
        issuer=issuer_of(office),
        donor=DonorOnReceipt("Erika M. Mustermann", ("Ring 1", "10115 Berlin", "Deutschland")),
        gifts=(GiftLine(GIVEN, Money(5000, currency), "P-42"),),
        advantage=Money.zero(currency) if kind == "ca_official_receipt" else None,
        gift_aid=gift_aid_confirmation(office, date(2026, 5, 1), "en")
        if kind == "uk_gift_aid"
        else None,
    )
    return dataclasses.replace(doc, **changes)  # type: ignore[arg-type]


def statement(kind: str, months: int = 12, **changes: object) -> ReceiptDocument:
    """A year's statement of `months` monthly gifts of 25."""
    currency = office_of(kind).default_currency
    gifts = tuple(
        GiftLine(date(2026, m, 3), Money(2500, currency), f"P-{m}") for m in range(1, months + 1)
    )
    return document(kind, gifts=gifts, period=YEAR, issued_on=date(2027, 1, 10), **changes)


def read(pdf: bytes) -> PdfReader:
    """Open the PDF as a reader would: encrypted, but with an empty user password."""
    reader = PdfReader(io.BytesIO(pdf))
    if reader.is_encrypted:
        reader.decrypt("")
    return reader


def flat(text: str) -> str:
    """Text with every run of whitespace (line breaks, no-break spaces) as one space."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def text_of(pdf: bytes) -> str:
    return flat(" ".join(page.extract_text() for page in read(pdf).pages))


def money(kind: str, minor: int) -> str:
    return flat(format_money(Money(minor, office_of(kind).default_currency), LOCALES[kind]))


def required_texts(kind: str) -> list[str]:
    """What a single 50 receipt of `kind` must say, beyond the fields every kind has."""
    issuer = issuer_of(office_of(kind))
    return {
        "de_zuwendungsbestaetigung": [
            DE_TITLE,
            "fünfzig Euro",
            "07.05.2026",
            "Es handelt sich um den Verzicht auf Erstattung von Aufwendungen: Nein",
            f"Wir sind wegen Förderung der Hilfe für Opfer von Straftaten nach dem "
            f"Freistellungsbescheid bzw. nach der Anlage zum Körperschaftsteuerbescheid des "
            f"Finanzamtes für Körperschaften I Berlin, StNr. {issuer.tax_number}, vom 17.05.2024",
            "nach § 5 Abs. 1 Nr. 9 des Körperschaftsteuergesetzes von der Körperschaftsteuer",
            "Es wird bestätigt, dass die Zuwendung nur zur Förderung der Hilfe für Opfer von "
            "Straftaten verwendet wird.",
            "Berlin, 08.05.2026",
            DE_LIABILITY,
            DE_NOTICE_AGE,
            *issuer.address,
        ],
        "uk_gift_aid": [
            f"Registered charity number {issuer.charity_number}",
            "7 May 2026",
            "you declared that you want International Justice Mission UK to treat this gift, "
            "all gifts you make in the future and those you made in the past 4 years as Gift Aid",
            "I am a UK taxpayer and understand that if I pay less Income Tax",
            "cancel your declaration",
            issuer.support_email,
            issuer.support_phone,
        ],
        "ca_official_receipt": [
            "Official receipt for income tax purposes",
            f"Charity registration number (BN): {issuer.registration_number}",
            f"Serial number {office_of(kind).code}-2026-000123",
            "Place of issue Toronto",
            "Date gift received May 7, 2026",
            "Value of advantage None",
            "Description of advantage None",
            "Eligible amount of gift for tax purposes $50.00",
            issuer.signatory_name,
            issuer.signatory_title,
            "Canada Revenue Agency: canada.ca/charities-giving",
            *issuer.address,
        ],
        "au_dgr": [
            f"ABN {issuer.abn}",
            "7 May 2026",
            "as a gift",
            "Gifts of $2 or more to International Justice Mission Australia are tax deductible.",
        ],
        "nl_anbi": [
            "Ontvangstbevestiging van je gift",
            f"RSIN: {issuer.rsin}",
            "algemeen nut beogende instelling (ANBI)",
            "7 mei 2026",
        ],
        "us_501c3": [
            f"EIN {issuer.ein}",
            "May 7, 2026",
            "No goods or services were provided in exchange for this contribution.",
        ],
    }[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_says_what_its_law_asks(kind: str) -> None:
    doc = document(kind)
    text = text_of(render_pdf(doc))
    every_kind = [doc.number, doc.issuer.legal_name, doc.donor.full_name, money(kind, 5000)]
    missing = [flat(t) for t in every_kind + required_texts(kind) if flat(t) not in text]
    assert not missing, f"{kind} lacks {missing}\n--- text ---\n{text}"


@pytest.mark.parametrize("kind", KINDS)
def test_issue_date_and_donor_address(kind: str) -> None:
    text = text_of(render_pdf(document(kind)))
    issued = {"de_zuwendungsbestaetigung": "08.05.2026", "nl_anbi": "8 mei 2026"}
    assert issued.get(kind, "May") in text
    assert "Ring 1 10115 Berlin Deutschland" in text


def test_a_german_receipt_is_one_page_even_for_a_long_address_and_a_large_gift() -> None:
    donor = DonorOnReceipt(
        "Prof. Dr. Maximiliane Alexandra von und zu Hohenzollern-Sigmaringen-Mustermann",
        ("c/o Stiftungsbüro", "Hinterhaus, 3. Obergeschoss", "Lange Straße 123a", "10115 Berlin"),
    )
    big = (GiftLine(GIVEN, Money(2_345_678_91, "EUR"), "P-1"),)
    doc = document("de_zuwendungsbestaetigung", donor=donor, gifts=big, replaces="DE-2026-1")
    reader = read(render_pdf(doc))
    assert len(reader.pages) == 1
    text = flat(reader.pages[0].extract_text())
    assert "zwei Millionen dreihundertfünfundvierzigtausendsechshundertachtundsiebzig Euro " in text
    assert "und einundneunzig Cent" in text


def test_a_german_receipt_is_german_whatever_the_donor_reads() -> None:
    text = text_of(render_pdf(document("de_zuwendungsbestaetigung", language="en")))
    assert DE_TITLE in text
    assert "50,00 €" in text


def test_sammelbestaetigung_lists_each_gift_in_its_annex() -> None:
    reader = read(render_pdf(statement("de_zuwendungsbestaetigung")))
    assert len(reader.pages) == 2, "the confirmation on one page, the annex on the next"
    first, annex = (flat(page.extract_text()) for page in reader.pages)
    assert "Sammelbestätigung über Geldzuwendungen/Mitgliedsbeiträge im Sinne des § 10b" in first
    assert "Gesamtbetrag der Zuwendung – in Ziffern – 300,00 €" in first
    assert "dreihundert Euro" in first
    assert "Zeitraum der Sammelbestätigung 01.01.2026 – 31.12.2026" in first
    assert flat(DE_NO_OTHER) in first
    assert "Anlage zur Sammelbestätigung" in annex
    assert "Verzicht auf Erstattung von Aufwendungen" in annex
    for month in range(1, 13):
        assert f"03.{month:02}.2026 Geldzuwendung nein 25,00 €" in annex
    assert "Gesamtsumme 300,00 €" in annex
    assert "· 1/2" in first and "· 2/2" in annex, "the annex is numbered as part of the whole"


def test_a_statement_that_runs_over_a_page_numbers_every_page_of_the_total() -> None:
    """No page break asked for, but 90 gifts fill more than a page: each footer says n/total."""
    gifts = tuple(
        GiftLine(date(2026, 1 + n % 12, 1 + n % 28), Money(1000 + n, "USD"), f"P-{n}")
        for n in range(90)
    )
    reader = read(render_pdf(document("us_501c3", gifts=gifts, period=YEAR)))
    total = len(reader.pages)
    assert total >= 2
    for number, page in enumerate(reader.pages, start=1):
        assert flat(page.extract_text()).endswith(f"· {number}/{total}"), number


def test_a_single_german_receipt_has_no_annex_and_no_statement_sentence() -> None:
    text = text_of(render_pdf(document("de_zuwendungsbestaetigung")))
    assert "Anlage zur Sammelbestätigung" not in text
    assert flat(DE_NO_OTHER) not in text


def test_canadian_cumulative_receipt_lists_the_year() -> None:
    text = text_of(render_pdf(statement("ca_official_receipt", months=3)))
    assert "Official receipt for income tax purposes" in text
    assert "Gifts received January 1, 2026 – December 31, 2026" in text
    for month in ("January", "February", "March"):
        assert f"{month} 3, 2026 P-" in text
    assert "Total amount of gift $75.00" in text
    assert "Eligible amount of gift for tax purposes $75.00" in text


@pytest.mark.parametrize("kind", ["uk_gift_aid", "au_dgr", "nl_anbi", "us_501c3"])
def test_statements_of_other_kinds_list_gifts_and_total(kind: str) -> None:
    text = text_of(render_pdf(statement(kind, months=2)))
    assert text.count(money(kind, 2500)) >= 2
    assert money(kind, 5000) in text
    assert "P-1" in text
    assert "P-2" in text


def test_canadian_advantage_reduces_the_eligible_amount() -> None:
    doc = document(
        "ca_official_receipt",
        advantage=Money(1500, "CAD"),
        advantage_description="Dinner at the gala",
    )
    text = text_of(render_pdf(doc))
    assert "Value of advantage $15.00" in text
    assert "Description of advantage Dinner at the gala" in text
    assert "Eligible amount of gift for tax purposes $35.00" in text


def test_an_advantage_without_description_is_refused() -> None:
    with pytest.raises(ValueError, match="advantage description"):
        render_pdf(document("ca_official_receipt", advantage=Money(1500, "CAD")))


def test_a_german_receipt_without_tax_number_is_refused() -> None:
    doc = document("de_zuwendungsbestaetigung")
    issuer = dataclasses.replace(doc.issuer, tax_number=None)
    with pytest.raises(ValueError, match="tax number"):
        render_pdf(dataclasses.replace(doc, issuer=issuer))


def test_french_canadian_receipt() -> None:
    text = text_of(render_pdf(document("ca_official_receipt", language="fr")))
    assert "Reçu officiel aux fins de l'impôt sur le revenu" in text
    assert "Montant admissible du don aux fins de l'impôt 50,00 $" in text


@pytest.mark.parametrize(
    ("kind", "language", "note"),
    [
        ("de_zuwendungsbestaetigung", "de", "Diese Bestätigung ersetzt die Bestätigung Nr. OLD-7"),
        ("uk_gift_aid", "en", "This receipt replaces receipt no. OLD-7, which is void."),
        ("ca_official_receipt", "en", "This receipt replaces receipt no. OLD-7, which is void."),
        ("ca_official_receipt", "fr", "Ce reçu remplace le reçu no OLD-7, qui est annulé."),
        ("au_dgr", "en", "This receipt replaces receipt no. OLD-7, which is void."),
        ("nl_anbi", "nl", "Deze bevestiging vervangt bevestiging nr. OLD-7, die ongeldig is."),
        ("us_501c3", "en", "This receipt replaces receipt no. OLD-7, which is void."),
    ],
)
def test_a_replacement_names_the_void_receipt(kind: str, language: str, note: str) -> None:
    assert note in text_of(render_pdf(document(kind, replaces="OLD-7", language=language)))
    assert "OLD-7" not in text_of(render_pdf(document(kind, language=language)))


def test_uk_receipt_without_declaration_is_a_plain_thank_you() -> None:
    text = text_of(render_pdf(document("uk_gift_aid", gift_aid=None)))
    assert "Thank you for your gift" in text
    assert "Gift Aid" not in text


def test_dutch_receipt_mentions_instalments_only_for_recurring_gifts() -> None:
    once = text_of(render_pdf(document("nl_anbi")))
    monthly = text_of(render_pdf(document("nl_anbi", recurring=True)))
    assert "termijn" not in once
    assert "periodieke gift" not in once
    assert "Deze gift is een termijn van je terugkerende gift." in monthly
    assert "Het is geen periodieke gift" in monthly


def test_modification_is_forbidden_but_text_can_be_read_and_printed() -> None:
    reader = PdfReader(io.BytesIO(render_pdf(document("ca_official_receipt"))))
    assert reader.is_encrypted
    assert reader.decrypt("") > 0, "opens without a password"
    allowed = reader.user_access_permissions
    assert allowed is not None
    for forbidden in (
        UserAccessPermissions.MODIFY,
        UserAccessPermissions.ADD_OR_MODIFY,
        UserAccessPermissions.FILL_FORM_FIELDS,
        UserAccessPermissions.ASSEMBLE_DOC,
    ):
        assert forbidden not in allowed, forbidden
    assert UserAccessPermissions.PRINT in allowed
    assert UserAccessPermissions.EXTRACT in allowed
    assert "Official receipt for income tax purposes" in flat(reader.pages[0].extract_text())
    encryption = reader.trailer["/Encrypt"].get_object()
    assert (encryption["/V"], encryption["/R"]) == (4, 4)
    assert encryption["/CF"]["/StdCF"]["/CFM"] == "/AESV2"  # AES-128, not RC4


@pytest.mark.parametrize("owner", ["", "x", "a-much-longer-owner-password-than-32-bytes!!"])
@pytest.mark.parametrize("file_id", ["0" * 32, "DEADBEEF" * 4, "0123456789ABCDEF" * 2])
def test_the_keys_are_fpdf2s_own(owner: str, file_id: str) -> None:
    """The file key, O and U values (ISO 32000-1 algorithms 2, 3 and 5) and P match those of
    fpdf2's pure-Python security handler."""
    fpdf2s = StandardSecurityHandler(FPDF(), owner, "", PERMISSIONS, EncryptionMethod.AES_128)
    fpdf2s.generate_passwords(f"<{file_id}><{file_id}>")
    ours = Encryption(Protection(owner, int(PERMISSIONS)), bytes.fromhex(file_id))
    assert (ours.o.hex(), ours.key, ours.u.hex()) == (fpdf2s.o, fpdf2s.k, fpdf2s.u)
    assert f"/P {ours.p}" in ours.dictionary()
    assert ours.p == fpdf2s.get_encryption_obj().p


@pytest.mark.parametrize(
    "name",
    [
        "Zoë Łukasiewicz 山田",
        "김민준",
        "Αλέξανδρος Παπαδόπουλος",
        "Владимир Петров",
        "Nguyễn Thị Minh",
    ],
)
def test_names_in_any_script_are_drawn_and_extracted(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    donor = DonorOnReceipt(name, ("Ring 1",))
    with caplog.at_level(logging.WARNING):
        pdf = render_pdf(document("de_zuwendungsbestaetigung", donor=donor))
    assert name in text_of(pdf)
    messages = [record.getMessage() for record in caplog.records]
    assert not [m for m in messages if "missing" in m or "no font" in m], messages


def test_the_fallback_font_is_read_only_for_characters_dejavu_lacks() -> None:
    """Its character map is large: a process whose receipts need it never pays for it."""
    subsets = FontSubsets()
    subsets.add_to(FPDF(), "Zoë Łukasiewicz, Müllerstraße 1 € §")
    assert set(subsets._facts) == {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf"}
    page = FPDF()
    subsets.add_to(page, "山田")
    assert "DroidSansFallback.ttf" in subsets._facts
    assert "fallback" in page.fonts


def test_cjk_characters_come_from_the_fallback_font() -> None:
    donor = DonorOnReceipt("山田 花子", ())
    page = read(render_pdf(document("us_501c3", donor=donor))).pages[0]
    fonts = page["/Resources"]["/Font"]
    names = {str(fonts[key].get_object()["/BaseFont"]) for key in fonts}
    assert any("DroidSansFallback" in name for name in names), names
    assert any("DejaVuSans" in name for name in names), names


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        *((kind, "Erika M. Mustermann") for kind in KINDS),
        ("de_zuwendungsbestaetigung", "Zoë Łukasiewicz 山田 花子"),
        ("uk_gift_aid", "Xavier Quinn-Ÿves"),  # letters the legal text lacks
    ],
)
def test_every_glyph_drawn_is_the_character_the_text_says(kind: str, name: str) -> None:
    """The embedded font programs, their CID maps, widths and ToUnicode maps agree.

    Text extraction reads the ToUnicode map only; this checks that the glyph a reader draws
    for each code (through CIDToGIDMap into the embedded program) is that same character, with
    the width the program gives it. Rendered twice: once making the cached font programs, once
    from the cache.
    """
    doc = document(kind, donor=DonorOnReceipt(name, ("Ring 1", "10115 Berlin")))
    for pdf in (render_pdf(doc), render_pdf(doc)):
        checked = ""
        for font in embedded_fonts(pdf):
            program = TTFont(io.BytesIO(font["program"]))
            cmap = program.getBestCmap()
            order = program.getGlyphOrder()
            scale = 1000 / program["head"].unitsPerEm
            for code, text in font["to_unicode"].items():
                gid = int.from_bytes(font["cid_to_gid"][2 * code : 2 * code + 2])
                assert order[gid] == cmap[ord(text)], (font["name"], code, text)
                advance = program["hmtx"][order[gid]][0]
                assert font["widths"][code] == round(advance * scale), (font["name"], text)
                checked += text
        assert set(name) - {" "} <= set(checked)
        assert flat(name) in text_of(pdf)


def test_receipts_for_different_names_embed_the_same_font_programs() -> None:
    """Letters and digits are always embedded, so names do not make new font programs."""
    programs = [
        [font["program"] for font in embedded_fonts(render_pdf(document("uk_gift_aid", donor=d)))]
        for d in (
            DonorOnReceipt("Quentin Xavier-Jablonski", ("1 Zetland Way", "York YO1 7HH")),
            DonorOnReceipt("Anna Berg", ("Ring 1", "10115 Berlin")),
        )
    ]
    assert programs[0] == programs[1]


def embedded_fonts(pdf: bytes) -> list[dict[str, Any]]:
    """Each Type0 font of the first page: its program, maps and widths, decrypted."""
    page = read(pdf).pages[0]
    found = []
    fonts = page["/Resources"]["/Font"]
    for key in fonts:
        type0 = fonts[key].get_object()
        cid_font = type0["/DescendantFonts"][0].get_object()
        descriptor = cid_font["/FontDescriptor"].get_object()
        cmap = type0["/ToUnicode"].get_data()
        blocks = re.findall(rb"beginbfchar\n(.*?)endbfchar", cmap, re.DOTALL)
        bfchar = re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]+)>", b"".join(blocks))
        widths: dict[int, int] = {}
        array = list(cid_font["/W"])
        while array:  # entries are "first [w1 w2 ...]" or "first last w" (ISO 32000-1, 9.7.4.3)
            first, then = int(array.pop(0)), array.pop(0)
            if isinstance(then, list):
                widths.update({first + n: int(width) for n, width in enumerate(then)})
            else:
                width = int(array.pop(0))
                widths.update(dict.fromkeys(range(first, int(then) + 1), width))
        found.append(
            {
                "name": str(type0["/BaseFont"]),
                "program": descriptor["/FontFile2"].get_data(),
                "cid_to_gid": cid_font["/CIDToGIDMap"].get_data(),
                "to_unicode": {
                    int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be")
                    for code, text in bfchar
                },
                "widths": widths,
            }
        )
    return found


def decrypted_contents(pdf: bytes) -> list[bytes]:
    """Every page's content stream and every embedded font program, decrypted."""
    reader = read(pdf)
    streams = [page.get_contents().get_data() for page in reader.pages]  # type: ignore[union-attr]
    return streams + [font["program"] for font in embedded_fonts(pdf)]


def test_same_document_same_content_and_creation_date_from_issue_date() -> None:
    doc = document("de_zuwendungsbestaetigung")
    first = render_pdf(doc, owner_password="fixed-for-test")
    second = render_pdf(doc, owner_password="fixed-for-test")
    # AES gives every string and stream a random start (IV): the bytes differ, not what
    # they hold once decrypted.
    assert decrypted_contents(second) == decrypted_contents(first)
    metadata = read(first).metadata
    assert metadata is not None
    assert metadata.creation_date is not None
    assert metadata.creation_date.date() == ISSUED


def test_two_renderings_differ_in_their_encryption_only() -> None:
    doc = document("au_dgr")
    assert render_pdf(doc) != render_pdf(doc)
    assert text_of(render_pdf(doc)) == text_of(render_pdf(doc))


def test_the_processs_owner_password_opens_its_pdfs_as_owner_and_is_not_in_them() -> None:
    """One random owner password per process (its O value computed once), never written."""
    pdfs = [render_pdf(document(kind)) for kind in ("au_dgr", "uk_gift_aid")]
    for pdf in pdfs:
        assert _OWNER_PASSWORD.encode() not in pdf
        assert read_with(pdf, _OWNER_PASSWORD) == PasswordType.OWNER_PASSWORD
        assert read_with(pdf, "") == PasswordType.USER_PASSWORD
        assert read_with(pdf, "a guess") == PasswordType.NOT_DECRYPTED


def read_with(pdf: bytes, password: str) -> PasswordType:
    return PdfReader(io.BytesIO(pdf)).decrypt(password)


def test_every_object_is_where_the_cross_reference_table_says() -> None:
    """A two-page statement read strictly: the table's offsets, both pages, the page count."""
    pdf = render_pdf(statement("de_zuwendungsbestaetigung"))
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split()[0])
    assert pdf[start:].startswith(b"xref\n0 ")
    entries = pdf[start:].split(b"trailer")[0].splitlines()[2:]
    assert entries[0] == b"0000000000 65535 f "
    for number, entry in enumerate(entries[1:], start=1):
        assert entry.endswith(b" 00000 n ")
        assert pdf[int(entry[:10]) :].startswith(b"%d 0 obj\n" % number), number
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    reader.decrypt("")
    assert len(reader.pages) == 2
    assert reader.trailer["/Size"] == len(entries)
    footers = [flat(page.extract_text()) for page in reader.pages]
    assert "· 1/2" in footers[0] and "· 2/2" in footers[1]  # the page-count alias filled in


QPDF = shutil.which("qpdf")


@pytest.mark.parametrize("kind", KINDS)
def test_qpdf_finds_no_error_in_the_file(kind: str, tmp_path: Path) -> None:
    """An independent reader checks what our writer makes: syntax, streams, encryption."""
    if QPDF is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true and qpdf is missing (.ci/run installs Debian's qpdf)")
        pytest.skip("needs qpdf (Debian's qpdf package) to check the PDFs independently")
    path = tmp_path / "receipt.pdf"
    donor = DonorOnReceipt("Zoë Łukasiewicz 山田", ("Ring 1", "10115 Berlin"))
    path.write_bytes(render_pdf(statement(kind, donor=donor)))
    checked = subprocess.run([QPDF, "--check", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No syntax or stream encoding errors found" in checked.stdout
    assert "file encryption method: AESv2" in checked.stdout


def _protected_page() -> ProtectedPDF:
    page = ProtectedPDF(format="A4", unit="mm")
    page.protection = Protection("owner", int(PERMISSIONS))
    SUBSETS.add_to(page, "A link")
    page.add_page()
    page.set_font(FAMILY, "", 10)
    page.cell(text="A link")
    return page


def _translucent_square(page: FPDF) -> None:
    with page.local_context(fill_opacity=0.5):
        page.rect(10, 10, 5, 5, style="F")


@pytest.mark.parametrize(
    "add",
    [
        lambda page: page.cell(text="A link", link="https://example.org"),
        lambda page: page.set_font("helvetica") or page.cell(text="A link"),
        lambda page: page.image(Image.new("RGB", (2, 2)), 10, 10),
        _translucent_square,
    ],
    ids=["link", "core font", "image", "graphics state"],
)
def test_what_the_writer_would_leave_out_is_refused(add: Callable[[FPDF], object]) -> None:
    plain = _protected_page()
    assert "A link" in text_of(bytes(plain.output(output_producer_class=ReceiptOutput)))
    page = _protected_page()
    add(page)
    with pytest.raises(ValueError, match=r"does not write|not from FontSubsets"):
        page.output(output_producer_class=ReceiptOutput)


def test_documents_that_pick_the_same_characters_in_another_order_map_them_right() -> None:
    """Letters beyond those always embedded get codes in the order a document uses them; an
    embedding is shared only by documents whose codes mean the same characters."""
    names = ("Åsa Öberg-Ýr", "Ýr Öberg-Åsa", "Åsa Öberg-Ýr")
    pdfs = [render_pdf(document("nl_anbi", donor=DonorOnReceipt(n, ("Ring 1",)))) for n in names]
    for name, pdf in zip(names, pdfs, strict=True):
        assert name in text_of(pdf)
    maps = [[font["to_unicode"] for font in embedded_fonts(pdf)] for pdf in pdfs]
    assert maps[0] != maps[1]
    assert maps[0] == maps[2]


def test_a_documents_fonts_start_with_the_codes_fpdf2_would_pick() -> None:
    """Each document's subset map is a copy of one made once per face: the same glyphs with
    the same codes as picking the always-embedded characters one by one."""
    page = FPDF()
    SUBSETS.add_to(page, "Anna Berg 山")
    for font in page.fonts.values():
        fresh = SubsetMap(font)
        for code in _ALWAYS_EMBEDDED:
            if code in font.cmap:
                fresh.pick(code)
        copied = font.subset
        assert copied.font is font
        assert list(copied.items()) == list(fresh.items())
        assert (copied._next, copied._reserved) == (fresh._next, fresh._reserved)
        assert copied._reserved is not fresh._reserved


def test_office_notes_are_printed() -> None:
    doc = document("us_501c3", notes=("Gift made through a donor-advised fund.",))
    assert "Gift made through a donor-advised fund." in text_of(render_pdf(doc))


def _page_with_faces() -> FPDF:
    """An A4 page with the receipt faces (and the fallback), as render_pdf sets one up."""
    page = FPDF(format="A4", unit="mm")
    SUBSETS.add_to(page, "Zoë Łukasiewicz 山田 (a\\b) € 1.234,56 Ÿ")
    page.add_page()
    return page


def _written(page: FPDF, draw: Callable[[FPDF], object]) -> tuple[bytes, float, float]:
    """The operators `draw` adds to the page, and where it leaves the cursor."""
    before = len(page.pages[page.page].contents)
    draw(page)
    return bytes(page.pages[page.page].contents[before:]), page.x, page.y


@pytest.mark.parametrize("row", ["Zoë Łukasiewicz", "(a\\b) € 1.234,56", "Ÿ Q x"])
@pytest.mark.parametrize("align", [Align.L, Align.R, Align.C])
@pytest.mark.parametrize(("style", "size"), [("", 9.5), ("B", 14), ("", 7.8)])
def test_a_plain_line_is_written_as_cell_writes_it(
    row: str, align: Align, style: str, size: float
) -> None:
    """The fast line writer and fpdf2's `cell` give the same operators and cursor."""
    written = []
    for fast in (False, True):
        page = _page_with_faces()
        page.set_font(FAMILY, style, size)
        page.set_text_color(96, 102, 112)
        page.set_xy(42.5, 60)

        def draw(page: FPDF, fast: bool = fast) -> None:
            if fast:
                assert _write_line(page, row, 80, 4.6, align)
            else:
                page.cell(80, 4.6, row, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)

        written.append(_written(page, draw))
        written.append(_written(page, draw))  # again, now that the page has the font
    assert written[0:2] == written[2:4]


@pytest.mark.parametrize(
    ("row", "y"),
    [
        ("山田 花子", 60.0),  # the fallback font draws these: cell's own business
        ("page {nb}", 60.0),  # the total-pages alias is filled in at output
        ("Zoë", 280.0),  # at the foot of the page: cell breaks the page first
        ("", 60.0),  # cell writes nothing for it
    ],
)
def test_lines_that_need_more_than_a_plain_line_are_left_to_cell(row: str, y: float) -> None:
    page = _page_with_faces()
    page.alias_nb_pages()
    page.set_font(FAMILY, "", 9.5)
    page.set_text_color(96, 102, 112)
    page.set_xy(20, y)
    assert _write_line(page, row, 80, 4.6, Align.L) is False
    assert page.y == y
