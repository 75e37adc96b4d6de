"""Decoding Stripe's form encoding: `a[b][0][c]=v` pairs into nested dicts.

Indexes stay string keys here (`{"0": ...}`); `params.py` turns them into lists where the
endpoint's schema expects a list, because only the schema knows that `metadata[0]` is a key.
`a[]=v` (how browsers and curl send arrays) appends to a list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from checkout.testing.stripe_standin.errors import invalid

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def split_key(key: str) -> list[str]:
    """Split `a[b][0][]` into ["a", "b", "0", ""]; refuse malformed brackets."""
    match = _KEY.match(key)
    if not match:
        raise invalid(f"Invalid parameter name: {key}", param=key)
    return [match.group(1), *_SEGMENT.findall(match.group(2))]


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Build the nested parameters from decoded `(key, value)` pairs, in order."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        _insert(root, split_key(key), value, key)
    return root


def _insert(node: dict[str, Any] | list[Any], path: list[str], value: str, key: str) -> None:
    """Place `value` at `path` below `node`, creating containers as the path demands."""
    head, rest = path[0], path[1:]
    if not rest:
        _store(node, head, value, key)
        return
    child = _child(node, head, rest[0] == "", key)
    _insert(child, rest, value, key)


def _child(
    node: dict[str, Any] | list[Any], head: str, wants_list: bool, key: str
) -> dict[str, Any] | list[Any]:
    """The container at `head`, made when absent; a scalar there is a conflict."""
    fresh: dict[str, Any] | list[Any] = [] if wants_list else {}
    if isinstance(node, list):
        # `a[][b]=1` starts a new element each time (the SDK always sends indexes instead).
        node.append(fresh)
        return fresh
    existing = node.setdefault(head, fresh)
    if not isinstance(existing, dict | list) or isinstance(existing, list) != wants_list:
        raise invalid(f"Invalid parameter: {key} conflicts with another value", param=key)
    return existing


def _store(node: dict[str, Any] | list[Any], head: str, value: str, key: str) -> None:
    """Put a scalar in place; a repeated scalar key keeps the last value, as Rack does."""
    if isinstance(node, list):
        node.append(value)
    elif isinstance(node.get(head), dict | list):
        raise invalid(f"Invalid parameter: {key} conflicts with another value", param=key)
    else:
        node[head] = value
