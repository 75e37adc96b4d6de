"""Look-ups over the loaded offices: which office serves a country, what it offers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

from checkout.core.money import Money
from checkout.offices.errors import CurrencyNotAccepted, OfficeConfigError, UnknownOffice
from checkout.offices.models import FALLBACK_OFFICE, CurrencyRules, Office


class OfficeRegistry:
    """The offices from one config file, indexed by code and by donor country."""

    def __init__(self, offices: Iterable[Office], source: str = "<offices>") -> None:
        """Index `offices`; `source` names the file they came from, for error messages."""
        self._offices: Mapping[str, Office] = MappingProxyType({o.code: o for o in offices})
        self.source = source
        if FALLBACK_OFFICE not in self._offices:
            # The loader reports this with more context; this guards registries built by hand.
            raise OfficeConfigError.single(source, FALLBACK_OFFICE, "", "missing")
        self._by_country: Mapping[str, Office] = MappingProxyType(
            {country: o for o in self._offices.values() for country in o.countries}
        )

    def __iter__(self) -> Iterator[Office]:
        """Yield the offices in file order."""
        return iter(self._offices.values())

    def __len__(self) -> int:
        """Return how many offices there are."""
        return len(self._offices)

    def __contains__(self, code: object) -> bool:
        """Tell whether an office with this code exists."""
        return isinstance(code, str) and code.upper() in self._offices

    @property
    def codes(self) -> tuple[str, ...]:
        """The office codes in file order."""
        return tuple(self._offices)

    @property
    def fallback(self) -> Office:
        """The international office, which serves every country no other office lists."""
        return self._offices[FALLBACK_OFFICE]

    def get(self, code: str) -> Office:
        """Return the office with `code` (any case), or raise UnknownOffice."""
        office = self._offices.get(code.upper()) if isinstance(code, str) else None
        if office is None:
            raise UnknownOffice(code, self.codes)
        return office

    def office_for_country(self, country: str) -> Office:
        """Return the office serving donors in `country` (ISO alpha-2, any case)."""
        # Anything unmapped, including an unknown or empty code, belongs to the fallback office:
        # a donor must always be able to give, and INT accepts gifts from everywhere.
        return self._by_country.get(country.strip().upper(), self.fallback)

    def all_countries(self) -> frozenset[str]:
        """Return the countries mapped to a national office (the fallback serves all others)."""
        return frozenset(self._by_country)

    def rules(self, office_code: str, currency: str) -> CurrencyRules:
        """Return an office's rules for `currency`, or raise CurrencyNotAccepted."""
        office = self.get(office_code)
        rules = office.currencies.get(currency.upper())
        if rules is None:
            raise CurrencyNotAccepted(office.code, currency, tuple(office.currencies))
        return rules

    def methods_for(self, office_code: str, currency: str, frequency: str) -> tuple[str, ...]:
        """Return the Stripe payment methods offered, or () when the combination is not."""
        office = self.get(office_code)
        rules = office.currencies.get(currency.upper())
        if rules is None or frequency not in office.frequencies:
            return ()
        return rules.methods_for(frequency)

    def limits(self, office_code: str, currency: str) -> tuple[Money, Money]:
        """Return the (minimum, maximum) gift of an office in `currency`."""
        rules = self.rules(office_code, currency)
        return rules.minimum, rules.maximum

    def presets(self, office_code: str, currency: str) -> tuple[Money, ...]:
        """Return the preset amounts an office shows in `currency`."""
        return self.rules(office_code, currency).presets
