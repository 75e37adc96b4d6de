"""Money as a whole number of minor units, with locale-aware formatting and parsing.

Amounts are never floats: a float cannot hold 0.10 exactly, and a charity that rounds a cent
the wrong way on every donation ends up with accounts that do not add up. Everything here works
on `int` minor units (cents, pence, yen) and `Decimal` major units.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from functools import lru_cache
from types import MappingProxyType
from typing import Final, NamedTuple, NoReturn

from babel import Locale
from babel.numbers import NumberPattern, get_currency_symbol, get_decimal_symbol, get_group_symbol

from checkout.core.currencies import exponent, is_known
from checkout.core.errors import AmountParseError, CurrencyMismatch, UnknownCurrency

#: Donor input longer than this is refused before any parsing: no real amount needs it, and it
#: keeps pathological strings away from the regular expressions and int().
_MAX_INPUT_CHARS: Final = 100
#: More integer digits than this in donor input is a typo or an attack, never a donation.
_MAX_INTEGER_DIGITS: Final = 12
#: `from_decimal` refuses Decimals with more integer digits than this, so that "1E+999999999"
#: cannot make us build a gigantic int. Generous because callers are code, not donors.
_MAX_DECIMAL_DIGITS: Final = 40

#: Plain machine format accepted by `from_decimal` for strings: no exponent, no NaN, no spaces,
#: ASCII digits only (Decimal() itself would happily take "1e3", "NaN" or Arabic-Indic digits).
_MACHINE_AMOUNT: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_DIGITS: Final = re.compile(r"[0-9]+")
#: "50,-" / "50.-" (also with "--" or a dash) is the German/Swiss way to write whole units.
_WHOLE_UNITS_SUFFIX: Final = re.compile(r"(?<=[0-9])[.,](?:--?|\u2013|\u2014)\Z")
_MINUS_SIGNS: Final = ("-", "\u2212", "\u2013")

#: Every space a donor can type or paste (including Babel's own U+202F in French and U+00A0
#: between number and symbol) becomes a plain space, the typographic apostrophe (Swiss grouping)
#: becomes ASCII, and invisible bidi marks vanish; after this the parser sees one spelling only.
_NORMALISE: Final = str.maketrans(
    {
        "\u00a0": " ",
        "\u202f": " ",
        "\u2007": " ",
        "\u2009": " ",
        "\u2019": "'",
        "\u200e": None,
        "\u200f": None,
        "\u061c": None,
    }
)

#: Symbols donors type even where CLDR's symbol is longer (e.g. "$" for "US$" in Dutch). The
#: currency is already chosen on the form, so "$" cannot be misread as another dollar.
_NARROW_SYMBOLS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "AUD": ("$",),
        "CAD": ("$",),
        "DKK": ("kr", "kr."),
        "EUR": ("€",),
        "GBP": ("£",),
        "JPY": ("¥", "円"),
        "KRW": ("₩",),
        "NOK": ("kr", "kr."),
        "NZD": ("$",),
        "SEK": ("kr", "kr."),
        "USD": ("$",),
    }
)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: `minor` units (e.g. cents) of an ISO 4217 `currency`."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        # type() rather than isinstance(): bool is an int subclass and Money(True, "EUR") is a bug.
        if type(self.minor) is not int:
            raise TypeError(f"Money.minor must be an int, not {type(self.minor).__name__}")
        if not is_known(self.currency):
            raise UnknownCurrency(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return nothing of `currency`."""
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, amount: Decimal | str | int, currency: str) -> Money:
        """Convert an amount in major units exactly, refusing anything that would need rounding."""
        digits = exponent(currency)
        return cls(_scale_exactly(_exact_decimal(amount), digits), currency)

    def to_decimal(self) -> Decimal:
        """Return the amount in major units, with exactly the currency's number of decimals."""
        # Built from a tuple rather than by division: no decimal context, so never rounded.
        coefficient = tuple(int(digit) for digit in str(abs(self.minor)))
        return Decimal((int(self.minor < 0), coefficient, -exponent(self.currency)))

    @property
    def is_positive(self) -> bool:
        """Tell whether the amount is more than zero."""
        # A property, not a method: `if m.is_positive()` on a property fails loudly, whereas
        # `if m.is_positive:` on a method would silently always be true.
        return self.minor > 0

    def _same_currency(self, other: Money) -> int:
        """Return self.minor after checking that `other` is in the same currency."""
        if self.currency != other.currency:
            raise CurrencyMismatch(self.currency, other.currency)
        return self.minor

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self._same_currency(other) + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self._same_currency(other) - other.minor, self.currency)

    def __mul__(self, factor: int) -> Money:
        # Raise rather than return NotImplemented so the message says why 1.5 is refused.
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TypeError(f"Money can only be multiplied by an int, not {type(factor).__name__}")
        return Money(self.minor * int(factor), self.currency)

    def __rmul__(self, factor: int) -> Money:
        return self.__mul__(factor)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._same_currency(other) < other.minor

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._same_currency(other) <= other.minor

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._same_currency(other) > other.minor

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._same_currency(other) >= other.minor

    def __float__(self) -> NoReturn:
        raise TypeError("Money cannot become a float; use to_decimal()")

    def __str__(self) -> str:
        return f"{self.currency} {self.to_decimal()}"


