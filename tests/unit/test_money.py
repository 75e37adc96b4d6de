"""Money: exact arithmetic, no floats, and locale formatting that parses back to the same amount."""

from __future__ import annotations

import dataclasses
import operator
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout.core.currencies import EXPONENTS
from checkout.core.errors import AmountParseError, CurrencyMismatch, UnknownCurrency
from checkout.core.money import Money, format_amount, format_money, parse_amount

# No example database: these tests must not leave a .hypothesis folder in the working tree.
# No deadline: the first call for a locale loads Babel's data, which is slow but not a bug.
PROPERTY = settings(database=None, deadline=None)

LOCALES = ("en", "de", "nl", "fr", "en_GB", "de_DE")
CURRENCIES = ("EUR", "GBP", "AUD", "CAD", "USD", "JPY")

locales = st.sampled_from(LOCALES)
currencies = st.sampled_from(CURRENCIES)
donations = st.builds(Money, st.integers(min_value=1, max_value=10**11), currencies)
any_currency = st.sampled_from(sorted(EXPONENTS))
moneys = st.builds(Money, st.integers(min_value=-(10**30), max_value=10**30), any_currency)


def same_currency_moneys(count: int) -> st.SearchStrategy[list[Money]]:
    """`count` amounts, all in one currency."""
    return any_currency.flatmap(
        lambda code: st.lists(
            st.builds(Money, st.integers(-(10**15), 10**15), st.just(code)),
            min_size=count,
            max_size=count,
        )
    )


def parse_error(text: str, currency: str, locale: str) -> str:
    """The code parse_amount raises for `text` (the test fails if it parses)."""
    with pytest.raises(AmountParseError) as raised:
        parse_amount(text, currency, locale)
    assert raised.value.text == text
    return raised.value.code


# --- Construction ------------------------------------------------------------------------------


@pytest.mark.parametrize("minor", [1.0, 12.5, Decimal(1), Decimal("12.50"), "1250", None, True])
def test_minor_must_be_an_int(minor: object) -> None:
    with pytest.raises(TypeError):
        Money(minor, "EUR")  # type: ignore[arg-type]


def test_bool_is_not_an_amount_even_though_it_is_an_int() -> None:
    with pytest.raises(TypeError):
        Money(False, "EUR")
    with pytest.raises(TypeError):
        Money.from_decimal(True, "EUR")


@pytest.mark.parametrize("currency", ["eur", "XXX", "", "EURO"])
def test_unknown_currency_is_refused(currency: str) -> None:
    with pytest.raises(UnknownCurrency):
        Money(100, currency)
    with pytest.raises(UnknownCurrency):
        Money.from_decimal("1.00", currency)
    with pytest.raises(UnknownCurrency):
        parse_amount("1", currency, "en")


def test_zero() -> None:
    assert Money.zero("EUR") == Money(0, "EUR")
    assert Money.zero("JPY").to_decimal() == Decimal(0)
    assert not Money.zero("EUR").is_positive


def test_is_positive() -> None:
    assert Money(1, "EUR").is_positive
    assert not Money(0, "EUR").is_positive
    assert not Money(-1, "EUR").is_positive


def test_money_is_immutable() -> None:
    money = Money(1250, "EUR")
    with pytest.raises(dataclasses.FrozenInstanceError):
        money.minor = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        money.currency = "USD"  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        money.note = "x"  # type: ignore[attr-defined]
    assert money == Money(1250, "EUR")


def test_money_is_hashable_by_value() -> None:
    assert hash(Money(1250, "EUR")) == hash(Money(1250, "EUR"))
    assert len({Money(1250, "EUR"), Money(1250, "EUR"), Money(1250, "USD")}) == 2
    assert {Money(5, "GBP"): "five pence"}[Money(5, "GBP")] == "five pence"


