"""Errors of the office registry: a bad config file, and look-ups of what is not configured."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from checkout.core.errors import CheckoutError, ConfigurationError


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in the offices file, located by file, office and dotted field path."""

    file: str
    office: str | None  # None when the problem is outside any office (e.g. a syntax error)
    field: str  # e.g. "currencies.EUR.presets", or "line 12, column 5" for a syntax error
    message: str

    def __str__(self) -> str:
        """Render as `file: office XX: field: message`, leaving out what is unknown."""
        parts = [self.file]
        if self.office is not None:
            parts.append(f"office {self.office}")
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


class OfficeConfigError(ConfigurationError):
    """config/offices.toml is unreadable or invalid; the app must not start with it.

    The message lists every problem found, one per line, each naming the file, the office and
    the field, so whoever edits the file can fix them all in one go.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = [str(problem) for problem in self.problems]
        if len(lines) > 1:
            lines.insert(0, f"{self.problems[0].file}: {len(lines)} problems:")
        super().__init__("\n".join(lines))

    @classmethod
    def single(cls, file: str, office: str | None, field: str, message: str) -> OfficeConfigError:
        """Build the error for one problem."""
        return cls([Problem(file, office, field, message)])


class UnknownOffice(CheckoutError, LookupError):
    """An office code that the registry does not hold."""

    def __init__(self, code: object, known: Sequence[str]) -> None:
        super().__init__(f"no office {code!r}; configured offices: {', '.join(known)}")
        self.code = code


class CurrencyNotAccepted(CheckoutError, LookupError):
    """An office asked for the rules of a currency it does not take."""

    def __init__(self, office: str, currency: object, accepted: Sequence[str]) -> None:
        super().__init__(
            f"office {office} does not accept {currency!r}; it accepts {', '.join(accepted)}"
        )
        self.office = office
        self.currency = currency
