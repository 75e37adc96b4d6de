"""The languages the donor-facing pages are written in."""

from __future__ import annotations

from typing import Final

#: Donor-facing languages, in the order the language switcher shows them.
SUPPORTED_LANGUAGES: Final[tuple[str, ...]] = ("en", "de", "nl", "fr")
DEFAULT_LANGUAGE: Final[str] = "en"

#: Each language's own name, for the switcher (a language is named in itself).
LANGUAGE_NAMES: Final[dict[str, str]] = {
    "en": "English",
    "de": "Deutsch",
    "nl": "Nederlands",
    "fr": "Français",
}
