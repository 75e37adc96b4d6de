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
from datetime import date
from pathlib import Path

import pytest
from pypdf import PasswordType, PdfReader
from pypdf.constants import UserAccessPermissions

from checkout.core.money import Money, format_money
from checkout.offices import Office, load_registry
from checkout.paths import CONFIG_DIR
from checkout.receipts.document import DonorOnReceipt, GiftLine, ReceiptDocument
from checkout.receipts.documents import gift_aid_confirmation, issuer_of
from checkout.receipts.pdf import render_pdf

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
#: The BMF model's exemption sentence, in full, as the shipped DE office fills it in.
DE_EXEMPTION = (
    "Wir sind wegen Förderung der Hilfe für Opfer von Straftaten nach dem Freistellungsbescheid "
    "bzw. nach der Anlage zum Körperschaftsteuerbescheid des Finanzamtes für Körperschaften I "
    "Berlin, StNr. {tax_number}, vom 17.05.2024 für den letzten Veranlagungszeitraum 2022 nach "
    "§ 5 Abs. 1 Nr. 9 des Körperschaftsteuergesetzes von der Körperschaftsteuer und nach § 3 Nr. "
    "6 des Gewerbesteuergesetzes von der Gewerbesteuer befreit."
)
DE_MACHINE_MADE = "Diese Bestätigung wurde maschinell erstellt und ist ohne Unterschrift gültig."
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
            DE_EXEMPTION.format(tax_number=issuer.tax_number),
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


def test_no_password_opens_a_receipt_as_its_owner() -> None:
    """The owner password is random for every PDF and never kept."""
    pdf = render_pdf(document("au_dgr"))
    assert PdfReader(io.BytesIO(pdf)).decrypt("") == PasswordType.USER_PASSWORD
    for guess in ("owner", "a guess", "fixed-for-test"):
        assert PdfReader(io.BytesIO(pdf)).decrypt(guess) == PasswordType.NOT_DECRYPTED


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
    assert not [r for r in caplog.records if "no receipt font" in r.getMessage()]


def test_cjk_characters_come_from_the_fallback_font() -> None:
    donor = DonorOnReceipt("山田 花子", ())
    page = read(render_pdf(document("us_501c3", donor=donor))).pages[0]
    fonts = page["/Resources"]["/Font"]
    names = {str(fonts[key].get_object()["/BaseFont"]) for key in fonts}
    assert any("DroidSansFallback" in name for name in names), names
    assert any("DejaVuSans" in name for name in names), names


def test_a_latin_name_needs_no_fallback_font() -> None:
    page = read(render_pdf(document("us_501c3"))).pages[0]
    fonts = page["/Resources"]["/Font"]
    names = {str(fonts[key].get_object()["/BaseFont"]) for key in fonts}
    assert not any("DroidSansFallback" in name for name in names), names


def test_characters_no_font_has_are_counted_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A name in a script neither face covers: the log says how many, never which."""
    donor = DonorOnReceipt("देवनागरी", ())
    with caplog.at_level(logging.WARNING):
        render_pdf(document("us_501c3", donor=donor))
    messages = " ".join(record.getMessage() for record in caplog.records)
    assert "characters no receipt font has" in messages
    assert "देव" not in messages


def test_same_document_same_content_and_creation_date_from_issue_date() -> None:
    doc = document("de_zuwendungsbestaetigung")
    first, second = render_pdf(doc), render_pdf(doc)
    # AES gives every string and stream a random start (IV): the bytes differ, not what
    # they hold once decrypted.
    assert first != second
    contents = [[p.get_contents() for p in read(pdf).pages] for pdf in (first, second)]
    pages = [[stream.get_data() for stream in streams if stream] for streams in contents]
    assert pages[0] == pages[1]
    metadata = read(first).metadata
    assert metadata is not None
    assert metadata.creation_date is not None
    assert metadata.creation_date.date() == ISSUED
    assert metadata.title is not None and doc.number in metadata.title


QPDF = shutil.which("qpdf")


def _qpdf_check(pdf: bytes, tmp_path: Path) -> str:
    if QPDF is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true and qpdf is missing (.ci/run installs Debian's qpdf)")
        pytest.skip("needs qpdf (Debian's qpdf package) to check the PDFs independently")
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    checked = subprocess.run([QPDF, "--check", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No syntax or stream encoding errors found" in checked.stdout
    return checked.stdout


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", ["single", "statement"])
def test_qpdf_finds_no_error_in_the_file(kind: str, shape: str, tmp_path: Path) -> None:
    """An independent reader checks every kind, single and statement: syntax, streams,
    encryption."""
    donor = DonorOnReceipt("Zoë Łukasiewicz 山田", ("Ring 1", "10115 Berlin"))
    doc = document(kind, donor=donor) if shape == "single" else statement(kind, donor=donor)
    checked = _qpdf_check(render_pdf(doc, specimen=True), tmp_path)
    assert "file encryption method: AESv2" in checked


def test_office_notes_are_printed() -> None:
    doc = document("us_501c3", notes=("Gift made through a donor-advised fund.",))
    assert "Gift made through a donor-advised fund." in text_of(render_pdf(doc))


@pytest.mark.parametrize("kind", KINDS)
def test_a_specimen_says_so_on_every_page(kind: str) -> None:
    """Outside production every PDF carries the SPECIMEN mark; a real receipt does not."""
    pages = read(render_pdf(statement(kind), specimen=True)).pages
    assert len(pages) == (2 if kind == "de_zuwendungsbestaetigung" else 1)
    assert all("SPECIMEN" in page.extract_text() for page in pages)
    assert "SPECIMEN" not in text_of(render_pdf(statement(kind)))


def test_a_german_receipt_without_its_assessment_period_is_refused() -> None:
    doc = document("de_zuwendungsbestaetigung")
    issuer = dataclasses.replace(doc.issuer, assessment_period=None)
    with pytest.raises(ValueError, match="assessment period"):
        render_pdf(dataclasses.replace(doc, issuer=issuer))


def test_a_german_receipt_is_signed_by_hand_until_the_finanzamt_was_told() -> None:
    """Not notified (the shipped setting): no machine-made sentence, a line to sign on."""
    doc = document("de_zuwendungsbestaetigung")
    assert not doc.issuer.machine_made
    signed = render_pdf(doc)
    assert flat(DE_MACHINE_MADE) not in text_of(signed)
    assert doc.issuer.signatory_name in text_of(signed)
    assert _has_signature_line(signed)
    notified = dataclasses.replace(doc, issuer=dataclasses.replace(doc.issuer, machine_made=True))
    machine = render_pdf(notified)
    assert flat(DE_MACHINE_MADE) in text_of(machine)
    assert not _has_signature_line(machine)


def _has_signature_line(pdf: bytes) -> bool:
    """Whether the first page draws the 85 mm line a signature goes on (rules are wider)."""
    contents = read(pdf).pages[0].get_contents()
    assert contents is not None
    lines = re.findall(
        r"([\d.]+) ([\d.]+) m ([\d.]+) \2 l S", contents.get_data().decode("latin-1")
    )
    return any(abs(float(x2) - float(x1) - 85 * 72 / 25.4) < 0.5 for x1, _y, x2 in lines)
