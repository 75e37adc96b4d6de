"""Addresses in each country's postal order and with its required fields (Google's data)."""

from __future__ import annotations

import pytest

from checkout.addresses import PostalAddress, UnknownCountry, country_rules, format_lines, validate


@pytest.mark.parametrize(
    ("address", "lines"),
    [
        (
            PostalAddress("DE", ("Ringstraße 1", "Hinterhaus"), "Berlin", "10115"),
            ["Ringstraße 1", "Hinterhaus", "10115 BERLIN", "GERMANY"],
        ),
        (
            PostalAddress("GB", ("1 Lane",), "London", "SW1A 1AA"),
            ["1 Lane", "LONDON", "SW1A 1AA", "UNITED KINGDOM"],
        ),
        (
            PostalAddress("US", ("1 Main St",), "Springfield", "62701", "IL"),
            ["1 Main St", "SPRINGFIELD, IL 62701", "UNITED STATES"],
        ),
        (
            PostalAddress("AU", ("1 George St",), "Sydney", "2000", "NSW"),
            ["1 George St", "SYDNEY NSW 2000", "AUSTRALIA"],
        ),
        (
            PostalAddress("NL", ("Dam 1",), "Amsterdam", "1012 JS"),
            ["Dam 1", "1012 JS AMSTERDAM", "NETHERLANDS"],
        ),
    ],
)
def test_each_country_has_its_own_postal_order(address, lines) -> None:
    assert format_lines(address) == lines
    assert format_lines(address, with_country=False) == lines[:-1]


def test_the_name_goes_where_the_country_puts_it() -> None:
    address = PostalAddress("CA", ("1 Rue Sainte-Catherine",), "Montréal", "H3Z 2Y7", "QC")
    assert format_lines(address, name="Anne Shirley")[:2] == [
        "ANNE SHIRLEY",
        "1 RUE SAINTE-CATHERINE",
    ]


@pytest.mark.parametrize(
    ("address", "errors"),
    [
        (PostalAddress("CA", ("1 Rue",), "Montréal", "H3Z 2Y7", "QC"), {}),
        (
            PostalAddress("CA", ("1 Rue",), "Montréal", "XXX"),
            {"region": "required", "postcode": "invalid"},
        ),
        (PostalAddress("DE", ("Ring 1",), "Berlin", "1234"), {"postcode": "invalid"}),
        (
            PostalAddress("AU", (), "Sydney", "2000", "Atlantis"),
            {"region": "invalid", "street_lines": "required"},
        ),
        (PostalAddress("ZZ", ("x",)), {"country": "invalid"}),
    ],
)
def test_validation_names_our_fields_with_googles_codes(address, errors) -> None:
    assert validate(address) == errors


def test_country_rules_say_what_a_form_needs() -> None:
    canada = country_rules("ca")
    assert canada.required == {"street_lines", "city", "postcode", "region"}
    assert canada.region_kind == "province"
    assert ("QC", "Quebec") in canada.region_choices
    assert country_rules("DE").region_choices == ()
    with pytest.raises(UnknownCountry):
        country_rules("ZZ")


def test_an_unknown_country_still_formats_the_lines_given() -> None:
    assert format_lines(PostalAddress("ZZ", ("1 Road",), "Town", "123")) == [
        "1 Road",
        "123 Town",
        "ZZ",
    ]
