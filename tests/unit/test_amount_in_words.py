"""German amounts in words, as the Zuwendungsbestätigung prints them "in Buchstaben"."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout.core.money import Money
from checkout.receipts.words_de import amount_in_german_words, number_in_german_words

PROPERTY = settings(database=None, deadline=None)


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "null"),
        (1, "eins"),
        (2, "zwei"),
        (10, "zehn"),
        (11, "elf"),
        (12, "zwölf"),
        (16, "sechzehn"),
        (17, "siebzehn"),
        (20, "zwanzig"),
        (21, "einundzwanzig"),
        (30, "dreißig"),
        (66, "sechsundsechzig"),
        (70, "siebzig"),
        (77, "siebenundsiebzig"),
        (99, "neunundneunzig"),
        (100, "einhundert"),
        (101, "einhunderteins"),
        (110, "einhundertzehn"),
        (111, "einhundertelf"),
        (121, "einhunderteinundzwanzig"),
        (1000, "eintausend"),
        (1001, "eintausendeins"),
        (1234, "eintausendzweihundertvierunddreißig"),
        (21000, "einundzwanzigtausend"),
        (100000, "einhunderttausend"),
        (999999, "neunhundertneunundneunzigtausendneunhundertneunundneunzig"),
        (1000000, "eine Million"),
        (1000001, "eine Million eins"),
        (1200000, "eine Million zweihunderttausend"),
        (2000000, "zwei Millionen"),
        (21000000, "einundzwanzig Millionen"),
        (101000000, "einhunderteine Millionen"),
        (
            999999999,
            "neunhundertneunundneunzig Millionen neunhundertneunundneunzigtausend"
            "neunhundertneunundneunzig",
        ),
    ],
)
def test_numbers_compound_the_german_way(number: int, words: str) -> None:
    assert number_in_german_words(number) == words


@pytest.mark.parametrize(
    ("minor", "words"),
    [
        (5000, "fünfzig Euro"),
        (123450, "eintausendzweihundertvierunddreißig Euro und fünfzig Cent"),
        (100, "ein Euro"),
        (1, "ein Cent"),
        (101, "ein Euro und ein Cent"),
        (50, "fünfzig Cent"),
        (0, "null Euro"),
        (2100, "einundzwanzig Euro"),
        (10100, "einhunderteins Euro"),
        (120000000, "eine Million zweihunderttausend Euro"),
        (30000, "dreihundert Euro"),
    ],
)
def test_euro_amounts(minor: int, words: str) -> None:
    assert amount_in_german_words(Money(minor, "EUR")) == words


@pytest.mark.parametrize(
    "amount",
    [Money(5000, "USD"), Money(-100, "EUR"), Money(10**11, "EUR")],
    ids=["not euros", "negative", "a billion"],
)
def test_refuses_what_it_cannot_say(amount: Money) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        amount_in_german_words(amount)


# An independent reading of German number words, to check the writer against.
_SMALL = {
    "ein": 1, "eins": 1, "eine": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6,
    "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12, "dreizehn": 13,
    "vierzehn": 14, "fünfzehn": 15, "sechzehn": 16, "siebzehn": 17, "achtzehn": 18,
    "neunzehn": 19, "zwanzig": 20, "dreißig": 30, "vierzig": 40, "fünfzig": 50, "sechzig": 60,
    "siebzig": 70, "achtzig": 80, "neunzig": 90, "": 0,
}  # fmt: skip


def read_below_hundred(word: str) -> int:
    if "und" in word:
        units, tens = word.split("und")
        assert _SMALL[units] < 10 and _SMALL[tens] % 10 == 0, word
        return _SMALL[units] + _SMALL[tens]
    return _SMALL[word]


def read_below_thousand(word: str) -> int:
    if "hundert" in word:
        hundreds, rest = word.split("hundert")
        assert hundreds, f"German receipts write 'einhundert', not 'hundert': {word}"
        return _SMALL[hundreds] * 100 + read_below_hundred(rest)
    return read_below_hundred(word)


def read_number(words: str) -> int:
    if words == "null":
        return 0
    millions = 0
    match = re.fullmatch(r"(\w+) (?:Million|Millionen)(?: (\w+))?", words)
    if match:
        millions, words = read_below_thousand(match.group(1)), match.group(2) or ""
    thousands, _, rest = words.rpartition("tausend")
    return millions * 10**6 + read_below_thousand(thousands) * 1000 + read_below_thousand(rest)


@PROPERTY
@given(st.integers(min_value=0, max_value=10**9 - 1))
def test_words_read_back_as_the_number(number: int) -> None:
    words = number_in_german_words(number)
    assert read_number(words) == number
    assert ("Million" in words) == (number >= 10**6)


@PROPERTY
@given(st.integers(min_value=0, max_value=10**11 - 1))
def test_any_euro_amount_is_words_only(minor: int) -> None:
    words = amount_in_german_words(Money(minor, "EUR"))
    assert re.fullmatch(r"[^\W\d_]+( [^\W\d_]+)*", words), words
    euros, cents = divmod(minor, 100)
    assert words.endswith("Cent" if cents else "Euro")
    assert ("Euro" in words) == (euros > 0 or minor == 0)
