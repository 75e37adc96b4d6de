"""The ISO 4217 exponent table: complete for what we sell, read-only, and strict about codes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout.core.currencies import EXPONENTS, exponent, is_known
from checkout.core.errors import UnknownCurrency

# No example database: these tests must not leave a .hypothesis folder in the working tree.
PROPERTY = settings(database=None, deadline=None)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("EUR", 2),
        ("GBP", 2),
        ("AUD", 2),
        ("CAD", 2),
        ("USD", 2),
        ("CHF", 2),
        ("SEK", 2),
        ("NOK", 2),
        ("DKK", 2),
        ("NZD", 2),
        ("JPY", 0),
        ("KRW", 0),
    ],
)
def test_exponent_matches_iso_4217(code: str, expected: int) -> None:
    assert exponent(code) == expected
    assert EXPONENTS[code] == expected
    assert is_known(code)


def test_every_code_is_three_upper_case_letters() -> None:
    assert EXPONENTS  # an empty table would make the loop below vacuous
    for code, digits in EXPONENTS.items():
        assert len(code) == 3
        assert code.isascii()
        assert code.isupper()
        assert code.isalpha()
        assert digits in (0, 2, 3)


def test_table_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        EXPONENTS["EUR"] = 3  # type: ignore[index]
    with pytest.raises(TypeError):
        EXPONENTS["XTS"] = 2  # type: ignore[index]
    with pytest.raises(AttributeError):
        EXPONENTS.clear()  # type: ignore[attr-defined]
    assert exponent("EUR") == 2
    assert "XTS" not in EXPONENTS


@pytest.mark.parametrize("code", ["eur", "Eur", " EUR", "EUR ", "", "XXX", "EURO", "€"])
def test_unknown_text_codes_are_refused(code: str) -> None:
    assert not is_known(code)
    with pytest.raises(UnknownCurrency) as raised:
        exponent(code)
    assert raised.value.code == code


@pytest.mark.parametrize("code", [None, 2, b"EUR", ("EUR",), ["EUR"], {"EUR": 2}])
def test_non_strings_are_refused(code: object) -> None:
    assert is_known(code) is False
    with pytest.raises(UnknownCurrency):
        exponent(code)  # type: ignore[arg-type]


def test_unknown_currency_is_a_value_error_for_generic_handlers() -> None:
    with pytest.raises(ValueError, match="unknown currency 'ABC'"):
        exponent("ABC")


@PROPERTY
@given(st.text(max_size=5).filter(lambda code: code not in EXPONENTS))
def test_anything_outside_the_table_is_unknown(code: str) -> None:
    assert not is_known(code)
    with pytest.raises(UnknownCurrency):
        exponent(code)
