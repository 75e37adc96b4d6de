"""Build model objects for tests.

Factories flush, never commit: each test's transaction is rolled back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from checkout.wizard.models import CheckoutDraft


def make_draft(session: Session, **values: Any) -> CheckoutDraft:
    """A CheckoutDraft with sensible defaults, added and flushed."""
    values.setdefault("locale", "en")
    values.setdefault("data", {})
    draft = CheckoutDraft(**values)
    session.add(draft)
    session.flush()
    return draft