def test_str_is_short_and_exact() -> None:
    assert str(Money(1250, "EUR")) == "EUR 12.50"
    assert str(Money(5, "EUR")) == "EUR 0.05"
    assert str(Money(-1250, "GBP")) == "GBP -12.50"
    assert str(Money(500, "JPY")) == "JPY 500"


# --- Decimal conversion ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.50", "EUR", 1250),
        ("12.5", "EUR", 1250),
        ("0.05", "EUR", 5),
        ("-12.50", "EUR", -1250),
        ("500", "JPY", 500),
        (Decimal("12.50"), "EUR", 1250),
        (Decimal("1E+3"), "EUR", 100000),
        (Decimal("-0.000"), "EUR", 0),
        # Value, not typed digits, counts for machine input: 5.0 is exactly five yen.
        (Decimal("5.0"), "JPY", 5),
        (12, "EUR", 1200),
        (12, "JPY", 12),
        (10**20, "USD", 10**22),
    ],
)
def test_from_decimal(amount: Decimal | str | int, currency: str, minor: int) -> None:
    assert Money.from_decimal(amount, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        ("12.345", "EUR", "too_precise"),
        (Decimal("12.345"), "EUR", "too_precise"),
        (Decimal("1E-30"), "EUR", "too_precise"),
        ("5.5", "JPY", "too_precise"),
        ("1e3", "EUR", "invalid"),
        ("12,50", "EUR", "invalid"),
        (" 12.50", "EUR", "invalid"),
        ("", "EUR", "invalid"),
        ("NaN", "EUR", "invalid"),
        ("١٢", "EUR", "invalid"),
        (Decimal("NaN"), "EUR", "invalid"),
        (Decimal("-Infinity"), "EUR", "invalid"),
        (Decimal("1E+999999999"), "EUR", "too_large"),
    ],
)
def test_from_decimal_refuses(amount: Decimal | str, currency: str, code: str) -> None:
    with pytest.raises(AmountParseError) as raised:
        Money.from_decimal(amount, currency)
    assert raised.value.code == code


def test_from_decimal_ignores_zero_with_a_huge_exponent() -> None:
    # Must not try to build 0 * 10**1000000000.
    assert Money.from_decimal(Decimal("0E+1000000000"), "EUR") == Money(0, "EUR")


@pytest.mark.parametrize(
    ("money", "text", "exponent"),
    [
        (Money(1250, "EUR"), "12.50", -2),
        (Money(5, "EUR"), "0.05", -2),
        (Money(0, "GBP"), "0.00", -2),
        (Money(-1, "USD"), "-0.01", -2),
        (Money(500, "JPY"), "500", 0),
        (Money(10**40 + 1, "EUR"), "1" + "0" * 38 + ".01", -2),
    ],
)
def test_to_decimal_is_exact_and_quantized(money: Money, text: str, exponent: int) -> None:
    value = money.to_decimal()
    assert str(value) == text
    assert value.as_tuple().exponent == exponent


@PROPERTY
@given(moneys)
def test_decimal_round_trip(money: Money) -> None:
    assert Money.from_decimal(money.to_decimal(), money.currency) == money
    assert Money.from_decimal(str(money.to_decimal()), money.currency) == money


@PROPERTY
@given(any_currency, st.data())
def test_decimals_within_the_exponent_round_trip(currency: str, data: st.DataObject) -> None:
    places = EXPONENTS[currency]
    value = data.draw(
        st.decimals(min_value=-(10**12), max_value=10**12, places=places, allow_nan=False)
    )
    assert Money.from_decimal(value, currency).to_decimal() == value


# --- Arithmetic and comparison -----------------------------------------------------------------


def test_arithmetic_examples() -> None:
    assert Money(1250, "EUR") + Money(75, "EUR") == Money(1325, "EUR")
    assert Money(1250, "EUR") - Money(1300, "EUR") == Money(-50, "EUR")
    assert Money(250, "EUR") * 3 == Money(750, "EUR")
    assert 3 * Money(250, "EUR") == Money(750, "EUR")
    assert -Money(250, "EUR") == Money(-250, "EUR")
    assert Money(1, "EUR") < Money(2, "EUR") <= Money(2, "EUR")
    assert Money(3, "EUR") > Money(2, "EUR") >= Money(2, "EUR")
    assert not Money(2, "EUR") < Money(2, "EUR")


