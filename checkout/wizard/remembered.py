"""An assessment remembered with the draft it was made of, so a page need not validate again.

Assessing a draft validates every step's stored input (forms, email syntax, the address by
Google's rules): most of a page's work, and the same answer every time until the donor types
something. So the outcome is kept *in the draft's own row*, beside what was typed, under the
key "assessed", never in a process-wide cache: it holds the same personal data as the draft,
lives exactly as long, and every erasure of the draft's `data` erases it too.

It is only used while it is provably the same answer: its key is a digest of everything
assessing depends on, namely what was typed, the page's language, whether payment started,
our code, the installed libraries and the offices' configuration. A deploy or an edit of
config/offices.toml therefore makes every draft assessed afresh once.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Mapping
from dataclasses import asdict
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from checkout.core.money import Money
from checkout.donations.values import DonorDetails, Gift
from checkout.offices import OfficeRegistry
from checkout.wizard.context import StepContext
from checkout.wizard.flow import STEPS, Assessment, Step, recalled, submitted_steps
from checkout.wizard.services import MEMO_KEY, typed


def recall(
    data: Mapping[str, Any],
    registry: OfficeRegistry,
    locale: str,
    frozen: bool,
    until: Step | None = None,
) -> Assessment | None:
    """The assessment remembered in `data` if it still holds, else None."""
    memo = data.get(MEMO_KEY)
    if not isinstance(memo, dict) or memo.get("key") != _key(data, registry, locale, frozen):
        return None
    try:
        contexts = tuple(_context(entry, registry) for entry in memo["contexts"])
    except (LookupError, TypeError, ValueError):
        return None  # written by another version's layout: assess afresh
    if not contexts or len(contexts) > len(STEPS) + 1:
        return None
    return recalled(contexts, submitted_steps(data), until)


def memo_of(
    assessment: Assessment,
    data: Mapping[str, Any],
    registry: OfficeRegistry,
    locale: str,
    frozen: bool,
) -> dict[str, Any]:
    """What to keep in the draft's data for a full assessment (made without `until`)."""
    return {
        "key": _key(data, registry, locale, frozen),
        "contexts": [_plain_context(context) for context in assessment.contexts],
    }


def _key(data: Mapping[str, Any], registry: OfficeRegistry, locale: str, frozen: bool) -> str:
    payload = json.dumps(
        [_rules(registry), locale, frozen, typed(data)],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@lru_cache(maxsize=8)
def _rules(registry: OfficeRegistry) -> str:
    """A digest of the rules a draft is validated by: our code, the libraries, the offices."""
    offices = repr(tuple(registry)).encode("utf-8")
    return hashlib.sha256(_code_digest().encode("ascii") + offices).hexdigest()


@cache
def _code_digest() -> str:
    """A digest of the app's Python source and the installed distributions' versions (read
    once per process: a change of either comes with a restart)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode("utf-8"))
        digest.update(path.read_bytes())
    versions = sorted(
        f"{dist.metadata['Name']}=={dist.version}" for dist in importlib.metadata.distributions()
    )
    digest.update("\n".join(versions).encode("utf-8"))
    return digest.hexdigest()


def _plain_context(context: StepContext) -> dict[str, Any]:
    gift = context.gift
    return {
        "office": context.office.code,
        "locale": context.locale,
        "input_locale": context.input_locale,
        "country": context.country,
        "gift": None
        if gift is None
        else {
            "amount": gift.amount.minor,
            "fee": gift.fee.minor,
            "currency": gift.currency,
            "frequency": gift.frequency,
            "cover_fee": gift.cover_fee,
        },
        "donor": None if context.donor is None else asdict(context.donor),
        "method": context.method,
    }


def _context(entry: Mapping[str, Any], registry: OfficeRegistry) -> StepContext:
    gift = entry["gift"]
    donor = entry["donor"]
    return StepContext(
        office=registry.get(str(entry["office"])),
        locale=str(entry["locale"]),
        input_locale=str(entry["input_locale"]),
        country=str(entry["country"]),
        gift=None
        if gift is None
        else Gift(
            amount=Money(int(gift["amount"]), str(gift["currency"])),
            frequency=str(gift["frequency"]),
            cover_fee=bool(gift["cover_fee"]),
            fee=Money(int(gift["fee"]), str(gift["currency"])),
        ),
        donor=None if donor is None else DonorDetails(**donor),
        method=None if entry["method"] is None else str(entry["method"]),
    )
