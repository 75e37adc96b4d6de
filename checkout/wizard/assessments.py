"""Draft revisions remembered, so viewing a page does not re-validate every step.

`flow.assess` depends on nothing but the draft's stored input, the offices registry and the
page's language, and so does the form a step's page shows. Both are kept under a digest of
the stored input (canonical JSON) and the language, in a table of its own per registry object:

- a draft that changes in any way (a step saved, a copy, a purge) has another digest, so its
  next assessment is computed afresh: the stored input stays the single source of truth;
- a registry loaded from a changed offices file is another object, with an empty table; the
  old registry's table goes when the registry does (weak reference).

Assessments are frozen dataclasses and the kept forms are only read, so threads share them.
The table is small and least-recently-used entries leave first: it holds what the drafts'
rows hold anyway, for the drafts being worked on in this process.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any
from weakref import WeakKeyDictionary

from checkout.offices import OfficeRegistry
from checkout.wizard.flow import Assessment, assess
from checkout.wizard.forms import StepForm

#: Assessments kept per registry; a page view needs one, so this covers that many live drafts.
DEFAULT_SIZE = 512


def input_digest(data: Mapping[str, Any]) -> str | None:
    """A digest of a draft's stored input, or None when it is not plain JSON."""
    try:
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Revision:
    """One revision of a draft in one language: its assessment and the forms its pages show.

    The forms are built and validated once, read-only afterwards: a page renders them as they
    are (labels and messages are translated when shown; the CSRF token is not part of them).
    """

    __slots__ = ("_lock", "_shown", "assessment")

    def __init__(self, assessment: Assessment) -> None:
        """A revision assessed as `assessment`, with no form built yet."""
        self.assessment = assessment
        self._shown: dict[str, StepForm] = {}
        self._lock = threading.Lock()

    def shown_form(self, step: str, build: Callable[[], StepForm]) -> StepForm:
        """The form `step`'s page shows for this revision, built by `build` the first time."""
        with self._lock:
            form = self._shown.get(step)
        if form is None:
            form = build()
            with self._lock:
                form = self._shown.setdefault(step, form)
        return form


class AssessmentCache:
    """Revisions of drafts, by (stored input, language) per offices registry."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        """An empty cache holding at most `size` revisions per registry."""
        self.size = size
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._tables: WeakKeyDictionary[OfficeRegistry, OrderedDict[tuple[str, str], Revision]] = (
            WeakKeyDictionary()
        )

    def revision(self, data: Mapping[str, Any], registry: OfficeRegistry, locale: str) -> Revision:
        """The revision of a draft whose stored input is `data`, assessed once."""
        digest = input_digest(data)
        if digest is None:
            return Revision(assess(data, registry, locale))  # not kept
        key = (digest, locale)
        with self._lock:
            table = self._tables.get(registry)
            found = table.get(key) if table is not None else None
            if table is not None and found is not None:
                table.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        revision = Revision(assess(data, registry, locale))
        with self._lock:
            table = self._tables.setdefault(registry, OrderedDict())
            revision = table.setdefault(key, revision)
            while len(table) > self.size:
                table.popitem(last=False)
        return revision

    def assess(self, data: Mapping[str, Any], registry: OfficeRegistry, locale: str) -> Assessment:
        """What `flow.assess` returns for these arguments, computed once per draft revision."""
        return self.revision(data, registry, locale).assessment

    def clear(self) -> None:
        """Forget every revision."""
        with self._lock:
            self._tables.clear()
