"""Public ids: unguessable, URL-safe, and the same in every CSV an office receives."""

from __future__ import annotations

import re

from checkout.core.ids import new_public_id
from checkout.transfers.formats import FORMULA_STARTS


def test_public_ids_are_url_safe_and_never_read_as_a_spreadsheet_formula() -> None:
    # One random id in 64 used to start with "-": among 2,000 the chance of seeing none was
    # about one in 10**13. The exports would have quoted such an id and altered it.
    ids = [new_public_id() for _ in range(2000)]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", found) for found in ids)
    assert not [found for found in ids if found.startswith(FORMULA_STARTS)]
    assert len(set(ids)) == len(ids)
