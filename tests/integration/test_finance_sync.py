"""`flask --app wsgi finance sync`: payouts whose webhooks never reached us are kept from
Stripe's lists (the stand-in over HTTP), page by page with a cursor; a run that broke off
continues where it stopped, and running it again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from checkout.finance.handlers import rules_for
from checkout.finance.models import BalanceTransaction, Payout, SyncCursor
from checkout.finance.sync import sync_office
from checkout.payments.wiring import gateway
from tests.finance_support import DAY, another_card_gift, open_kinds

SYNC_PAGE = 1


def _payout_without_webhooks(gift) -> str:
    """A gift (its events delivered) paid out, arrived and reconciled at Stripe; the
    payout's events lost on their way to us."""
    another_card_gift(gift, amount="other", other_amount="30")
    gift.deliver_new()
    gift.control.advance_clock(gift.key, 3 * DAY)
    payout_id = gift.control.payout(gift.key)
    payout = gift.office.client.v1.payouts.retrieve(payout_id)
    gift.control.advance_clock(gift.key, payout.arrival_date - gift.control.now(gift.key) + 3_600)
    gift.delivered |= {event["id"] for event in gift.office.all_events()}
    return str(payout_id)


def _count(session, model) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_sync_keeps_payouts_and_lines_the_webhooks_missed_and_is_idempotent(
    gift_in, db_session
) -> None:
    gift = gift_in("DE")
    first = _payout_without_webhooks(gift)
    second = _payout_without_webhooks(gift)
    runner = gift.app.test_cli_runner()
    result = runner.invoke(args=["finance", "sync", "--office", "de"])
    assert result.exit_code == 0, result.output
    assert "DE: 2 payouts kept" in result.output
    db_session.expire_all()
    kept = db_session.scalars(select(Payout).order_by(Payout.stripe_created)).all()
    assert [p.stripe_payout_id for p in kept] == [first, second]
    assert all(p.status == "paid" and p.lines_complete_at is not None for p in kept)
    lines = _count(db_session, BalanceTransaction)
    assert lines == 4  # each payout: its gift and its own transaction
    assert open_kinds(db_session, "DE") == []

    again = runner.invoke(args=["finance", "sync", "--office", "DE"])
    assert again.exit_code == 0, again.output
    assert (_count(db_session, Payout), _count(db_session, BalanceTransaction)) == (2, lines)

    future = datetime.fromtimestamp(gift.control.now(gift.key) + 2 * DAY, UTC).date()
    later = runner.invoke(args=["finance", "sync", "--office", "DE", "--since", str(future)])
    assert "DE: 0 payouts kept" in later.output
    assert runner.invoke(args=["finance", "sync", "--office", "XX"]).exit_code != 0


def test_a_sync_that_broke_off_continues_after_the_last_page_it_stored(gift_in, db_session) -> None:
    gift = gift_in("DE")
    older = _payout_without_webhooks(gift)
    newer = _payout_without_webhooks(gift)
    with gift.app.app_context():
        run = sync_office(db_session, gateway(), "DE", rules_for("DE"), page_size=SYNC_PAGE)
        assert next(run).id == newer  # Stripe lists newest first
        assert next(run).id == older  # the first page was committed before the second
        run.close()  # the run breaks off
        cursor = db_session.get(SyncCursor, "DE")
        assert cursor is not None and cursor.starting_after == newer
        assert cursor.completed_at is None
        resumed = [p.id for p in sync_office(db_session, gateway(), "DE", rules_for("DE"))]
    assert resumed == [older]
    db_session.expire_all()
    cursor = db_session.get(SyncCursor, "DE")
    assert cursor is not None and cursor.starting_after is None and cursor.completed_at
    assert _count(db_session, Payout) == 2
