"""A euro amount in German words, as the Zuwendungsbestätigung prints it "in Buchstaben".

German writes numbers below a million as one word ("eintausendzweihundertvierunddreißig"),
puts the units before the tens ("einundzwanzig") and says "ein" inside a compound but "eins"
at its end ("einhunderteins"); millions are separate, feminine words ("eine Million").
"""

from __future__ import annotations

from typing import Final

from checkout.core.money import Money

_UNITS: Final = ("", "ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun")
_TEENS: Final = {
    10: "zehn",
    11: "elf",
    12: "zwölf",
    13: "dreizehn",
    14: "vierzehn",
    15: "fünfzehn",
    16: "sechzehn",
    17: "siebzehn",
    18: "achtzehn",
    19: "neunzehn",
}
_TENS: Final = ("", "", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig")
_TENS_HIGH: Final = ("achtzig", "neunzig")
#: The first amount that has no words here: receipts of a billion euros are not expected.
LIMIT: Final = 10**9


def _tens_word(tens: int) -> str:
    """The word for a multiple of ten from 20 to 90."""
    return (_TENS + _TENS_HIGH)[tens]


def _below_hundred(number: int) -> str:
    """1..99 as a compound part ("ein", not "eins"; "einundzwanzig")."""
    if number < 10:
        return _UNITS[number]
    if number < 20:
        return _TEENS[number]
    tens, units = divmod(number, 10)
    if units == 0:
        return _tens_word(tens)
    return f"{_UNITS[units]}und{_tens_word(tens)}"


def _below_thousand(number: int) -> str:
    """1..999 as a compound part; 0 is the empty string."""
    hundreds, rest = divmod(number, 100)
    head = f"{_UNITS[hundreds]}hundert" if hundreds else ""
    return head + _below_hundred(rest)


def _with_final_eins(words: str, number: int) -> str:
    """A number that ends in a lone one ends in "eins" (101: "einhunderteins")."""
    return words + "s" if number % 100 == 1 else words


def _below_million(number: int) -> str:
    """0..999999 as one word ("null" for 0, "eins" for 1)."""
    if number == 0:
        return "null"
    thousands, rest = divmod(number, 1000)
    head = f"{_below_thousand(thousands)}tausend" if thousands else ""
    return head + _with_final_eins(_below_thousand(rest), rest) if rest else head


def number_in_german_words(number: int) -> str:
    """0 <= number < 10**9 in German words, e.g. "eine Million zweihunderttausend"."""
    if not 0 <= number < LIMIT:
        raise ValueError(f"no German words for {number}: only 0 to {LIMIT - 1}")
    millions, rest = divmod(number, 1_000_000)
    if not millions:
        return _below_million(rest)
    if millions == 1:
        head = "eine Million"
    else:
        # Million is feminine: 101 millions are "einhunderteine Millionen".
        feminine = "e" if millions % 100 == 1 else ""
        head = f"{_below_thousand(millions)}{feminine} Millionen"
    return f"{head} {_below_million(rest)}" if rest else head


def _unit_phrase(number: int, unit: str) -> str:
    """A count of euros or cents, with "ein" for one ("ein Euro", "ein Cent")."""
    return f"{'ein' if number == 1 else number_in_german_words(number)} {unit}"


def amount_in_german_words(amount: Money) -> str:
    """A euro amount in words: "fünfzig Euro", "einhundert Euro und fünfzig Cent"."""
    if amount.currency != "EUR":
        raise ValueError(f"German words are for euro amounts, not {amount.currency}")
    if amount.minor < 0:
        raise ValueError("a negative amount has no place on a receipt")
    euros, cents = divmod(amount.minor, 100)
    if not cents:
        return _unit_phrase(euros, "Euro")
    if not euros:
        return _unit_phrase(cents, "Cent")
    return f"{_unit_phrase(euros, 'Euro')} und {_unit_phrase(cents, 'Cent')}"
