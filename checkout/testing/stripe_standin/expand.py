"""`expand[]`: replace ids by their objects, and fill includable fields, along dotted paths."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from checkout.testing.stripe_standin.errors import invalid
from checkout.testing.stripe_standin.store import Account, Obj

Includer = Callable[[Account, Obj], Any]
#: Fields that are absent until expanded (e.g. Invoice.confirmation_secret), per object type.
_INCLUDABLE: dict[tuple[str, str], Includer] = {}
_MAX_DEPTH = 4


def includable(kind: str, name: str) -> Callable[[Includer], Includer]:
    """Register how to compute the includable field `name` of objects of type `kind`."""

    def register(function: Includer) -> Includer:
        _INCLUDABLE[(kind, name)] = function
        return function

    return register


def expand(account: Account, obj: Obj, paths: list[str]) -> Obj:
    """A copy of `obj` with every path in `paths` expanded; unknown paths are refused."""
    result = copy.deepcopy(obj)
    for path in paths:
        segments = path.split(".")
        if len(segments) > _MAX_DEPTH:
            raise invalid(
                f"You cannot expand more than {_MAX_DEPTH} levels of a property ({path}).",
                param="expand",
            )
        _expand_into(account, result, segments, path)
    return result


def _expand_into(account: Account, node: Obj, segments: list[str], path: str) -> None:
    """Expand `segments` below `node` in place."""
    name, rest = segments[0], segments[1:]
    if node.get("object") == "list" and name == "data":
        for item in node["data"]:
            if rest:
                _expand_into(account, item, rest, path)
        return
    value = _expanded_value(account, node, name, path)
    node[name] = value
    if rest and isinstance(value, dict):
        _expand_into(account, value, rest, path)
    elif rest and value is not None:
        raise invalid(f"This property cannot be expanded ({path}).", param="expand")


def _expanded_value(account: Account, node: Obj, name: str, path: str) -> Any:
    """The value of `node[name]` once expanded."""
    includer = _INCLUDABLE.get((str(node.get("object")), name))
    if includer is not None:
        return node[name] if isinstance(node.get(name), dict) else includer(account, node)
    value = node.get(name)
    if value is None and name in node:
        return None
    if isinstance(value, dict):
        return value  # an inline object: the path goes on below it
    target = account.find(value) if isinstance(value, str) else None
    if target is None:
        raise invalid(f"This property cannot be expanded ({path}).", param="expand")
    return copy.deepcopy(target)
