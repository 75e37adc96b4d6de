"""The office registry's look-ups, on the real config/offices.toml."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from checkout.core.languages import SUPPORTED_LANGUAGES
from checkout.core.money import Money
from checkout.offices import (
    CurrencyNotAccepted,
    OfficeRegistry,
    UnknownOffice,
    load_registry,
)

CONFIG = Path(__file__).resolve().parents[2] / "config" / "offices.toml"


@pytest.fixture(scope="module")
def registry() -> OfficeRegistry:
    """Load the real offices file once for this module."""
    return load_registry(CONFIG)


def test_the_six_offices_are_configured(registry: OfficeRegistry) -> None:
    """The file holds the five national offices and the international one."""
    assert set(registry.codes) == {"AU", "CA", "DE", "NL", "UK", "INT"}
    assert [office.code for office in registry] == list(registry.codes)
    assert len(registry) == 6


@pytest.mark.parametrize(
    ("country", "office"),
    [
        ("DE", "DE"),
        ("de", "DE"),
        (" nl ", "NL"),
        ("GB", "UK"),
        ("gb", "UK"),
        ("CA", "CA"),
        ("AU", "AU"),
        ("AT", "INT"),
        ("US", "INT"),
        ("FR", "INT"),
        ("", "INT"),
        ("XX", "INT"),
    ],
)
def test_office_for_country(registry: OfficeRegistry, country: str, office: str) -> None:
    """Mapped countries go to their office in any case; everything else goes to INT."""
    assert registry.office_for_country(country).code == office


def test_uk_office_is_not_gb(registry: OfficeRegistry) -> None:
    """The UK office serves GB; there is no office coded GB."""
    assert "GB" not in registry
    assert "GB" in registry.get("UK").countries


def test_get_is_case_insensitive(registry: OfficeRegistry) -> None:
    """Office codes are looked up in any case."""
    assert registry.get("de") is registry.get("DE")
    assert "int" in registry


def test_get_unknown_office_raises_a_lookup_error_that_is_not_a_key_error(
    registry: OfficeRegistry,
) -> None:
    """An unknown code raises UnknownOffice naming it and the known codes."""
    with pytest.raises(UnknownOffice, match=r"'FR'.*DE") as caught:
        registry.get("FR")
    assert isinstance(caught.value, LookupError)
    assert not isinstance(caught.value, KeyError)


def test_fallback_is_int_and_serves_no_listed_country(registry: OfficeRegistry) -> None:
    """INT is the fallback and lists no countries; the national offices' do not overlap."""
    assert registry.fallback.code == "INT"
    assert registry.fallback.is_fallback
    assert registry.fallback.countries == frozenset()
    national = [office for office in registry if not office.is_fallback]
    assert sum(len(office.countries) for office in national) == len(registry.all_countries())
    assert {"DE", "NL", "GB", "CA", "AU"} <= registry.all_countries()
    assert "US" not in registry.all_countries()


def test_methods_for_germany(registry: OfficeRegistry) -> None:
    """Germany offers card and SEPA debit in EUR, once and monthly."""
    assert registry.methods_for("DE", "EUR", "once") == ("card", "sepa_debit")
    assert registry.methods_for("de", "eur", "monthly") == ("card", "sepa_debit")


def test_ideal_is_offered_only_once_in_the_netherlands(registry: OfficeRegistry) -> None:
    """A monthly iDEAL gift continues as SEPA, so monthly offers sepa_debit and not ideal."""
    assert "ideal" in registry.methods_for("NL", "EUR", "once")
    assert "ideal" not in registry.methods_for("NL", "EUR", "monthly")
    assert "sepa_debit" in registry.methods_for("NL", "EUR", "monthly")


@pytest.mark.parametrize(
    ("office", "currency", "frequency"),
    [
        ("DE", "USD", "once"),  # currency not accepted
        ("NL", "EUR", "yearly"),  # frequency not offered
        ("UK", "EUR", "once"),
        ("INT", "GBP", "monthly"),
    ],
)
def test_methods_for_an_unoffered_combination_is_empty(
    registry: OfficeRegistry, office: str, currency: str, frequency: str
) -> None:
    """A currency or frequency an office does not offer has no methods."""
    assert registry.methods_for(office, currency, frequency) == ()