@PROPERTY
@given(same_currency_moneys(2))
def test_addition_is_commutative(pair: list[Money]) -> None:
    a, b = pair
    assert a + b == b + a


@PROPERTY
@given(same_currency_moneys(3))
def test_addition_is_associative(triple: list[Money]) -> None:
    a, b, c = triple
    assert (a + b) + c == a + (b + c)


@PROPERTY
@given(same_currency_moneys(2))
def test_subtraction_undoes_addition_and_agrees_with_ordering(pair: list[Money]) -> None:
    a, b = pair
    assert (a + b) - b == a
    assert a - b == a + -b
    assert (a < b) == (a.minor < b.minor)
    assert (a >= b) == (a.minor >= b.minor)
    assert a + Money.zero(a.currency) == a


@PROPERTY
@given(same_currency_moneys(1), st.integers(-1000, 1000))
def test_multiplication_is_repeated_addition(single: list[Money], factor: int) -> None:
    (money,) = single
    assert money * factor == factor * money
    assert (money * factor).minor == money.minor * factor
    assert money * 2 == money + money


MIXING = [operator.add, operator.sub, operator.lt, operator.le, operator.gt, operator.ge]


@PROPERTY
@given(
    st.lists(any_currency, min_size=2, max_size=2, unique=True),
    st.integers(-(10**6), 10**6),
    st.integers(-(10**6), 10**6),
    st.sampled_from(MIXING),
)
def test_mixing_currencies_raises(
    codes: list[str], left: int, right: int, op: Callable[[Money, Money], object]
) -> None:
    a, b = Money(left, codes[0]), Money(right, codes[1])
    with pytest.raises(CurrencyMismatch) as raised:
        op(a, b)
    assert (raised.value.left, raised.value.right) == (codes[0], codes[1])
    assert a != b  # equality across currencies is simply False, even for the same number
    assert Money(left, codes[0]) != Money(left, codes[1])


@pytest.mark.parametrize("op", MIXING)
def test_non_money_operands_are_refused(op: Callable[[Money, object], object]) -> None:
    with pytest.raises(TypeError):
        op(Money(100, "EUR"), 1)
    with pytest.raises(TypeError):
        op(Money(100, "EUR"), Decimal(1))


def test_equality_with_non_money_is_false() -> None:
    assert Money(100, "EUR") != 100
    assert Money(100, "EUR") != Decimal("1.00")
    assert Money(100, "EUR") != (100, "EUR")


@pytest.mark.parametrize("factor", [1.5, 2.0, Decimal(2), True, "2", Money(2, "EUR")])
def test_multiplication_only_by_int(factor: object) -> None:
    money = Money(250, "EUR")
    with pytest.raises(TypeError):
        money * factor  # type: ignore[operator]
    with pytest.raises(TypeError):
        factor * money  # type: ignore[operator]