def _exact_decimal(amount: object) -> Decimal:
    """Return `amount` as a finite Decimal, refusing floats and anything inexact."""
    # bool before int: it is an int subclass, and True is not an amount.
    if isinstance(amount, bool | float):
        raise TypeError(f"amounts must not be {type(amount).__name__}; use Decimal or str")
    if isinstance(amount, int):
        return Decimal(int(amount))
    if isinstance(amount, str):
        if not _MACHINE_AMOUNT.fullmatch(amount):
            raise AmountParseError("invalid", amount)
        return Decimal(amount)
    if isinstance(amount, Decimal):
        if not amount.is_finite():
            raise AmountParseError("invalid", str(amount))
        return amount
    raise TypeError(f"cannot make an amount from {type(amount).__name__}")


def _scale_exactly(value: Decimal, digits: int) -> int:
    """Return `value` * 10**digits as an int, raising too_precise if that is not whole."""
    # Works on the digit tuple instead of Decimal arithmetic, whose context would round
    # silently beyond 28 significant digits.
    sign, coefficient, exp10 = value.as_tuple()
    if not any(coefficient):
        return 0
    if value.adjusted() >= _MAX_DECIMAL_DIGITS:
        raise AmountParseError("too_large", str(value))
    assert isinstance(exp10, int)  # finite, checked by _exact_decimal
    shift = exp10 + digits
    if shift < 0:
        coefficient, dropped = coefficient[:shift], coefficient[shift:]
        if any(dropped):
            raise AmountParseError("too_precise", str(value))
        shift = 0
    magnitude: int = int("".join(map(str, coefficient)) or "0") * 10**shift
    return -magnitude if sign else magnitude


# --- Formatting --------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _locale(locale: str) -> Locale:
    """Parse "de", "de_DE" or "de-DE" into a Babel Locale (unknown ones raise Babel's error)."""
    return Locale.parse(locale.replace("-", "_"))


def _render(pattern: NumberPattern, money: Money, locale: str, *, grouped: bool) -> str:
    """Apply a Babel pattern to `money` with exactly the currency's ISO 4217 decimals."""
    # Our table, not CLDR's, decides the decimals (they differ for some currencies), so the
    # pattern is copied with a fixed fraction precision and CLDR's digits are switched off.
    fixed = copy.copy(pattern)
    fixed.frac_prec = (exponent(money.currency), exponent(money.currency))
    # Babel unescapes '...' quoting in its *output*, so with the Swiss apostrophe as group
    # separator "1'234'567" comes out as "1234567" and "123'456'789'012" as "123456789'012".
    # Ungrouped is at least consistent, and parse_amount reads it back.
    grouped = grouped and "'" not in get_group_symbol(_locale(locale))
    value = money.to_decimal()
    # Babel quantizes in the current decimal context (28 digits by default); widen it so that
    # even absurd amounts come out exact rather than rounded or as an InvalidOperation.
    with localcontext() as context:
        context.prec = max(context.prec, len(value.as_tuple().digits) + 2)
        text = fixed.apply(
            value,
            _locale(locale),
            currency=money.currency,
            currency_digits=False,
            group_separator=grouped,
        )
    return str(text)


# Formatting is pure, and a page formats the same few amounts again and again; each call also
# pays for a fresh decimal context in every new thread (a threaded server's request).
@lru_cache(maxsize=1024)
def format_money(money: Money, locale: str) -> str:
    """Format `money` for display in `locale`, with symbol, e.g. "1.234,50 €" in German."""
    return _render(_locale(locale).currency_formats["standard"], money, locale, grouped=True)


@lru_cache(maxsize=1024)
def format_amount(money: Money, locale: str) -> str:
    """Format the number only (no symbol, no grouping), e.g. "1234,50" in German, for inputs."""
    # No group separators: they get in the way when a donor edits the field (and in French they
    # are an invisible U+202F); parse_amount accepts the value either way.
    return _render(_locale(locale).decimal_formats[None], money, locale, grouped=False)


# --- Parsing -----------------------------------------------------------------------------------


class _Conventions(NamedTuple):
    """How one locale writes numbers in one currency, already normalised."""

    decimal: str
    group: str
    grouping: tuple[int, int]
    symbols: tuple[str, ...]


def _normalise(text: str) -> str:
    """Fold the many spellings of spaces and apostrophes into one (see _NORMALISE)."""
    return text.translate(_NORMALISE)


