"""Exceptions shared across features; each carries enough to produce a clear message."""

from __future__ import annotations


class CheckoutError(Exception):
    """Base class for errors the checkout raises on purpose."""


class UnknownCurrency(CheckoutError, ValueError):
    """A currency code that is not in our table of ISO 4217 exponents."""

    def __init__(self, code: object) -> None:
        super().__init__(f"unknown currency {code!r}")
        self.code = code


class CurrencyMismatch(CheckoutError, TypeError):
    """Arithmetic or comparison between amounts in two currencies."""

    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"cannot combine {left} with {right}")
        self.left = left
        self.right = right


class AmountParseError(CheckoutError, ValueError):
    """What a donor typed is not an amount in their locale.

    `code` is stable and machine-readable ("empty", "invalid", "negative", "too_precise",
    "too_large") so forms can pick a translated message without parsing English text.
    """

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text!r}")
        self.code = code
        self.text = text


class ConfigurationError(CheckoutError, RuntimeError):
    """The app refuses to start: a setting is missing, unsafe or invalid."""