def test_methods_for_an_unknown_office_raises(registry: OfficeRegistry) -> None:
    """Asking about an office that does not exist is a bug, not an empty offer."""
    with pytest.raises(UnknownOffice):
        registry.methods_for("XX", "EUR", "once")


def test_international_office_takes_usd_and_eur_by_card_only(registry: OfficeRegistry) -> None:
    """INT charges USD and EUR cards only: it has no bank-debit account."""
    office = registry.get("INT")
    assert set(office.currencies) == {"USD", "EUR"}
    for currency in office.currencies:
        for frequency in office.frequencies:
            assert registry.methods_for("INT", currency, frequency) == ("card",)


def test_limits_are_money(registry: OfficeRegistry) -> None:
    """Limits are Money in the asked currency, the minimum below the maximum."""
    minimum, maximum = registry.limits("DE", "EUR")
    assert minimum == Money(500, "EUR")
    assert maximum == Money(2_500_000, "EUR")
    assert registry.limits("UK", "gbp")[0] == Money(500, "GBP")


def test_presets_are_money(registry: OfficeRegistry) -> None:
    """Presets are Money in the asked currency, in the order of the file."""
    assert registry.presets("DE", "EUR") == tuple(
        Money.from_decimal(amount, "EUR") for amount in ("25", "50", "100", "250")
    )


def test_limits_of_an_unaccepted_currency_raise(registry: OfficeRegistry) -> None:
    """Asking for limits in a currency an office does not take is refused clearly."""
    with pytest.raises(CurrencyNotAccepted, match=r"office DE does not accept 'USD'"):
        registry.limits("DE", "USD")


def test_every_office_is_consistent(registry: OfficeRegistry) -> None:
    """Every preset lies within its limits and every offered frequency has a method."""
    for office in registry:
        assert office.default_currency in office.currencies
        for currency, rules in office.currencies.items():
            minimum, maximum = registry.limits(office.code, currency)
            assert minimum.is_positive
            for preset in registry.presets(office.code, currency):
                assert preset.currency == currency
                assert minimum <= preset <= maximum
            assert any(registry.methods_for(office.code, currency, f) for f in office.frequencies)
            assert rules.fee_fixed.currency == currency


def test_every_notice_has_every_language(registry: OfficeRegistry) -> None:
    """Each notice has a version and a non-empty text in each supported language."""
    for office in registry:
        expected = {"privacy" if office.is_fallback else "data_transfer", "email_fundraising"}
        assert expected <= set(office.notices)
        for notice in office.notices.values():
            assert notice.version
            assert all(notice.text(language) for language in SUPPORTED_LANGUAGES)


def test_uk_offers_gift_aid_with_the_declaration(registry: OfficeRegistry) -> None:
    """Only the UK office offers Gift Aid, and its declaration names its legal name."""
    uk = registry.get("UK")
    assert [office.code for office in registry if office.donor.gift_aid] == ["UK"]
    declaration = uk.notices["gift_aid_declaration"].text("en")
    assert uk.legal.legal_name in declaration
    assert "UK taxpayer" in declaration


def test_receipt_specific_settings(registry: OfficeRegistry) -> None:
    """Each office carries what its receipt kind needs."""
    de = registry.get("DE")
    assert isinstance(de.legal.registration.exemption_notice_date, date)
    assert de.stripe.sepa_creditor_id is not None
    assert de.donor.address == "required"
    assert registry.get("CA").donor.middle_initial is True
    assert registry.get("CA").legal.registration.registration_number is not None
    assert registry.get("UK").donor.address == "with_gift_aid"
    assert registry.get("INT").legal.registration.ein is not None


def test_registry_is_immutable(registry: OfficeRegistry) -> None:
    """Offices and their mappings cannot be changed after loading."""
    office = registry.get("DE")
    with pytest.raises(AttributeError):
        office.name = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        office.currencies["USD"] = office.currencies["EUR"]  # type: ignore[index]
