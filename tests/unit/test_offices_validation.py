"""The loader refuses a broken offices file, naming the file, the office and the field.

Each case takes the real config/offices.toml, breaks exactly one thing, writes the result to a
temporary file and checks that loading it fails with exactly one problem, located precisely.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from offices_toml import dumps

from checkout.offices import OfficeConfigError, load_registry

CONFIG = Path(__file__).resolve().parents[2] / "config" / "offices.toml"

Document = dict[str, Any]
Mutation = Callable[[Document], None]


def _parent(document: Document, dotted: str) -> tuple[dict[str, Any], str]:
    """Return the table holding the last key of a dotted path, and that key."""
    *tables, last = dotted.split(".")
    node = document
    for key in tables:
        node = node[key]
    return node, last


def set_at(dotted: str, value: object) -> Mutation:
    """Mutation that sets the value at a dotted path."""

    def mutate(document: Document) -> None:
        """Set the value."""
        node, key = _parent(document, dotted)
        node[key] = value

    return mutate


def delete_at(dotted: str) -> Mutation:
    """Mutation that removes the key at a dotted path (which must exist)."""

    def mutate(document: Document) -> None:
        """Remove the key."""
        node, key = _parent(document, dotted)
        del node[key]

    return mutate


def append_at(dotted: str, value: object) -> Mutation:
    """Mutation that appends to the array at a dotted path."""

    def mutate(document: Document) -> None:
        """Append the value."""
        node, key = _parent(document, dotted)
        node[key].append(value)

    return mutate


def copy_at(source: str, target: str) -> Mutation:
    """Mutation that copies the value at one dotted path to another."""

    def mutate(document: Document) -> None:
        """Copy the value."""
        node, key = _parent(document, source)
        set_at(target, copy.deepcopy(node[key]))(document)

    return mutate


def real_document() -> Document:
    """Parse the real offices file afresh."""
    return tomllib.loads(CONFIG.read_text(encoding="utf-8"))


def write(tmp_path: Path, document: Document) -> Path:
    """Write a document to a temporary offices file."""
    path = tmp_path / "offices.toml"
    path.write_text(dumps(document), encoding="utf-8")
    return path


def refusal(path: Path) -> OfficeConfigError:
    """Load `path`, expecting an OfficeConfigError, and return it."""
    with pytest.raises(OfficeConfigError) as caught:
        load_registry(path)
    return caught.value


EUR_DE = "offices.DE.currencies.EUR"

CASES = [
    # Finance: the journal's account codes.
    pytest.param(
        delete_at("offices.DE.accounts.fees"),
        "DE",
        "accounts.fees",
        "missing",
        id="account-missing",
    ),
    pytest.param(
        set_at("offices.UK.accounts.bank", "=1+1"),
        "UK",
        "accounts.bank",
        "not an account code",
        id="account-code-formula",
    ),
    pytest.param(
        set_at("offices.NL.accounts.cash", "1000"),
        "NL",
        "accounts.cash",
        "unknown key",
        id="account-unknown",
    ),
    # (mutation, office, field, words of the reason)
    pytest.param(
        delete_at("offices.DE.legal_name"), "DE", "legal_name", "missing", id="missing-field"
    ),
    pytest.param(
        delete_at("offices.CA.registration.registration_number"),
        "CA",
        "registration.registration_number",
        "missing",
        id="missing-registration-number",
    ),
    pytest.param(
        set_at("offices.DE.receipt_per_instalment", "yes"),
        "DE",
        "receipt_per_instalment",
        "expected true or false, got string 'yes'",
        id="wrong-type-bool",
    ),
    pytest.param(
        delete_at("offices.NL.retention_years"),
        "NL",
        "retention_years",
        "missing",
        id="missing-retention-period",
    ),
    pytest.param(
        set_at("offices.UK.retention_years", 0),
        "UK",
        "retention_years",
        "0 is not between 1 and 30",
        id="retention-period-out-of-range",
    ),
    pytest.param(
        set_at(f"{EUR_DE}.minimum", 5),
        "DE",
        "currencies.EUR.minimum",
        "expected a decimal string",
        id="wrong-type-amount-as-number",
    ),
    pytest.param(
        set_at("offices.DE.registration.exemption_notice_date", "2024-05-17"),
        "DE",
        "registration.exemption_notice_date",
        "expected a date",
        id="wrong-type-date-as-string",
    ),
    pytest.param(
        set_at("offices.DE.currencies.EUR.fee_percent_bp", True),
        "DE",
        "currencies.EUR.fee_percent_bp",
        "expected an integer",
        id="wrong-type-bool-for-int",
    ),
    pytest.param(
        copy_at(EUR_DE, "offices.DE.currencies.XYZ"),
        "DE",
        "currencies.XYZ",
        "unknown currency 'XYZ'",
        id="unknown-currency",
    ),
    pytest.param(
        set_at("offices.DE.default_currency", "USD"),
        "DE",
        "default_currency",
        "USD is not accepted (EUR)",
        id="default-currency-not-accepted",
    ),
    pytest.param(
        append_at("offices.NL.countries", "DE"),
        "NL",
        "countries",
        "DE is already mapped to office DE",
        id="country-in-two-offices",
    ),
    pytest.param(
        append_at("offices.DE.countries", "QQ"),
        "DE",
        "countries",
        "'QQ' is not an ISO 3166 alpha-2 country code",
        id="country-not-iso",
    ),
    pytest.param(
        append_at("offices.DE.countries", "EU"),
        "DE",
        "countries",
        "'EU' is not an ISO 3166 alpha-2 country code",
        id="country-is-a-region",
    ),
    pytest.param(
        set_at("offices.DE.countries", ["de"]),
        "DE",
        "countries",
        "write it in upper case",
        id="country-lower-case",
    ),
    pytest.param(
        set_at(f"{EUR_DE}.presets", ["2.00", "50"]),
        "DE",
        "currencies.EUR.presets",
        "2.00 is below the minimum 5.00",
        id="preset-below-minimum",
    ),
    pytest.param(
        set_at(f"{EUR_DE}.presets", ["25", "30000"]),
        "DE",
        "currencies.EUR.presets",
        "30000 is above the maximum 25000.00",
        id="preset-above-maximum",
    ),
    pytest.param(
        set_at(f"{EUR_DE}.minimum", "30000.00"),
        "DE",
        "currencies.EUR.minimum",
        "30000.00 is above the maximum 25000.00",
        id="minimum-above-maximum",
    ),
    pytest.param(
        set_at(f"{EUR_DE}.presets", ["25.001", "50"]),
        "DE",
        "currencies.EUR.presets",
        "25.001 has more decimals than EUR allows (2)",
        id="preset-too-precise",
    ),
    pytest.param(
        set_at(f"{EUR_DE}.presets", ["-25", "50"]),
        "DE",
        "currencies.EUR.presets",
        "'-25' is not a decimal amount",
        id="preset-not-a-decimal",
    ),
    pytest.param(
        append_at(f"{EUR_DE}.methods.once", "paypal"),
        "DE",
        "currencies.EUR.methods.once",
        "'paypal' is not a payment method",
        id="unknown-payment-method",
    ),
    pytest.param(
        append_at("offices.UK.currencies.GBP.methods.once", "sepa_debit"),
        "UK",
        "currencies.GBP.methods.once",
        "sepa_debit can only charge EUR",
        id="method-wrong-currency",
    ),
    pytest.param(
        append_at("offices.NL.currencies.EUR.methods.monthly", "ideal"),
        "NL",
        "currencies.EUR.methods.monthly",
        "ideal is only for once gifts",
        id="method-wrong-frequency",
    ),
    pytest.param(
        append_at("offices.DE.frequencies", "weekly"),
        "DE",
        "frequencies",
        "'weekly' is not a frequency",
        id="unknown-frequency",
    ),
    pytest.param(
        set_at(f"{EUR_DE}.methods.weekly", ["card"]),
        "DE",
        "currencies.EUR.methods.weekly",
        "unknown frequency",
        id="unknown-frequency-in-methods",
    ),
    pytest.param(
        set_at("offices.NL.currencies.EUR.methods.yearly", ["card"]),
        "NL",
        "currencies.EUR.methods.yearly",
        "not in this office's frequencies",
        id="methods-for-a-frequency-not-offered",
    ),
    pytest.param(
        set_at("offices.DE.receipt_kind", "de_receipt"),
        "DE",
        "receipt_kind",
        "'de_receipt' is not a receipt kind",
        id="unknown-receipt-kind",
    ),
    pytest.param(
        delete_at("offices.DE.notices.data_transfer.text.fr"),
        "DE",
        "notices.data_transfer.text.fr",
        "missing: every notice needs en, de, nl, fr",
        id="notice-missing-language",
    ),
    pytest.param(
        set_at("offices.DE.notices.data_transfer.text.de", "  "),
        "DE",
        "notices.data_transfer.text.de",
        "empty",
        id="notice-empty-text",
    ),
    pytest.param(
        set_at("offices.UK.notices.gift_aid_declaration.version", ""),
        "UK",
        "notices.gift_aid_declaration.version",
        "empty",
        id="notice-empty-version",
    ),
    pytest.param(
        delete_at("offices.UK.notices.gift_aid_declaration"),
        "UK",
        "notices.gift_aid_declaration",
        "missing",
        id="gift-aid-office-without-declaration",
    ),
    pytest.param(
        delete_at("offices.INT"),
        "INT",
        "[offices.INT]",
        "missing: the international office is the fallback",
        id="no-int-office",
    ),
    pytest.param(
        delete_at("offices.AU.countries"),
        "AU",
        "countries",
        "only INT may omit it",
        id="second-fallback-office",
    ),
    pytest.param(
        set_at("offices.INT.countries", ["US"]),
        "INT",
        "countries",
        "must be absent",
        id="fallback-office-with-countries",
    ),
    pytest.param(
        set_at("offices.DE.recipt_kind", "de_zuwendungsbestaetigung"),
        "DE",
        "recipt_kind",
        "unknown key (did you mean receipt_kind?)",
        id="unknown-office-key",
    ),
    pytest.param(
        set_at(f"{EUR_DE}.maximun", "100"),
        "DE",
        "currencies.EUR.maximun",
        "unknown key (did you mean maximum?)",
        id="unknown-nested-key",
    ),
    pytest.param(
        delete_at("offices.DE.stripe.sepa_creditor_id"),
        "DE",
        "stripe.sepa_creditor_id",
        "missing: the office offers sepa_debit",
        id="sepa-without-creditor-id",
    ),
    pytest.param(
        set_at("offices.DE.stripe.sepa_creditor_id", "DE99ZZZ09999999999"),
        "DE",
        "stripe.sepa_creditor_id",
        "not a valid SEPA creditor identifier",
        id="creditor-id-bad-check-digits",
    ),
    pytest.param(
        set_at("offices.NL.stripe.secret_key_env", "CHECKOUT_STRIPE_DE_SECRET_KEY"),
        "NL",
        "stripe.secret_key_env",
        "already used by office DE",
        id="stripe-key-shared-by-two-offices",
    ),
    pytest.param(
        set_at("offices.CA.registration.registration_number", "123456789"),
        "CA",
        "registration.registration_number",
        "is not a CRA number like 123456789RR0001",
        id="ca-business-number-format",
    ),
    pytest.param(
        set_at("offices.CA.registration.registration_number", "123456789RR0001"),
        "CA",
        "registration.registration_number",
        "is not a valid Canadian business number (python-stdnum)",
        id="ca-business-number-check-digit",
    ),
    pytest.param(
        set_at("offices.AU.registration.abn", "12 345 678 901"),
        "AU",
        "registration.abn",
        "is not a valid ABN (python-stdnum)",
        id="au-abn-check-digits",
    ),
    pytest.param(
        set_at("offices.NL.registration.rsin", "123456789"),
        "NL",
        "registration.rsin",
        "is not a valid RSIN (python-stdnum)",
        id="nl-rsin-eleven-test",
    ),
    pytest.param(
        set_at("offices.INT.registration.ein", "00-1234567"),
        "INT",
        "registration.ein",
        "is not a valid EIN (python-stdnum)",
        id="us-ein-unknown-prefix",
    ),
    pytest.param(
        set_at("offices.DE.registration.tax_number", "27/000/0000X"),
        "DE",
        "registration.tax_number",
        "is not a valid German Steuernummer (python-stdnum)",
        id="de-steuernummer-format",
    ),
    pytest.param(
        delete_at("offices.DE.registration.assessment_period"),
        "DE",
        "registration.assessment_period",
        "missing",
        id="de-assessment-period-required",
    ),
    pytest.param(
        set_at("offices.DE.registration.assessment_period", 2030),
        "DE",
        "registration.assessment_period",
        "is after the exemption notice",
        id="de-assessment-period-after-notice",
    ),
    pytest.param(
        delete_at("offices.DE.registration.machine_receipts_notified"),
        "DE",
        "registration.machine_receipts_notified",
        "missing",
        id="de-machine-receipts-setting-required",
    ),
    pytest.param(
        set_at("offices.AU.time_zone", "Australia/Gotham"),
        "AU",
        "time_zone",
        "is not an IANA time zone",
        id="unknown-time-zone",
    ),
    pytest.param(
        delete_at("offices.NL.example"),
        "NL",
        "example",
        "missing",
        id="example-flag-required",
    ),
    pytest.param(
        set_at("offices.DE.registration.charity_number", "1000000"),
        "DE",
        "registration.charity_number",
        "unknown key",
        id="registration-number-of-another-kind",
    ),
    pytest.param(
        set_at("offices.DE.languages", ["de", "es"]),
        "DE",
        "languages",
        "'es' is not a supported language",
        id="unsupported-language",
    ),
    pytest.param(
        set_at("offices.DE.donor.gift_aid", True),
        "DE",
        "donor.gift_aid",
        "Gift Aid is only for receipt_kind uk_gift_aid",
        id="gift-aid-outside-uk",
    ),
    pytest.param(
        set_at("offices.DE.donor.address", "sometimes"),
        "DE",
        "donor.address",
        "'sometimes' is not one of required, with_gift_aid, optional",
        id="unknown-address-rule",
    ),
    pytest.param(
        delete_at("offices.UK.notices.direct_debit_mandate"),
        "UK",
        "notices.direct_debit_mandate",
        "missing",
        id="debit-office-without-mandate-text",
    ),
    pytest.param(
        set_at("offices.UK.notices.data_transfer.double_opt_in", True),
        "UK",
        "notices.data_transfer.double_opt_in",
        "unknown key",
        id="double-opt-in-only-for-email",
    ),
    pytest.param(
        set_at("offices.CA.notices.data_transfer.implied_consent_years", 2),
        "CA",
        "notices.data_transfer.implied_consent_years",
        "unknown key",
        id="implied-consent-only-for-email",
    ),
    pytest.param(
        set_at("offices.CA.notices.email_fundraising.implied_consent_years", 0),
        "CA",
        "notices.email_fundraising.implied_consent_years",
        "0 is not between 1 and 10",
        id="implied-consent-period-out-of-range",
    ),
    pytest.param(
        set_at("offices.DE.notices.email_fundraising.double_opt_in", "yes"),
        "DE",
        "notices.email_fundraising.double_opt_in",
        "true or false",
        id="double-opt-in-is-a-flag",
    ),
]


@pytest.mark.parametrize(("mutation", "office", "field", "reason"), CASES)
def test_refusal_names_file_office_and_field(
    tmp_path: Path, mutation: Mutation, office: str, field: str, reason: str
) -> None:
    """One broken value gives exactly one problem, located by file, office and field."""
    document = real_document()
    mutation(document)
    path = write(tmp_path, document)
    error = refusal(path)
    assert [str(problem) for problem in error.problems] == [str(error)]
    assert str(error).startswith(f"{path}: office {office}: {field}: ")
    assert reason in str(error)


def test_the_unbroken_file_round_trips(tmp_path: Path) -> None:
    """The test writer reproduces the real file faithfully, so each refusal is the mutation's."""
    registry = load_registry(write(tmp_path, real_document()))
    assert registry.codes == load_registry(CONFIG).codes


