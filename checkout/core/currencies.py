"""The currencies the checkout accepts and their ISO 4217 minor-unit exponents."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from checkout.core.errors import UnknownCurrency

#: ISO 4217 minor-unit exponent per currency: an amount of 1 major unit is 10**exponent minor
#: units. Read-only (a mapping proxy) because the whole app shares it and a stray write would
#: silently change every amount in that currency.
EXPONENTS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "AUD": 2,
        "CAD": 2,
        "CHF": 2,
        "DKK": 2,
        "EUR": 2,
        "GBP": 2,
        "JPY": 0,
        "KRW": 0,
        "NOK": 2,
        "NZD": 2,
        "SEK": 2,
        "USD": 2,
    }
)


def is_known(code: object) -> bool:
    """Tell whether `code` is an upper-case ISO 4217 code in our table."""
    # The str check comes first: a non-str may be unhashable, and "eur" is refused on purpose
    # so that one spelling reaches the database and the payment provider.
    return isinstance(code, str) and code in EXPONENTS


def exponent(code: str) -> int:
    """Return the minor-unit exponent of `code`, or raise UnknownCurrency."""
    if not is_known(code):
        raise UnknownCurrency(code)
    return EXPONENTS[code]
