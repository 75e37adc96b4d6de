"""Parameter schemas: what each endpoint accepts, coerced from form strings, the rest refused.

A schema lists only what the stand-in implements. An unknown name is refused with Stripe's
`parameter_unknown` error, so a misspelled field fails here as it would at Stripe; a test
checks that every name accepted here also exists in the stripe SDK's typed parameters, so the
stand-in never accepts what Stripe would refuse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from checkout.testing.stripe_standin.errors import StripeError, invalid

#: Stripe's minimum charge per currency, in minor units (its "minimum and maximum charge
#: amounts" table), and the largest amount it accepts.
MINIMUM_AMOUNTS: Mapping[str, int] = {
    "aud": 50,
    "cad": 50,
    "chf": 50,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "jpy": 50,
    "krw": 100,
    "nok": 300,
    "nzd": 50,
    "sek": 300,
    "usd": 50,
}
MAXIMUM_AMOUNT = 99_999_999
ZERO_DECIMAL = frozenset({"jpy", "krw"})
_INTEGER = re.compile(r"-?[0-9]{1,18}")


class Node(Protocol):
    """One schema node: turns a decoded form value into its typed value or raises."""

    def coerce(self, value: Any, path: str) -> Any:
        """Return the typed value of `value` found at `path`."""


def _require_scalar(value: Any, path: str) -> str:
    """The value as a string; a nested hash or array where a scalar belongs is refused."""
    if not isinstance(value, str):
        raise invalid(f"Invalid {path}: expected a string, not a hash or array", param=path)
    if value == "":
        raise StripeError(
            400,
            f"You passed an empty string for '{path}'. We assume empty values are an attempt "
            f"to unset a parameter; however '{path}' cannot be unset. You should remove "
            f"'{path}' from your request or supply a non-empty value.",
            code="parameter_invalid_empty",
            param=path,
        )
    return value


class Str:
    """A string of at most `max_length` characters."""

    def __init__(self, max_length: int = 5000) -> None:
        self.max_length = max_length

    def coerce(self, value: Any, path: str) -> Any:
        """Return the string, refusing an over-long one."""
        text = _require_scalar(value, path)
        if len(text) > self.max_length:
            raise invalid(
                f"Invalid string: {text[:20]}...; must be at most {self.max_length} characters",
                param=path,
                code="parameter_invalid_string_too_long",
            )
        return text


class Int:
    """An integer within `[low, high]`."""

    def __init__(self, low: int | None = None, high: int | None = None) -> None:
        self.low = low
        self.high = high

    def coerce(self, value: Any, path: str) -> Any:
        """Return the int; floats ("10.5") and words are refused as Stripe does."""
        text = _require_scalar(value, path)
        if not _INTEGER.fullmatch(text):
            raise invalid(f"Invalid integer: {text}", param=path, code="parameter_invalid_integer")
        number = int(text)
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            raise invalid(
                f"Invalid {path}: out of range", param=path, code="parameter_invalid_integer"
            )
        return number


class Bool:
    """`true` or `false`."""

    def coerce(self, value: Any, path: str) -> Any:
        """Return the bool."""
        text = _require_scalar(value, path)
        if text not in ("true", "false"):
            raise invalid(f"Invalid boolean: {text}", param=path)
        return text == "true"


class Enum:
    """One of a fixed set of strings."""

    def __init__(self, *values: str) -> None:
        self.values = values

    def coerce(self, value: Any, path: str) -> Any:
        """Return the value when it is one of the allowed ones."""
        text = _require_scalar(value, path)
        if text not in self.values:
            choices = ", ".join(self.values[:-1]) + f", or {self.values[-1]}"
            raise invalid(f"Invalid {path}: must be one of {choices}", param=path)
        return text


class Currency:
    """A three-letter currency the stand-in knows; answered in lower case like Stripe."""

    def coerce(self, value: Any, path: str) -> Any:
        """Return the lower-case code."""
        code = _require_scalar(value, path).lower()
        if code not in MINIMUM_AMOUNTS:
            raise invalid(
                f"Invalid currency: {code}. Stripe currently supports these "
                f"currencies: {', '.join(sorted(MINIMUM_AMOUNTS))}",
                param=path,
            )
        return code


class Emptyable:
    """A node that may also be "" (Stripe's way to unset a field), returned as None."""

    def __init__(self, inner: Node) -> None:
        self.inner = inner

    def coerce(self, value: Any, path: str) -> Any:
        """Return None for "", else the inner node's value."""
        return None if value == "" else self.inner.coerce(value, path)


class ListOf:
    """An array: `a[0]=x&a[1]=y` (what the SDK sends) or `a[]=x&a[]=y`."""

    def __init__(self, item: Node, max_items: int = 100) -> None:
        self.item = item
        self.max_items = max_items

    def coerce(self, value: Any, path: str) -> Any:
        """Return the list of coerced items in index order."""
        if isinstance(value, dict):
            if not all(key.isdigit() for key in value):
                raise invalid(f"Invalid array: {path}", param=path)
            value = [value[key] for key in sorted(value, key=int)]
        if not isinstance(value, list):
            raise invalid(f"Invalid array: {path}", param=path)
        if len(value) > self.max_items:
            raise invalid(f"Invalid array: {path} has more than {self.max_items} items", param=path)
        return [self.item.coerce(item, f"{path}[{index}]") for index, item in enumerate(value)]


class Metadata:
    """Stripe's metadata: up to 50 string keys (40 chars) with string values (500 chars)."""

    def coerce(self, value: Any, path: str) -> Any:
        """Return the dict; "" as a value means "delete this key" and is kept for the update."""
        if value == "":
            return {}
        if not isinstance(value, dict) or len(value) > 50:
            raise invalid(f"Invalid {path}: must be a hash of at most 50 keys", param=path)
        for key, item in value.items():
            if not isinstance(item, str) or len(key) > 40 or len(item) > 500:
                raise invalid(
                    f"Invalid {path}[{key}]: keys up to 40 characters, string values up to 500",
                    param=f"{path}[{key}]",
                )
        return dict(value)


class Obj:
    """A hash with named fields; unknown names are refused, `required` ones must be there."""

    def __init__(self, fields: Mapping[str, Node], required: tuple[str, ...] = ()) -> None:
        self.fields = dict(fields)
        self.required = required

    def coerce(self, value: Any, path: str) -> Any:
        """Return the dict of coerced fields."""
        if not isinstance(value, dict):
            raise invalid(f"Invalid object: {path}", param=path)
        return self.coerce_fields(value, prefix=path)

    def coerce_fields(self, raw: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
        """Coerce each field of `raw`, naming nested ones `prefix[name]`."""
        result: dict[str, Any] = {}
        for name, value in raw.items():
            path = f"{prefix}[{name}]" if prefix else name
            if name not in self.fields:
                raise invalid(
                    f"Received unknown parameter: {path}", param=path, code="parameter_unknown"
                )
            result[name] = self.fields[name].coerce(value, path)
        for name in self.required:
            if name not in result:
                path = f"{prefix}[{name}]" if prefix else name
                raise invalid(
                    f"Missing required param: {path}.", param=path, code="parameter_missing"
                )
        return result

    def extend(self, **fields: Node) -> Obj:
        """A copy with more fields (e.g. `client_secret` for publishable-key calls)."""
        return Obj({**self.fields, **fields}, self.required)


#: Fields every endpoint takes.
EXPAND = ListOf(Str())
LIST_PARAMS: dict[str, Node] = {
    "limit": Int(),
    "starting_after": Str(),
    "ending_before": Str(),
    "expand": EXPAND,
}
ADDRESS = Obj(
    {
        name: Emptyable(Str())
        for name in ("city", "country", "line1", "line2", "postal_code", "state")
    }
)
BILLING_DETAILS = Obj(
    {
        "address": Emptyable(ADDRESS),
        "email": Emptyable(Str()),
        "name": Emptyable(Str()),
        "phone": Emptyable(Str()),
    }
)


def list_schema(**filters: Node) -> Obj:
    """The schema of a list endpoint: pagination, expand and the given filters."""
    return Obj({**LIST_PARAMS, **filters})


def check_amount(amount: int, currency: str, param: str = "amount") -> None:
    """Refuse amounts below Stripe's minimum for the currency or above its maximum."""
    minimum = MINIMUM_AMOUNTS[currency]
    if amount < minimum:
        raise invalid(
            f"Amount must be at least {major_units(minimum, currency)} {currency}",
            param=param,
            code="amount_too_small",
        )
    if amount > MAXIMUM_AMOUNT:
        raise invalid(
            f"Amount must be no more than {major_units(MAXIMUM_AMOUNT, currency)} {currency}",
            param=param,
            code="amount_too_large",
        )


def major_units(minor: int, currency: str) -> str:
    """Write minor units as major units for messages ("0.50"), without floats."""
    if currency in ZERO_DECIMAL:
        return str(minor)
    whole, cents = divmod(abs(minor), 100)
    return f"{'-' if minor < 0 else ''}{whole}.{cents:02d}"
