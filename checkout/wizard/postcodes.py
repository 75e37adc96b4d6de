"""Country-aware postcode checks, strict where the format is well known, lenient elsewhere."""

from __future__ import annotations

import re
from typing import Final

_UK = r"(GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})"

#: Countries whose postcode format we check exactly; the value is the whole-string pattern.
_PATTERNS: Final[dict[str, re.Pattern[str]]] = {
    country: re.compile(pattern)
    for country, pattern in {
        "DE": r"[0-9]{5}",
        "FR": r"[0-9]{5}",
        "IT": r"[0-9]{5}",
        "ES": r"[0-9]{5}",
        "NL": r"[1-9][0-9]{3} ?[A-Z]{2}",
        "BE": r"[1-9][0-9]{3}",
        "AT": r"[1-9][0-9]{3}",
        "CH": r"[1-9][0-9]{3}",
        "DK": r"[0-9]{4}",
        "AU": r"[0-9]{4}",
        "GB": _UK,
        "GG": _UK,
        "JE": _UK,
        "IM": _UK,
        "CA": r"[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z] ?[0-9][ABCEGHJ-NPRSTV-Z][0-9]",
        "US": r"[0-9]{5}(-[0-9]{4})?",
    }.items()
}
_ANYWHERE: Final = re.compile(r"[A-Z0-9][A-Z0-9 -]{1,10}")


def normalise_postcode(text: str) -> str:
    """Upper-case and collapse blanks, as postcodes are printed."""
    return " ".join(text.upper().split())


def is_valid_postcode(country: str, text: str) -> bool:
    """Whether `text` is a plausible postcode for `country` (ISO alpha-2)."""
    pattern = _PATTERNS.get(country.upper(), _ANYWHERE)
    return pattern.fullmatch(normalise_postcode(text)) is not None


def has_known_format(country: str) -> bool:
    """Whether the check for `country` is exact rather than lenient."""
    return country.upper() in _PATTERNS
