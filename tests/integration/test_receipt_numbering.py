"""Receipt numbers: one gapless sequence per office and year, whatever the concurrency."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from checkout.db import get_database
from checkout.donations.models import Donation, Donor, Payment
from checkout.donations.states import Status
from checkout.offices import load_registry
from checkout.outbox.models import OutboxMessage
from checkout.outbox.registry import enqueue, register_batch, registration_of
from checkout.outbox.worker import Worker, WorkerSettings
from checkout.paths import CONFIG_DIR
from checkout.payments import sync
from checkout.receipts import annual, handlers, services
from checkout.receipts.models import Receipt, ReceiptCounter, ReceiptItem
from checkout.receipts.numbering import format_number, next_serial, take_serials
from checkout.wizard.models import CheckoutDraft
from tests.factories import stored_draft
from tests.integration import test_receipts_service

OFFICES = load_registry(CONFIG_DIR / "offices.toml")
TODAY = date(2026, 11, 29)
FAST = services.ReceiptContext(OFFICES, lambda document: b"%PDF-1.4 test", TODAY, "test.invalid")


# As the real one is registered.
@register_batch("test.issue_receipt_fast", 20)
def _issue_fast(session: Session, payloads: list[dict]) -> list[Exception | None]:
    """The real issue path, with a trivial renderer: what is under test is the numbering."""
    ids = [int(p["payment_id"]) for p in payloads]
    issued = services.issue_for_payments(session, ids, FAST)
    return [issued.refused.get(payment_id) for payment_id in ids]


def test_the_handlers_that_number_receipts_take_their_locks_in_a_fixed_order() -> None:
    """Numbering runs in batches that take the offices' counters in code order; revising
    one payment at a time (it locks the payment, then at most one counter)."""
    assert registration_of(handlers.ISSUE_RECEIPT).batch > 1
    assert registration_of(handlers.ISSUE_RECEIPT).handler is handlers.issue_receipts
    assert registration_of(handlers.REVISE_RECEIPT).batch == 1


STALE = dataclasses.replace(FAST, offices=test_receipts_service.with_exemption(date(2021, 11, 1)))


@register_batch("test.issue_receipt_stale", 20)
def _issue_stale(session: Session, payloads: list[dict]) -> list[Exception | None]:
    """Issuing while the German exemption notice is too old: German receipts are refused."""
    ids = [int(p["payment_id"]) for p in payloads]
    issued = services.issue_for_payments(session, ids, STALE)
    return [issued.refused.get(payment_id) for payment_id in ids]


def test_a_refusal_in_a_batch_parks_only_its_own_message(app, db_session) -> None:
    """The others are numbered and the German one is dead with its reason, its number not
    taken."""
    payments = seed_payments(db_session, "DE", 1) + seed_payments(db_session, "NL", 2)
    for payment_id in payments:
        enqueue(
            db_session,
            "test.issue_receipt_stale",
            f"stale-{payment_id}",
            {"payment_id": payment_id},
        )
    db_session.commit()
    worker = Worker(get_database(app).session_factory, WorkerSettings(), name="w1")
    assert worker.run_once() == 2
    numbers = sorted(db_session.scalars(select(Receipt.number)))
    assert numbers == ["NL-2026-000001", "NL-2026-000002"]
    german = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.key == f"stale-{payments[0]}")
    ).one()
    assert german.status == "dead"
    assert "more than 5 years old" in (german.last_error or "")


def test_several_serials_are_taken_in_one_step(db_session) -> None:
    assert take_serials(db_session, "UK", 2026, 3) == range(1, 4)
    assert take_serials(db_session, "UK", 2026, 2) == range(4, 6)
    assert next_serial(db_session, "UK", 2026) == 6
    with pytest.raises(ValueError, match="at least one"):
        take_serials(db_session, "UK", 2026, 0)


def test_numbers_are_formatted_per_office_and_year() -> None:
    assert format_number("DE", 2026, 123) == "DE-2026-000123"


def test_serials_count_up_per_office_and_year(db_session) -> None:
    taken = [next_serial(db_session, "DE", 2026) for _ in range(3)]
    taken += [next_serial(db_session, "UK", 2026), next_serial(db_session, "DE", 2027)]
    assert taken == [1, 2, 3, 1, 1]


def test_a_rolled_back_number_is_taken_again(db_session) -> None:
    with db_session.begin_nested() as savepoint:
        assert next_serial(db_session, "NL", 2026) == 1
        savepoint.rollback()
    assert next_serial(db_session, "NL", 2026) == 1


def seed_payments(session: Session, office: str, count: int) -> list[int]:
    """`count` succeeded €10 card payments of one donor to `office`."""
    donor = Donor(
        office_code=office,
        email=f"many-{office}@example.org",
        first_name="Many",
        last_name="Gifts",
        country="DE",
        address_line1="Ring 1",
        postcode="10115",
        city="Berlin",
    )
    session.add(donor)
    ids = []
    for n in range(count):
        donation = Donation(
            draft_id=stored_draft(session),
            donor=donor,
            office_code=office,
            currency="EUR",
            amount_minor=1000,
            frequency="once",
            method="card",
            status="succeeded",
        )
        payment = Payment(
            donation=donation,
            status="succeeded",
            amount_minor=1000,
            currency="EUR",
            paid_at=datetime(2026, 11, 1, tzinfo=UTC),
            stripe_payment_intent_id=f"pi_numbering_{office}_{n}",
        )
        session.add_all([donation, payment])
    session.flush()
    ids = [
        p.id
        for p in session.scalars(
            select(Payment).where(Payment.stripe_payment_intent_id.like(f"pi_numbering_{office}_%"))
        )
    ]
    return ids


def queue_receipts(session: Session, payment_ids: list[int]) -> None:
    for payment_id in payment_ids:
        enqueue(
            session,
            "test.issue_receipt_fast",
            f"numbering-{payment_id}",
            {"payment_id": payment_id},
        )


@pytest.fixture
def committed(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions that commit for real (workers on threads), with everything removed after."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    yield factory
    with factory() as session, session.begin():
        payment_ids = select(Payment.id).where(
            Payment.stripe_payment_intent_id.like("pi_numbering_%")
        )
        receipt_ids = select(ReceiptItem.receipt_id).where(ReceiptItem.payment_id.in_(payment_ids))
        session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.name.in_(["receipts.email", "receipts.render"])
            )
        )
        session.execute(delete(OutboxMessage).where(OutboxMessage.key.like("numbering-%")))
        session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.key.like("revise-receipt-%") | OutboxMessage.key.like("void-notice-%")
            )
        )
        doomed = list(session.scalars(receipt_ids))
        session.execute(delete(ReceiptItem).where(ReceiptItem.receipt_id.in_(doomed)))
        session.execute(delete(Receipt).where(Receipt.id.in_(doomed)))
        session.execute(delete(ReceiptCounter).where(ReceiptCounter.year == TODAY.year))
        donation_ids = list(
            session.scalars(select(Payment.donation_id).where(Payment.id.in_(payment_ids)))
        )
        draft_ids = list(
            session.scalars(select(Donation.draft_id).where(Donation.id.in_(donation_ids)))
        )
        session.execute(delete(Payment).where(Payment.donation_id.in_(donation_ids)))
        session.execute(delete(Donation).where(Donation.id.in_(donation_ids)))
        session.execute(delete(CheckoutDraft).where(CheckoutDraft.id.in_(draft_ids)))
        session.execute(delete(Donor).where(Donor.email.like("many-%@example.org")))


@pytest.mark.postgres
def test_four_workers_issue_2000_receipts_without_gaps_or_repeats(committed) -> None:
    with committed() as session, session.begin():
        german, dutch = seed_payments(session, "DE", 1000), seed_payments(session, "NL", 1000)
        # The two offices' gifts interleaved, as they arrive: each batch numbers for both.
        queue_receipts(session, [p for pair in zip(german, dutch, strict=True) for p in pair])
    workers = [Worker(committed, WorkerSettings(batch_size=25), name=f"w{n}") for n in range(4)]

    def drain(worker: Worker) -> None:
        while worker.run_once():
            pass

    threads = [threading.Thread(target=drain, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    with committed() as session:
        for office in ("DE", "NL"):
            serials = sorted(
                session.scalars(
                    select(Receipt.serial).where(
                        Receipt.office_code == office, Receipt.year == TODAY.year
                    )
                )
            )
            assert serials == list(range(1, 1001)), f"{office}: gaps or repeats"
        left = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.key.like("numbering-%"), OutboxMessage.status != "done"
            )
        ).all()
        assert left == []
        retried = session.scalars(
            select(OutboxMessage.key).where(
                OutboxMessage.key.like("numbering-%"), OutboxMessage.attempts > 0
            )
        ).all()
    # Batches took both offices' counters in the same order: none deadlocked, no message
    # failed. (The rendering messages the receipts queued fail here, without an app; they
    # are not under test.)
    assert retried == []


def _waiting_for_locks(factory: sessionmaker[Session]) -> int:
    """How many other connections wait for a lock right now."""
    with factory() as session:
        found = session.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        ).scalar()
        return int(found or 0)


def _until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def _revise_queued(factory: sessionmaker[Session]) -> None:
    """Run the revisions queued so far, as a worker would (one transaction each)."""
    with factory() as session, session.begin():
        queued = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.name == handlers.REVISE_RECEIPT, OutboxMessage.status == "pending"
            )
        ).all()
        for message in queued:
            services.revise_for_payment(session, int(message.payload["payment_id"]), FAST)
            message.status = "done"


@pytest.mark.postgres
def test_a_refund_while_its_receipt_waits_for_a_number_leaves_no_valid_receipt(
    committed,
) -> None:
    """The race of issue 16: another batch holds the office's counter, a worker numbering
    this gift waits for it, and meanwhile the gift is refunded and the revision runs. The
    refund must wait for the numbering (it locks the payment), so the revision finds the
    receipt and voids it; without that lock the revision found nothing and the receipt
    stood, emailed, for a refunded gift."""
    with committed() as session, session.begin():
        [gift] = seed_payments(session, "NL", 1)
        take_serials(session, "NL", TODAY.year, 1)  # the counter exists: the next take waits
    counter_holder = committed()
    counter_holder.begin()
    take_serials(counter_holder, "NL", TODAY.year, 1)  # another batch, holding the counter
    errors: list[BaseException] = []

    def number() -> None:
        try:
            with committed() as session, session.begin():
                services.issue_for_payments(session, [gift], FAST)
        except BaseException as error:
            errors.append(error)

    def refund() -> None:  # what the charge.refunded webhook writes (payments/sync.py)
        try:
            with committed() as session, session.begin():
                payment = session.get_one(Payment, gift)
                sync.move(payment, Status.REFUNDED)
                payment.refunded_minor = payment.amount_minor
                sync.revise_receipt(session, payment)
        except BaseException as error:
            errors.append(error)

    numbering = threading.Thread(target=number)
    numbering.start()
    assert _until(lambda: _waiting_for_locks(committed) >= 1), "numbering never waited"
    refunding = threading.Thread(target=refund)
    refunding.start()
    refunding.join(timeout=1.0)  # done at once without the payment's lock; waits with it
    _revise_queued(committed)  # a worker takes whatever revision is queued by now
    counter_holder.rollback()  # the other batch ends; numbering goes on
    counter_holder.close()
    numbering.join(timeout=30)
    refunding.join(timeout=30)
    assert not errors, errors
    _revise_queued(committed)
    with committed() as session:
        assert services.active_receipt_for(session, gift) is None
        [receipt] = session.scalars(
            select(Receipt).join(ReceiptItem).where(ReceiptItem.payment_id == gift)
        ).all()
        assert receipt.status == "void"
        assert receipt.void_reason == f"payment {gift} is refunded"


@pytest.mark.postgres
def test_a_numbering_that_starts_after_the_refund_issues_nothing(committed) -> None:
    """The other order: the refund commits first; numbering reads the payment under its lock
    and finds no money kept."""
    with committed() as session, session.begin():
        [gift] = seed_payments(session, "NL", 1)
    with committed() as session, session.begin():
        payment = session.get_one(Payment, gift)
        sync.move(payment, Status.REFUNDED)
        sync.revise_receipt(session, payment)
    _revise_queued(committed)  # finds no receipt: nothing to do
    with committed() as session, session.begin():
        assert services.issue_for_payments(session, [gift], FAST).new == []


@pytest.mark.postgres
def test_a_years_statements_leave_fresh_statistics_behind(committed) -> None:
    """PostgreSQL plans for the tables a year's run fills are made on their statistics:
    the run ANALYZEs them, so a plan made while they were empty does not stay."""
    germany = OFFICES.get("DE")
    period = annual.tax_year(germany, TODAY.year)
    with committed() as session, session.begin():
        seed_payments(session, "DE", 3)
        started = session.scalar(text("SELECT now()"))
    with committed() as session:
        assert annual.issue_statements(session, germany, period, FAST) == 1
        analysed = session.execute(
            text(
                "SELECT relname, last_analyze FROM pg_stat_user_tables"
                " WHERE relname IN ('receipts', 'receipt_items', 'outbox')"
            )
        ).all()
    assert sorted(name for name, _when in analysed) == ["outbox", "receipt_items", "receipts"]
    assert all(when is not None and when >= started for _name, when in analysed)
