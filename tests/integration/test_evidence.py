"""Evidence that cannot be rewritten: notices append-only, each ledger row pinned to its
notice's hash, TRUNCATE refused on PostgreSQL, and Canada's implied consent dated by gifts."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from checkout import migrate
from checkout.consent import implied
from checkout.consent.handlers import record_implied_consent
from checkout.consent.models import ConsentRecord
from checkout.donations.models import Payment
from checkout.outbox.models import OutboxMessage
from checkout.payments.sync import mark_receipt_due
from tests.transfers_support import OFFICES, give, make_donor, pay, record_checkout

SOME_NOTICE_EDITS = [
    "UPDATE consent_notices SET text = 'Something else entirely.' WHERE id = :i",
    "UPDATE consent_notices SET sha256 = :h WHERE id = :i",
    "UPDATE consent_notices SET version = '2099-01-01' WHERE id = :i",
    "DELETE FROM consent_notices WHERE id = :i",
]


def a_ledger_row(session) -> ConsentRecord:
    donor = make_donor(session)
    record_checkout(session, give(session, donor).donation)
    return session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).first()


@pytest.mark.parametrize("statement", SOME_NOTICE_EDITS)
def test_the_database_refuses_to_change_or_delete_a_notice_text(db_session, statement) -> None:
    row = a_ledger_row(db_session)
    refused = pytest.raises(DBAPIError, match="consent_notices is append-only")
    with refused, db_session.begin_nested():
        db_session.execute(text(statement), {"i": row.notice_id, "h": "0" * 64})


def test_each_ledger_row_keeps_the_hash_of_the_text_it_cites(db_session) -> None:
    row = a_ledger_row(db_session)
    assert row.notice_sha256 == row.notice.sha256
    assert row.notice_sha256 == hashlib.sha256(row.notice.text.encode()).hexdigest()


@pytest.mark.parametrize("cited", ["0" * 64, None])
def test_a_ledger_row_citing_another_hash_than_its_notices_is_refused(db_session, cited) -> None:
    row = a_ledger_row(db_session)
    refused = pytest.raises(DBAPIError, match="notice_sha256 differs from the notice")
    with refused, db_session.begin_nested():
        db_session.execute(
            text(
                "INSERT INTO consent_records (notice_id, notice_sha256, office_code, purpose,"
                " legal_basis, decision, email, form, recorded_at) VALUES (:n, :h, 'DE',"
                " 'data_transfer', 'notice', 'acknowledged', 'x@example.org', 'test',"
                " CURRENT_TIMESTAMP)"
            ),
            {"n": row.notice_id, "h": cited},
        )


def test_the_ledger_still_refuses_to_change_the_hash_a_row_cites(db_session) -> None:
    row = a_ledger_row(db_session)
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(
            text("UPDATE consent_records SET notice_sha256 = :h WHERE id = :i"),
            {"h": "0" * 64, "i": row.id},
        )


@pytest.mark.postgres
@pytest.mark.parametrize(
    "table", ["consent_records", "consent_notices", "receipts", "receipt_counters"]
)
def test_postgresql_refuses_to_truncate_evidence_and_tax_records(connection, table) -> None:
    with pytest.raises(DBAPIError, match="TRUNCATE refused"), connection.begin_nested():
        connection.execute(text(f"TRUNCATE {table} CASCADE"))


def test_migrating_fills_the_cited_hash_of_rows_recorded_before(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate.upgrade(url, revision="0014")
    engine = create_engine(url)
    with engine.begin() as old:
        old.execute(
            text(
                "INSERT INTO consent_notices (id, office_code, purpose, language, version,"
                " sha256, text, first_shown_at) VALUES (1, 'DE', 'data_transfer', 'de', 'v1',"
                " :h, 'Text', CURRENT_TIMESTAMP)"
            ),
            {"h": hashlib.sha256(b"Text").hexdigest()},
        )
        old.execute(
            text(
                "INSERT INTO consent_records (notice_id, office_code, purpose, legal_basis,"
                " decision, email, form, recorded_at) VALUES (1, 'DE', 'data_transfer',"
                " 'notice', 'acknowledged', 'x@example.org', 'test', CURRENT_TIMESTAMP)"
            )
        )
    migrate.upgrade(url)
    with engine.connect() as new:
        cited = new.execute(text("SELECT notice_sha256 FROM consent_records")).scalar_one()
    engine.dispose()
    assert cited == hashlib.sha256(b"Text").hexdigest()


# --- Canada: implied consent lapses two years after the last gift -----------------------------

PAID = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def canadian_gift(session):
    donor = make_donor(session, "CA", email="casl@example.org")
    payment = give(session, donor, kept_at=PAID)
    record_checkout(session, payment.donation, email_opt_in=False)
    return donor, payment


def implied_rows(session) -> list[ConsentRecord]:
    return list(
        session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.decision == "implied")
            .order_by(ConsentRecord.id)
        )
    )


def test_a_kept_canadian_gift_dates_the_consent_it_implies_from_the_gift(db_session) -> None:
    _donor, payment = canadian_gift(db_session)
    checkout_rows = db_session.scalars(select(ConsentRecord)).all()
    assert [row.implied_consent_lapses_at for row in checkout_rows] == [None]

    row = implied.record_gift(db_session, OFFICES.get("CA"), payment)

    assert row is not None and implied_rows(db_session) == [row]
    assert row.implied_consent_lapses_at == PAID.replace(year=2028)
    assert (row.purpose, row.channel, row.legal_basis) == ("data_transfer", "email", "gift")
    assert row.notice_sha256 == checkout_rows[0].notice.sha256  # the notice the donor saw
    assert implied.record_gift(db_session, OFFICES.get("CA"), payment) is None  # once


def test_a_later_gift_extends_the_implied_consent(db_session) -> None:
    donor, first = canadian_gift(db_session)
    canada = OFFICES.get("CA")
    implied.record_gift(db_session, canada, first)
    later_paid = PAID + timedelta(days=300)  # 4 January 2027
    later = pay(db_session, first.donation, kept_at=later_paid)
    implied.record_gift(db_session, canada, later)

    lapses = [row.implied_consent_lapses_at for row in implied_rows(db_session)]
    assert lapses == [PAID.replace(year=2028), later_paid.replace(year=2029)]
    assert implied.lapses_at(db_session, donor.id, "CA") == lapses[-1]


def test_offices_without_implied_consent_record_no_lapse(db_session) -> None:
    donor = make_donor(db_session, "DE")
    payment = give(db_session, donor, kept_at=PAID)
    record_checkout(db_session, payment.donation)
    assert implied.record_gift(db_session, OFFICES.get("DE"), payment) is None
    rows = db_session.scalars(select(ConsentRecord)).all()
    assert rows and all(row.implied_consent_lapses_at is None for row in rows)


def test_keeping_a_gift_queues_the_consent_handler_which_records_it(app, db_session) -> None:
    _donor, payment = canadian_gift(db_session)
    payment.receipt_due_at = None
    mark_receipt_due(db_session, payment)
    [queued] = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.name == implied.GIFT_KEPT)
    ).all()
    assert queued.payload == {"payment_id": payment.id}
    with app.app_context():
        record_implied_consent(db_session, queued.payload)
    [row] = implied_rows(db_session)
    assert row.implied_consent_lapses_at == PAID.replace(year=2028)
    assert db_session.get(Payment, payment.id) is payment