def test_floats_are_refused_everywhere() -> None:
    money = Money(250, "EUR")
    with pytest.raises(TypeError):
        Money(1.0, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.from_decimal(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.from_decimal(2.0, "JPY")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        money * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        float(money)
    with pytest.raises(TypeError):
        money + 0.5  # type: ignore[operator]


# --- Formatting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "locale", "expected"),
    [
        (Money(123450, "EUR"), "en", "€1,234.50"),
        (Money(123450, "EUR"), "de", "1.234,50\u00a0€"),
        (Money(123450, "EUR"), "nl", "€\u00a01.234,50"),
        (Money(123450, "EUR"), "fr", "1\u202f234,50\u00a0€"),
        (Money(123450, "GBP"), "en_GB", "£1,234.50"),
        (Money(5, "USD"), "en", "$0.05"),
        (Money(1235, "JPY"), "en", "¥1,235"),
        (Money(1235, "JPY"), "de", "1.235\u00a0¥"),
        (Money(10**30 + 1, "EUR"), "en", "€" + "10,000,000,000,000,000,000,000,000,000.01"),
    ],
)
def test_format_money(money: Money, locale: str, expected: str) -> None:
    assert format_money(money, locale) == expected


@pytest.mark.parametrize(
    ("money", "locale", "expected"),
    [
        (Money(123450, "EUR"), "en", "1234.50"),
        (Money(123450, "EUR"), "de", "1234,50"),
        (Money(123450, "EUR"), "fr", "1234,50"),
        (Money(5000, "EUR"), "de_DE", "50,00"),
        (Money(5, "GBP"), "en_GB", "0.05"),
        (Money(1235, "JPY"), "de", "1235"),
        (Money(0, "EUR"), "en", "0.00"),
    ],
)
def test_format_amount(money: Money, locale: str, expected: str) -> None:
    assert format_amount(money, locale) == expected


@pytest.mark.parametrize("formatter", [format_money, format_amount])
def test_kept_formatting_is_what_formatting_afresh_gives_in_any_thread(formatter) -> None:
    amounts = [Money(123456, "EUR"), Money(123456, "GBP"), Money(5, "JPY")]
    expected = {(m, loc): formatter.__wrapped__(m, loc) for m in amounts for loc in ("de", "en")}
    found: list[dict[tuple[Money, str], str]] = []

    def format_all() -> None:
        found.append({key: formatter(*key) for key in expected})

    threads = [threading.Thread(target=format_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [expected] * 4
    if formatter is format_money:  # with the symbol, no two keys share an answer
        assert len(set(expected.values())) == len(expected)


@PROPERTY
@given(st.integers(1, 10**11), st.sampled_from(["de_CH", "fr_CH", "it_CH"]))
def test_swiss_amounts_survive_babels_apostrophe_unquoting(minor: int, locale: str) -> None:
    # Babel strips '...' pairs from its output, mangling apostrophe grouping ("1'234'567"
    # becomes "1234567", "123'456'789'012" becomes "123456789'012"); we format ungrouped.
    money = Money(minor, "CHF")
    text = format_money(money, locale)
    assert "'" not in text
    assert parse_amount(text, "CHF", locale) == money
    assert parse_amount(format_amount(money, locale), "CHF", locale) == money


def test_swiss_grouping_is_still_accepted_from_donors() -> None:
    assert parse_amount("CHF 1'234'567.50", "CHF", "de_CH") == Money(123456750, "CHF")
    assert parse_amount("1’234.50", "CHF", "de_CH") == Money(123450, "CHF")


@PROPERTY
@given(donations, locales)
def test_format_money_parses_back(money: Money, locale: str) -> None:
    assert parse_amount(format_money(money, locale), money.currency, locale) == money


@PROPERTY
@given(donations, locales)
def test_format_amount_parses_back(money: Money, locale: str) -> None:
    assert parse_amount(format_amount(money, locale), money.currency, locale) == money


@PROPERTY
@given(donations, locales, st.sampled_from(["", " ", "\t", "\u00a0", "\n "]))
def test_surrounding_whitespace_is_ignored(money: Money, locale: str, pad: str) -> None:
    text = pad + format_money(money, locale) + pad
    assert parse_amount(text, money.currency, locale) == money


@PROPERTY
@given(donations, locales, locales)
def test_another_locales_number_is_refused_or_read_the_same(
    money: Money, written_in: str, read_in: str
) -> None:
    # The safety net behind the ambiguity decision: a number written for one locale is never
    # read as a *different* amount in another (e.g. "1.234" yen or "12,50" euro in English).
    for text in (format_money(money, written_in), format_amount(money, written_in)):
        try:
            parsed = parse_amount(text, money.currency, read_in)
        except AmountParseError:
            continue
        assert parsed == money


@PROPERTY
@given(
    st.text(alphabet="0123456789.,-−' €$£¥\u00a0\u202fEURabc", max_size=20) | st.text(max_size=20),
    currencies,
    locales,
)
def test_parse_returns_money_or_a_known_error(text: str, currency: str, locale: str) -> None:
    outcome: Money | str
    try:
        outcome = parse_amount(text, currency, locale)
    except AmountParseError as error:
        outcome = error.code
    if isinstance(outcome, str):
        assert outcome in {"empty", "invalid", "negative", "too_precise", "too_large"}
    else:
        assert outcome.currency == currency
        assert 0 <= outcome.minor < 10 ** (12 + EXPONENTS[currency])


# --- Parsing: accepted examples ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "locale", "minor"),
    [
        ("1.234,50", "EUR", "de", 123450),
        ("1234,50", "EUR", "de", 123450),
        ("50", "EUR", "de", 5000),
        ("50,-", "EUR", "de", 5000),
        ("50,--", "EUR", "de", 5000),
        ("50.-", "EUR", "de", 5000),
        ("50,00 €", "EUR", "de", 5000),
        ("€ 50", "EUR", "de", 5000),
        ("1.000", "EUR", "de", 100000),
        ("12.345.678,9", "EUR", "de_DE", 1234567890),
        ("1,234.50", "EUR", "en", 123450),
        ("1234.50", "EUR", "en", 123450),
        ("50", "EUR", "en", 5000),
        ("$50", "USD", "en", 5000),
        ("€50.00", "EUR", "en", 5000),
        ("£1,000", "GBP", "en_GB", 100000),
        ("50.-", "USD", "en", 5000),
        (".5", "USD", "en", 50),
        ("€ 1.234,50", "EUR", "nl", 123450),
        ("$ 20", "USD", "nl", 2000),
        ("1 234,50 €", "EUR", "fr", 123450),
        ("1\u202f234,50\u00a0€", "EUR", "fr", 123450),
        ("1\u00a0234,50 €", "EUR", "fr", 123450),
        ("1\u202f234,50", "EUR", "fr", 123450),
        ("1 234,50 $", "CAD", "fr_CA", 123450),
        ("EUR 50", "EUR", "de", 5000),
        ("eur 50", "EUR", "de", 5000),
        ("50 EUR", "EUR", "en", 5000),
        ("  12,5  ", "EUR", "de-DE", 1250),
        ("1.234", "JPY", "de", 1234),
        ("¥1,234", "JPY", "en", 1234),
        ("0", "EUR", "en", 0),
        ("000000000000050", "EUR", "en", 5000),
        ("999999999999", "EUR", "en", 99999999999900),
        ("999.999.999.999,99", "EUR", "de", 99999999999999),
    ],
)
def test_parse_accepts(text: str, currency: str, locale: str, minor: int) -> None:
    assert parse_amount(text, currency, locale) == Money(minor, currency)


# --- Parsing: refused input, by stable code ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "locale", "code"),
    [
        ("", "EUR", "de", "empty"),
        ("   ", "EUR", "en", "empty"),
        ("\u00a0\t", "EUR", "fr", "empty"),
        ("€", "EUR", "de", "empty"),
        ("abc", "EUR", "de", "invalid"),
        ("1.23.4", "EUR", "de", "invalid"),
        ("12.34.567", "EUR", "de", "invalid"),
        ("1,2,3", "EUR", "de", "invalid"),
        ("1.2.3", "EUR", "en", "invalid"),
        ("12,50,00", "EUR", "de", "invalid"),
        ("1,23", "EUR", "en", "invalid"),
        ("5 0", "EUR", "en", "invalid"),
        ("1 234,50", "EUR", "de", "invalid"),
        ("1.234,50", "EUR", "fr", "invalid"),
        ("50 €", "USD", "de", "invalid"),
        ("£50", "EUR", "en", "invalid"),
        ("50 USD", "EUR", "en", "invalid"),
        ("US$50", "AUD", "en", "invalid"),
        ("+5", "EUR", "en", "invalid"),
        ("5-", "EUR", "en", "invalid"),
        ("1e5", "EUR", "en", "invalid"),
        ("NaN", "EUR", "en", "invalid"),
        ("Infinity", "EUR", "en", "invalid"),
        ("١٢", "EUR", "en", "invalid"),
        ("-", "EUR", "en", "invalid"),
        (",", "EUR", "de", "invalid"),
        (",-", "EUR", "de", "invalid"),
        ("-5", "EUR", "de", "negative"),
        ("-€5", "EUR", "de", "negative"),
        ("€ -5", "EUR", "de", "negative"),
        ("\u22125,00", "EUR", "de", "negative"),
        ("-0", "EUR", "en", "negative"),
        ("10,555", "EUR", "de", "too_precise"),
        ("10.555", "EUR", "en", "too_precise"),
        ("5.5", "JPY", "en", "too_precise"),
        ("1,0", "JPY", "de", "too_precise"),
        ("0,001", "EUR", "de", "too_precise"),
        ("1234567890123", "EUR", "en", "too_large"),
        ("1.234.567.890.123", "EUR", "de", "too_large"),
        ("1" * 40, "EUR", "en", "too_large"),
        ("0" * 101, "EUR", "en", "too_large"),
        ("9" * 5000, "EUR", "en", "too_large"),
    ],
)
def test_parse_refuses(text: str, currency: str, locale: str, code: str) -> None:
    assert parse_error(text, currency, locale) == code


# --- Parsing: the ambiguity decision -----------------------------------------------------------
# A group separator followed by anything but a full group of three digits is "invalid": German
# "50.00" and English "50,00" are refused, never read as 5000 (which is what Babel's lenient
# parse_decimal does). Extra decimals are counted as typed, so "50.000" in English and "50,000"
# in German are "too_precise" instead of silently becoming fifty.


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("50.00", "de"),
        ("50.00", "de_DE"),
        ("50.00", "nl"),
        ("50.0", "de"),
        ("1.5", "de"),
        ("1.234.5", "de"),
        ("50,00", "en"),
        ("50,00", "en_GB"),
        ("5,0", "en"),
        ("1,5", "en"),
    ],
)
def test_a_separator_that_could_be_decimal_is_never_read_as_thousands(
    text: str, locale: str
) -> None:
    assert parse_error(text, "EUR", locale) == "invalid"


