"""An assessment remembered with the draft it was made of, so a page need not validate again.

Assessing a draft validates every step's stored input (forms, email syntax, the address by
Google's rules): most of a page's work, and the same answer every time until the donor types
something. So its outcome, the context after each complete step, is kept *in the draft's own
row*, beside what was typed, under `MEMO_KEY`, never in a process-wide cache: it holds the
same personal data as the draft, lives exactly as long, and every erasure of the draft's
`data` erases it too.

Each context is used only while it is provably the same answer: its key is a digest of
everything it depends on, namely what was typed on the steps before it (and the first step's
country, which picks the office), anything else in the draft, the page's language, whether
payment started, our code, the installed libraries and the offices' configuration. A deploy
or an edit of config/offices.toml therefore makes every draft assessed afresh once, and
typing on a step leaves the contexts before it standing: a submission validates only itself.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from checkout.core.money import Money
from checkout.donations.values import DonorDetails, Gift
from checkout.offices import OfficeRegistry
from checkout.wizard.context import StepContext
from checkout.wizard.flow import STEP_BY_NAME, STEPS, Assessment, Step
from checkout.wizard.services import MEMO_KEY


@dataclass(frozen=True)
class Recalled:
    """What a draft's memo vouches for: the contexts that still hold, from the base context
    on (maybe none); the key each context would have now; how many the memo held."""

    known: tuple[StepContext, ...]
    keys: list[str]
    stored: int

    def outdated_by(self, assessment: Assessment) -> bool:
        """True when the memo should be written again to hold what `assessment` found."""
        return len(assessment.contexts) != len(self.known) or self.stored != len(self.known)

    def memo_for(self, assessment: Assessment) -> dict[str, Any]:
        """What to keep in the draft's data for `assessment` of the same data."""
        contexts = assessment.contexts
        return {
            "keys": self.keys[: len(contexts)],
            "contexts": [_plain_context(context) for context in contexts],
        }


def recall(
    data: Mapping[str, Any], registry: OfficeRegistry, locale: str, frozen: bool
) -> Recalled:
    """What the memo in `data` vouches for, for a page in `locale`."""
    keys = _keys(data, registry, locale, frozen)
    memo = data.get(MEMO_KEY)
    stored_keys = memo.get("keys") if isinstance(memo, dict) else None
    stored = memo.get("contexts") if isinstance(memo, dict) else None
    if not isinstance(stored_keys, list) or not isinstance(stored, list):
        return Recalled((), keys, 0)
    known: list[StepContext] = []
    # strict=False: a memo holds contexts up to the first step not done, not one per key.
    for key, expected, entry in zip(stored_keys, keys, stored, strict=False):
        if key != expected:
            break
        try:
            known.append(_context(entry, registry))
        except (LookupError, TypeError, ValueError):
            break  # written by another version's layout: assess afresh from here
    return Recalled(tuple(known), keys, len(stored))


def kept_before(data: Mapping[str, Any], step: Step) -> dict[str, Any] | None:
    """The memo trimmed to the contexts that typing on `step` leaves standing: those before
    it, as they do not depend on it (none for the first step, which picks the office)."""
    memo = data.get(MEMO_KEY)
    index = STEPS.index(step)
    if not isinstance(memo, dict) or index == 0:
        return None
    keys, contexts = memo.get("keys"), memo.get("contexts")
    if not isinstance(keys, list) or not isinstance(contexts, list):
        return None
    return {"keys": keys[: index + 1], "contexts": contexts[: index + 1]}


def _keys(
    data: Mapping[str, Any], registry: OfficeRegistry, locale: str, frozen: bool
) -> list[str]:
    """The key of each context: the base one, then the one after each step."""
    others = {
        key: value for key, value in data.items() if key not in STEP_BY_NAME and key != MEMO_KEY
    }
    # The base context already reads the first step's country and language.
    digest = hashlib.sha256(_plain([_rules(registry), locale, frozen, others]))
    digest.update(_plain(data.get(STEPS[0].name)))
    keys = [digest.hexdigest(), digest.hexdigest()]
    for step in STEPS[1:]:
        digest.update(_plain(data.get(step.name)))
        keys.append(digest.hexdigest())
    return keys


def _plain(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


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
