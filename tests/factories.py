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


def make_donation(session: Session, draft: CheckoutDraft | None = None, **values: Any) -> Any:
    """A Donation of €50 once by card to the DE office, added and flushed."""
    from checkout.donations.models import Donation

    values.setdefault("status", "pending")
    values.setdefault("office_code", "DE")
    values.setdefault("currency", "EUR")
    values.setdefault("amount_minor", 5000)
    values.setdefault("frequency", "once")
    values.setdefault("method", "card")
    donation = Donation(draft_id=(draft or make_draft(session)).id, **values)
    session.add(donation)
    session.flush()
    return donation


def stored_draft(session: Session, **values: Any) -> int:
    """The id of a new draft, added and flushed (a donation keeps only its draft's id)."""
    from checkout.wizard.models import CheckoutDraft

    values.setdefault("locale", "en")
    values.setdefault("data", {})
    draft = CheckoutDraft(**values)
    session.add(draft)
    session.flush()
    return int(draft.id)
