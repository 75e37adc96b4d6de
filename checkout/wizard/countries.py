"""Countries by name in the donor's language, and the currency a country's donors expect."""

from __future__ import annotations

from functools import cache

from babel import Locale
from babel.numbers import get_territory_currencies
from markupsafe import escape

from checkout.offices import Office

_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})


@cache
def country_choices(locale: str) -> tuple[tuple[str, str], ...]:
    """Every country by its name in the donor's language, sorted for that language.

    Cached per locale: sorting Babel's ~250 territory names took a millisecond per page.
    """
    names = Locale.parse(locale).territories
    codes = [
        code
        for code in names
        if isinstance(code, str)
        and len(code) == 2
        and code.isalpha()
        and code not in _NOT_COUNTRIES
    ]
    pairs = ((code, str(names[code])) for code in codes)
    return tuple(sorted(pairs, key=lambda item: item[1].casefold()))


def option_tag(value: str, label: object, selected: bool) -> str:
    """One <option>, as the select_field macro writes it."""
    mark = " selected" if selected else ""
    return f'<option value="{escape(value)}"{mark}>{escape(label)}</option>'


@cache
def _country_options(locale: str) -> tuple[str, frozenset[str]]:
    """The <option> tags of every country in `locale`, none selected, and their codes.

    Cached per locale: writing ~250 escaped options took the template half a millisecond.
    """
    choices = country_choices(locale)
    tags = "\n    ".join(option_tag(code, name, selected=False) for code, name in choices)
    return tags, frozenset(code for code, _name in choices)


def country_options(locale: str, selected: object) -> str:
    """Every country's <option> in `locale`, with `selected` (a code) marked."""
    tags, codes = _country_options(locale)
    if isinstance(selected, str) and selected in codes:
        plain = option_tag(selected, "", selected=False).removesuffix("</option>")
        tags = tags.replace(plain, plain.removesuffix(">") + " selected>", 1)
    return tags


def preferred_currency(office: Office, country: str) -> str:
    """The currency the office charges a donor of `country`: the country's own where the office
    offers it (a French donor to the international office gives in euros), else the office's
    default."""
    if country:
        for currency in get_territory_currencies(country):
            if currency in office.currencies:
                return str(currency)
    return office.default_currency
