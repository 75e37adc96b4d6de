"""Reading TOML tables with precise complaints: each problem names the file, office and field.

The offices loader reads each section through a `Section`, which records what is wrong and
abandons the section (raising `Invalid`) so the rest of the file is still checked.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NoReturn, ParamSpec, TypeVar

from checkout.offices.errors import Problem

T = TypeVar("T")
P = ParamSpec("P")


class Invalid(Exception):
    """The problem was recorded; abandon the section being read."""


@dataclass
class Context:
    """The problems found so far, and what offices claimed across the file."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    country_owner: dict[str, str] = field(default_factory=dict)
    env_owner: dict[str, str] = field(default_factory=dict)

    def report(self, office: str | None, where: str, message: str) -> None:
        """Record one problem."""
        self.problems.append(Problem(self.file, office, where, message))


class Section:
    """One table of the file, with the office and dotted path used to name its fields."""

    def __init__(self, ctx: Context, office: str, prefix: str, data: Mapping[str, object]) -> None:
        self.ctx, self.office, self.prefix, self.data = ctx, office, prefix, data

    def report(self, key: str, message: str) -> None:
        """Record a problem with `key` (or with this table itself when `key` is "")."""
        where = f"{self.prefix}{key}" if key else self.prefix.rstrip(".")
        self.ctx.report(self.office, where, message)

    def fail(self, key: str, message: str) -> NoReturn:
        """Record a problem with `key` and abandon this section."""
        self.report(key, message)
        raise Invalid

    def value(self, key: str, kind: type[T], what: str) -> T:
        """Return the value at `key` if present and of type `kind`."""
        if key not in self.data:
            self.fail(key, "missing")
        raw = self.data[key]
        # bool is an int and datetime a date in Python, but not what the file meant.
        wrong_subtype = (kind is int and isinstance(raw, bool)) or (
            kind is date and isinstance(raw, datetime)
        )
        if not isinstance(raw, kind) or wrong_subtype:
            self.fail(key, f"expected {what}, got {describe(raw)}")
        return raw

    def text(self, key: str) -> str:
        """Return a non-empty string, stripped of surrounding blanks."""
        value = self.value(key, str, "a string").strip()
        if not value:
            self.fail(key, "empty")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        """Return a non-empty array of non-empty strings."""
        items: list[object] = self.value(key, list, "an array of strings")
        if not items:
            self.fail(key, "empty")
        for item in items:
            if not isinstance(item, str) or not item.strip():
                self.fail(key, f"expected non-empty strings, got {describe(item)}")
        return tuple(str(item).strip() for item in items)

    def choices(self, key: str, allowed: Iterable[str], what: str) -> tuple[str, ...]:
        """Return an array of strings, each from `allowed`, without repeats."""
        values, allowed = self.texts(key), tuple(allowed)
        for value in values:
            if value not in allowed:
                self.fail(key, f"{value!r} is not {what} ({', '.join(allowed)})")
        if len(set(values)) != len(values):
            self.fail(key, "lists a value twice")
        return values

    def flag(self, key: str) -> bool:
        """Return a boolean."""
        return self.value(key, bool, "true or false")

    def table(self, key: str) -> Section:
        """Return the sub-table at `key`."""
        data: dict[str, object] = self.value(key, dict, "a table")
        return Section(self.ctx, self.office, f"{self.prefix}{key}.", data)

    def only(self, allowed: Iterable[str]) -> None:
        """Report keys outside `allowed`, which are usually typos of an allowed key."""
        allowed = sorted(allowed)
        for key in self.data:
            if key not in allowed:
                near = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {near[0]}?)" if near else ""
                self.report(key, f"unknown key{hint}; allowed: {', '.join(allowed)}")


def describe(value: object) -> str:
    """Name a TOML value's type and show it, for 'expected X, got Y' messages."""
    names = {str: "string", bool: "boolean", int: "integer", float: "float", list: "array"}
    names |= {dict: "table", date: "date", datetime: "date-time"}
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    return f"{names.get(type(value), type(value).__name__)} {shown}"


def attempt(build: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
    """Run one section's reader; return None when it abandoned the section."""
    try:
        return build(*args, **kwargs)
    except Invalid:
        return None
