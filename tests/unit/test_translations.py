"""Every string shown to donors exists in every language, with the same placeholders."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from checkout.core.languages import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES
from checkout.paths import PROJECT_ROOT, TRANSLATIONS_DIR

TRANSLATED = [code for code in SUPPORTED_LANGUAGES if code != DEFAULT_LANGUAGE]
PLACEHOLDER = re.compile(r"%\(\w+\)s")


@cache
def source_messages() -> frozenset[str]:
    """Every message id in code and templates, extracted as `make extract-messages` does."""
    with open(TRANSLATIONS_DIR / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(
        PROJECT_ROOT,
        method_map,
        options_map,
        keywords={"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "ngettext": (1, 2)},
    )
    ids: set[str] = set()
    for _filename, _lineno, message, _comments, _context in found:
        ids.update([message] if isinstance(message, str) else [m for m in message if m])
    return frozenset(ids)


def catalog(language: str) -> Catalog:
    path = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
    with Path(path).open("rb") as handle:
        return read_po(handle, locale=language)


def test_the_sources_have_messages_to_check() -> None:
    assert "Donate now" in source_messages()


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language: str) -> None:
    translations = catalog(language)
    missing = sorted(
        message
        for message in source_messages()
        if not (entry := translations.get(message)) or not entry.string or entry.fuzzy
    )
    assert missing == [], f"{language}: untranslated: {missing}; run make extract-messages"


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_catalog_is_marked_fuzzy(language: str) -> None:
    # pybabel compile silently skips a catalog whose header is fuzzy: the page would be English.
    assert not catalog(language).fuzzy


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_their_placeholders(language: str) -> None:
    for entry in catalog(language):
        if entry.id and isinstance(entry.id, str) and entry.string:
            assert sorted(PLACEHOLDER.findall(entry.id)) == sorted(
                PLACEHOLDER.findall(str(entry.string))
            ), f"{language}: placeholders differ in {entry.id!r}"