@pytest.mark.parametrize(
    ("text", "locale", "currency"),
    [("50.000", "en", "EUR"), ("50,000", "de", "EUR"), ("1.000", "en", "JPY")],
)
def test_three_decimals_are_too_precise_not_fifty(text: str, locale: str, currency: str) -> None:
    assert parse_error(text, currency, locale) == "too_precise"


@PROPERTY
@given(st.integers(0, 10**9), st.integers(0, 99), st.sampled_from(["de", "de_DE", "nl", "fr"]))
def test_dot_cents_in_a_comma_locale_are_refused(whole: int, cents: int, locale: str) -> None:
    # Whatever the amount, "<whole>.<two digits>" is never a German/Dutch/French number.
    assert parse_error(f"{whole}.{cents:02d}", "EUR", locale) == "invalid"


@PROPERTY
@given(st.integers(0, 10**9), st.integers(0, 99), st.sampled_from(["en", "en_GB"]))
def test_comma_cents_in_english_are_refused(whole: int, cents: int, locale: str) -> None:
    assert parse_error(f"{whole},{cents:02d}", "EUR", locale) == "invalid"


def test_parse_rejects_non_str_input() -> None:
    with pytest.raises(TypeError):
        parse_amount(50, "EUR", "en")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_amount(None, "EUR", "en")  # type: ignore[arg-type]