@lru_cache(maxsize=256)
def _conventions(locale: str, currency: str) -> _Conventions:
    """Collect the separators, grouping and symbols that parse_amount needs."""
    babel_locale = _locale(locale)
    symbols = {currency, get_currency_symbol(currency, babel_locale)}
    symbols.update(_NARROW_SYMBOLS.get(currency, ()))
    return _Conventions(
        decimal=_normalise(get_decimal_symbol(babel_locale)),
        group=_normalise(get_group_symbol(babel_locale)),
        grouping=babel_locale.decimal_formats[None].grouping,
        # Longest first, so "US$" is removed whole rather than leaving "US" behind.
        symbols=tuple(sorted({_normalise(s) for s in symbols if s}, key=len, reverse=True)),
    )


def _strip_minus(body: str) -> tuple[bool, str]:
    """Remove one leading minus sign, telling whether there was one."""
    if body.startswith(_MINUS_SIGNS):
        return True, body[1:].strip()
    return False, body


def _strip_symbol(body: str, symbols: tuple[str, ...]) -> str:
    """Remove one currency symbol or ISO code (any case) from the start or else the end."""
    # Slices of `body` are compared (not a casefolded copy), because casefold can change the
    # length of a string ("ß" -> "ss") and the offsets would no longer match.
    for symbol in symbols:
        if body[: len(symbol)].casefold() == symbol.casefold():
            return body[len(symbol) :].strip()
    for symbol in symbols:
        if len(body) > len(symbol) and body[-len(symbol) :].casefold() == symbol.casefold():
            return body[: -len(symbol)].strip()
    return body


def _strip_decorations(body: str, conventions: _Conventions) -> tuple[bool, str]:
    """Remove sign, symbol and a whole-units suffix, telling whether a minus was present."""
    # A minus may come before or after the symbol ("-€50", "€ -50"); either way it is negative.
    minus_first, body = _strip_minus(body)
    body = _strip_symbol(body, conventions.symbols)
    minus_second, body = _strip_minus(body)
    return minus_first or minus_second, _WHOLE_UNITS_SUFFIX.sub("", body)


def _well_grouped(groups: list[str], grouping: tuple[int, int]) -> bool:
    """Tell whether digit groups follow the locale's sizes, e.g. 1.234.567 but not 1.23.4."""
    primary, secondary = grouping
    first, *middle, last = groups
    return (
        1 <= len(first) <= secondary
        and len(last) == primary
        and all(len(group) == secondary for group in middle)
    )


def _integer_digits(whole: str, conventions: _Conventions, text: str) -> str:
    """Return the digits of the integer part after checking its group separators."""
    if not whole:
        return ""
    groups = whole.split(conventions.group)
    if not all(_DIGITS.fullmatch(group) for group in groups):
        raise AmountParseError("invalid", text)
    # This is what refuses German "50.00" and English "50,00": a group separator followed by
    # anything but a full group. Reading either as 5000 would charge a donor 100 times too much.
    if len(groups) > 1 and not _well_grouped(groups, conventions.grouping):
        raise AmountParseError("invalid", text)
    return "".join(groups)


def _split_number(body: str, conventions: _Conventions, text: str) -> tuple[str, str]:
    """Split a bare locale number into its integer digits and fraction digits."""
    whole, _, fraction = body.partition(conventions.decimal)
    if conventions.decimal in fraction or not (whole or fraction):
        raise AmountParseError("invalid", text)
    if fraction and not _DIGITS.fullmatch(fraction):
        raise AmountParseError("invalid", text)
    return _integer_digits(whole, conventions, text), fraction


def parse_amount(text: str, currency: str, locale: str) -> Money:
    """Read an amount a donor typed in `locale`, or raise AmountParseError with a stable code."""
    digits = exponent(currency)
    conventions = _conventions(locale, currency)
    if not isinstance(text, str):
        raise TypeError(f"expected the donor's text as str, not {type(text).__name__}")
    if len(text) > _MAX_INPUT_CHARS:
        raise AmountParseError("too_large", text)
    body = _normalise(text).strip()
    if not body:
        raise AmountParseError("empty", text)
    negative, body = _strip_decorations(body, conventions)
    if not body:
        # Only a symbol (a prefilled "€" left alone) is empty; a lone "-" is not a number.
        raise AmountParseError("invalid" if negative else "empty", text)
    whole, fraction = _split_number(body, conventions, text)
    if negative:
        raise AmountParseError("negative", text)
    if len(whole.lstrip("0")) > _MAX_INTEGER_DIGITS:
        raise AmountParseError("too_large", text)
    # Counted as typed, zeros included: "50.000" in English or "1,000" for yen in German is far
    # more likely a thousands separator from another locale than a precise 50 or 1.
    if len(fraction) > digits:
        raise AmountParseError("too_precise", text)
    return Money(int(whole or "0") * 10**digits + int(fraction.ljust(digits, "0") or "0"), currency)
