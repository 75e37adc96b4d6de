"""Stripe's list object: newest first, `limit`, `starting_after`, `ending_before`, `has_more`."""

from __future__ import annotations

from collections.abc import Iterable

from checkout.testing.stripe_standin.errors import invalid
from checkout.testing.stripe_standin.routing import Call
from checkout.testing.stripe_standin.store import Obj


def list_object(items: list[Obj], url: str, has_more: bool = False) -> Obj:
    """A list object around `items`."""
    return {"object": "list", "data": items, "has_more": has_more, "url": url}


def paginate(call: Call, items: Iterable[Obj], url: str) -> Obj:
    """One page of `items` (already newest first) as the call's pagination asks."""
    rows = list(items)
    limit = call.param("limit", 10)
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100", param="limit")
    after, before = call.param("starting_after"), call.param("ending_before")
    if after and before:
        raise invalid(
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="ending_before",
        )
    if after:
        rows = rows[_position(rows, after, "starting_after") + 1 :]
    elif before:
        rows = rows[: _position(rows, before, "ending_before")]
        more = len(rows) > limit
        return list_object(rows[-limit:], url, more)
    return list_object(rows[:limit], url, len(rows) > limit)


def _position(rows: list[Obj], ident: str, param: str) -> int:
    """Where the cursor object sits in the list, or Stripe's error for an unknown cursor."""
    for index, row in enumerate(rows):
        if row["id"] == ident:
            return index
    raise invalid(
        f"No such object: '{ident}' (given as {param})", param=param, code="resource_missing"
    )


def matches(obj: Obj, **filters: object) -> bool:
    """Tell whether `obj` has every given field value; None filters are ignored."""
    return all(value is None or obj.get(name) == value for name, value in filters.items())