def test_toml_syntax_error_names_file_line_and_office(tmp_path: Path) -> None:
    """A syntax error names the file, the line and the office table it is in."""
    lines = CONFIG.read_text(encoding="utf-8").splitlines()
    at = lines.index("[offices.NL]") + 2  # two lines into the NL table
    lines.insert(at, "legal_name = = 1")
    path = tmp_path / "offices.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    error = refusal(path)
    assert str(error).startswith(f"{path}: office NL: line {at + 1}, column ")
    assert "not valid TOML" in str(error)


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    """A missing file is refused with its path."""
    path = tmp_path / "nowhere.toml"
    assert str(refusal(path)).startswith(f"{path}: cannot read")


def test_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    """Only [offices.XX] tables may sit at the top of the file."""
    document = real_document()
    document["defaults"] = {"currency": "EUR"}
    path = write(tmp_path, document)
    assert str(refusal(path)).startswith(f"{path}: defaults: unknown top-level key")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """Problems in different offices are collected, each on its own line."""
    document = real_document()
    delete_at("offices.DE.legal_name")(document)
    append_at("offices.UK.currencies.GBP.methods.once", "ideal")(document)
    set_at("offices.CA.currencies.CAD.presets", ["1"])(document)
    path = write(tmp_path, document)
    error = refusal(path)
    assert len(error.problems) == 3
    lines = str(error).splitlines()
    assert lines[0] == f"{path}: 3 problems:"
    assert f"{path}: office DE: legal_name: missing" in lines
    assert any(
        line.startswith(f"{path}: office CA: currencies.CAD.presets: 1 is") for line in lines
    )
