"""`finance sync`: page through an office's payouts at Stripe and keep what the webhooks may
have missed. Resumable: the cursor row remembers the last payout stored, and each page is
committed with it, so a run that breaks continues there. Idempotent: every row is kept under
its unique Stripe id, so running it again changes nothing that is already right.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from checkout.core.clock import utcnow
from checkout.finance import ingest
from checkout.finance.models import SyncCursor
from checkout.finance.reconciliation import Rules, reconcile
from checkout.payments import payouts
from checkout.payments.gateway import PaymentGateway, PayoutState

PAGE_SIZE = 100


def _cursor(session: Session, office: str, since: date | None) -> SyncCursor:
    """The office's cursor; a run for another `since` starts afresh."""
    cursor = session.get(SyncCursor, office, with_for_update=True)
    if cursor is None:
        cursor = SyncCursor(office_code=office)
        session.add(cursor)
    if cursor.since != since:
        cursor.since, cursor.starting_after = since, None
    return cursor


def sync_office(
    session: Session,
    gateway: PaymentGateway,
    office: str,
    rules: Rules,
    *,
    since: date | None = None,
    page_size: int = PAGE_SIZE,
) -> Iterator[PayoutState]:
    """Keep every payout of the office created since `since` (UTC day), with its lines once
    reconciled; yields each payout as it is stored, commits page by page, and reconciles the
    office at the end."""
    created_since = (
        int(datetime(since.year, since.month, since.day, tzinfo=UTC).timestamp())
        if since is not None
        else None
    )
    cursor = _cursor(session, office, since)
    session.commit()
    while True:
        page = gateway.payouts_page(
            office,
            created_since=created_since,
            starting_after=cursor.starting_after,
            limit=page_size,
        )
        for payout in page.payouts:
            _keep(session, gateway, office, payout)
            yield payout
        if page.payouts:
            cursor.starting_after = page.payouts[-1].id
        if not page.has_more:
            break
        session.commit()
    cursor.starting_after, cursor.completed_at = None, utcnow()
    reconcile(session, office, rules)
    session.commit()


def _keep(session: Session, gateway: PaymentGateway, office: str, payout: PayoutState) -> None:
    """Store the payout; once Stripe completed its reconciliation and we lack its lines, store
    them too and back-fill our payments' fees (payments/payouts.py)."""
    row = ingest.store_payout(session, office, payout)
    if payout.reconciliation_status != "completed" or row.lines_complete_at is not None:
        return
    lines = gateway.payout_lines(office, payout.id)
    payouts.fill_from_payout(session, office, lines)
    ingest.store_lines(session, row, lines)
