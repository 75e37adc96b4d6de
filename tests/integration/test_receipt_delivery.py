"""From a kept payment to one email with one correct PDF, over a real SMTP server on loopback."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import event, select

from checkout.db import get_database
from checkout.donations.models import Donation, Donor, Payment
from checkout.offices import load_registry
from checkout.outbox.commands import make_worker
from checkout.outbox.models import OutboxMessage
from checkout.outbox.registry import enqueue
from checkout.outbox.worker import Worker, WorkerSettings
from checkout.paths import CONFIG_DIR
from checkout.receipts import services
from checkout.receipts.models import Receipt
from tests.factories import stored_draft

OFFICES = load_registry(CONFIG_DIR / "offices.toml")
COUNTRIES = {"DE": "DE", "NL": "NL", "UK": "GB", "CA": "CA", "AU": "AU", "INT": "US"}


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def seed(session, office_code: str, n: int = 0) -> Payment:
    """A kept one-time gift to `office_code`, with its receipt queued as payments queue it."""
    office = OFFICES.get(office_code)
    currency = office.default_currency
    donor = Donor(
        office_code=office_code,
        email=f"donor-{office_code.lower()}-{n}@example.org",
        first_name="Anne",
        middle_initial="M" if office.donor.middle_initial else "",
        last_name="Shirley",
        country=COUNTRIES[office_code],
        address_line1="1 Lane",
        postcode="12345",
        city="Avonlea",
        locale="en",
    )
    donation = Donation(
        draft_id=stored_draft(session),
        donor=donor,
        office_code=office_code,
        currency=currency,
        amount_minor=5000,
        frequency="once",
        method="card",
        status="succeeded",
    )
    payment = Payment(
        donation=donation,
        status="succeeded",
        amount_minor=5000,
        currency=currency,
        paid_at=datetime.now(UTC) - timedelta(hours=1),
    )
    session.add(payment)
    session.flush()
    enqueue(
        session, "receipts.issue", f"receipt-for-payment-{payment.id}", {"payment_id": payment.id}
    )
    session.commit()
    return payment


def drain(app, clock: Clock | None = None, rounds: int = 6) -> None:
    """Run a worker (inside the app, as `flask worker` does) until nothing is left to do."""
    settings = WorkerSettings(backoff_base=timedelta(seconds=10))
    sessions = get_database(app).session_factory
    # Real time unless a test moves the clock: each step is queued after the previous ran.
    worker = Worker(sessions, settings, clock=clock) if clock else Worker(sessions, settings)
    with app.app_context():
        for _ in range(rounds):
            if worker.run_once() == 0:
                break


@pytest.mark.parametrize("office_code", list(COUNTRIES))
def test_a_kept_payment_brings_exactly_one_email_with_its_pdf(
    mailing_app, db_session, smtp_server, office_code
) -> None:
    seed(db_session, office_code)
    drain(mailing_app)
    drain(mailing_app)  # a second worker run finds nothing more to send
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    [attachment] = list(message.iter_attachments())
    pdf = attachment.get_content()
    assert pdf.startswith(b"%PDF")
    receipt = db_session.scalars(select(Receipt).order_by(Receipt.id.desc())).first()
    assert receipt is not None
    assert pdf == receipt.pdf  # the stored bytes are what was sent
    assert message["Message-ID"] == receipt.message_id
    assert message["To"] == f"donor-{office_code.lower()}-0@example.org"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert receipt.number in text
    assert OFFICES.get(office_code).legal.legal_name.split()[0] in text


def test_successive_batches_send_over_the_connection_kept_open(
    mailing_app, db_session, smtp_server
) -> None:
    """Connecting (and, to a real relay, the TLS handshake) once, not once per batch."""
    mailing_app.config["MAIL_SEND_THREADS"] = 1
    for n in range(3):
        seed(db_session, ["DE", "UK", "NL"][n], n)
    with mailing_app.app_context():
        worker = make_worker(batch_size=2)  # as `flask worker` makes it, in small batches
        while worker.run_once():
            pass
        seed(db_session, "DE", 3)
        while worker.run_once():
            pass
    assert len(smtp_server.messages) == 4
    assert len(set(smtp_server.peers)) == 1


def test_a_batch_sends_its_emails_over_several_connections_at_once(
    mailing_app, db_session, smtp_server
) -> None:
    mailing_app.config["MAIL_SEND_THREADS"] = 3
    for n in range(6):
        seed(db_session, ["DE", "UK", "NL"][n % 3], n)
    with mailing_app.app_context():
        worker = make_worker(batch_size=20)
        while worker.run_once():
            pass
    receipts = db_session.scalars(select(Receipt)).all()
    assert sorted(m["Message-ID"] for m in smtp_server.messages) == sorted(
        r.message_id for r in receipts
    )
    assert len(receipts) == 6 and all(r.emailed_at is not None for r in receipts)
    assert len(set(smtp_server.peers)) > 1  # connections of their own, one per thread


def test_a_batch_of_receipts_is_numbered_rendered_and_sent_in_few_statements(
    mailing_app, db_session, smtp_server
) -> None:
    """Numbering takes each office's counter once for the batch; rendering and sending each
    read the batch's receipts in one query, not one per receipt."""
    for n in range(6):
        seed(db_session, ["DE", "UK", "NL"][n % 3], n)
    statements: list[str] = []
    receipts_read = 0  # receipts loaded by id, over all queries that load them
    engine = db_session.get_bind()  # the test's connection, which the app's sessions use

    @event.listens_for(engine, "before_cursor_execute")
    def _note(conn, cursor, statement, parameters, context, executemany) -> None:
        nonlocal receipts_read
        statements.append(" ".join(statement.split()))
        if statements[-1].startswith("SELECT receipts.id"):
            receipts_read += len(parameters)  # the ids are its only parameters

    worker = Worker(get_database(mailing_app).session_factory, WorkerSettings())
    try:
        with mailing_app.app_context():
            while worker.run_once():
                pass
    finally:
        event.remove(engine, "before_cursor_execute", _note)
    assert len(smtp_server.messages) == 6
    counters = [s for s in statements if s.startswith("UPDATE receipt_counters")]
    receipt_reads = [s for s in statements if s.startswith("SELECT receipts.id")]
    receipt_inserts = [s for s in statements if s.startswith("INSERT INTO receipts ")]
    # Three offices: a counter each, taken twice the first time (creating it in between).
    assert len(counters) == 6
    assert receipts_read == 12 and len(receipt_reads) == 2  # rendering, then emailing
    # PostgreSQL: the six rows in one statement. SQLite cannot say which id RETURNING gave
    # which row of a many-row INSERT, so SQLAlchemy inserts one by one there (in-process,
    # no round trips).
    one_by_one = engine.dialect.name == "sqlite"
    assert len(receipt_inserts) == (6 if one_by_one else 1)


def test_smtp_down_then_back_delivers_once(mailing_app, db_session, smtp_server) -> None:
    seed(db_session, "UK")
    clock = Clock()
    clock.now += timedelta(seconds=1)  # later than the render message queued while issuing
    mailing_app.config["SMTP_PORT"] = 1  # nothing listens there
    drain(mailing_app, clock)
    failed = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.name == "receipts.email")
    ).one()
    db_session.refresh(failed)
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert smtp_server.messages == []
    receipt = db_session.scalars(select(Receipt)).one()
    db_session.refresh(receipt)
    rendered_once = receipt.pdf_sha256  # stored although the email failed; the retry sends it
    assert rendered_once is not None and receipt.emailed_at is None
    mailing_app.config["SMTP_PORT"] = smtp_server.port
    drain(mailing_app, clock)  # its retry is not due yet: still nothing
    assert smtp_server.messages == []
    clock.now += timedelta(minutes=1)
    drain(mailing_app, clock)
    drain(mailing_app, clock)
    assert len(smtp_server.messages) == 1
    db_session.refresh(failed)
    assert failed.status == "done"
    db_session.refresh(receipt)
    assert receipt.pdf_sha256 == rendered_once and receipt.emailed_at is not None
    [attachment] = list(smtp_server.messages[0].iter_attachments())
    assert attachment.get_content() == receipt.pdf


def test_a_refund_voids_the_receipt_and_tells_the_donor(
    mailing_app, db_session, smtp_server
) -> None:
    from checkout.payments import sync

    paid = seed(db_session, "DE")
    drain(mailing_app)
    assert len(smtp_server.messages) == 1
    paid.status, paid.refunded_minor = "refunded", paid.amount_minor
    sync.revise_receipt(db_session, paid)  # what a charge.refunded webhook does
    db_session.commit()
    drain(mailing_app)
    receipt = db_session.scalars(select(Receipt)).one()
    db_session.refresh(receipt)
    assert receipt.status == "void"
    notice = smtp_server.messages[-1]
    assert notice["Subject"] == f"Receipt {receipt.number} is no longer valid"
    assert not list(notice.iter_attachments())
    assert len(smtp_server.messages) == 2


def test_every_message_payments_queue_has_a_handler(app) -> None:
    from checkout.outbox.registry import registration_of
    from checkout.payments import events, sync

    for name in (sync.ISSUE_RECEIPT, sync.REVISE_RECEIPT, events.NOTIFY_RENEWAL):
        assert callable(registration_of(name).handler)


def test_the_annual_command_issues_statements_once(mailing_app, db_session) -> None:
    for n in range(3):
        payment = seed(db_session, "DE", n)  # queued individually too: run nothing of that
        payment.paid_at = datetime(2025, 2, 1 + n, tzinfo=UTC)
        db_session.execute(OutboxMessage.__table__.delete())
    db_session.commit()
    runner = mailing_app.test_cli_runner()
    result = runner.invoke(args=["receipts", "annual", "--office", "DE", "--year", "2025"])
    assert result.exit_code == 0, result.output
    assert "issued 3 statements for DE 2025-01-01 to 2025-12-31" in result.output
    again = runner.invoke(args=["receipts", "annual", "--office", "DE", "--year", "2025"])
    assert "issued 0 statements" in again.output
    statements = db_session.scalars(select(Receipt)).all()
    assert len(statements) == 3
    assert all(r.period_start is not None for r in statements)
    bad = runner.invoke(args=["receipts", "annual", "--office", "XX", "--year", "2025"])
    assert bad.exit_code != 0
    assert "no office XX" in bad.output
    this_year = datetime.now(UTC).year + 1  # a period not yet over
    early = runner.invoke(args=["receipts", "annual", "--office", "DE", "--year", str(this_year)])
    assert early.exit_code != 0 and "can be issued from" in early.output


def test_resend_sends_the_same_bytes_with_the_same_message_id(
    mailing_app, db_session, smtp_server
) -> None:
    seed(db_session, "UK")
    drain(mailing_app)
    receipt = db_session.scalars(select(Receipt)).one()
    result = mailing_app.test_cli_runner().invoke(args=["receipts", "resend", receipt.number])
    assert result.exit_code == 0, result.output
    drain(mailing_app)
    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"] == receipt.message_id
    [one], [two] = list(first.iter_attachments()), list(second.iter_attachments())
    assert one.get_content() == two.get_content() == receipt.pdf


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    reader.decrypt("")
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_a_receipt_made_outside_production_is_a_specimen(
    mailing_app, db_session, smtp_server
) -> None:
    seed(db_session, "NL")
    drain(mailing_app)
    receipt = db_session.scalars(select(Receipt)).one()
    assert receipt.pdf is not None
    assert "SPECIMEN" in _pdf_text(receipt.pdf)


def test_a_correction_tells_the_donor_and_the_void_receipt_is_shown_stamped(
    mailing_app, db_session, smtp_server, tmp_path
) -> None:
    """The old receipt keeps its stored bytes; what is downloaded later says VOID, when, and
    which receipt replaced it; the replacement's email says the old one is no longer valid."""
    seed(db_session, "UK")
    drain(mailing_app)
    old = db_session.scalars(select(Receipt)).one()
    original, original_hash = old.pdf, old.pdf_sha256
    assert original is not None
    result = mailing_app.test_cli_runner().invoke(
        args=[
            "receipts",
            "correct",
            old.number,
            "--reason",
            "name misspelt",
            "--last-name",
            "Shirly",
        ]
    )
    assert result.exit_code == 0, result.output
    drain(mailing_app)
    db_session.expire_all()
    old = db_session.get(Receipt, old.id)
    new = db_session.scalars(select(Receipt).where(Receipt.replaces_id == old.id)).one()
    assert (old.status, old.pdf, old.pdf_sha256) == ("void", original, original_hash)
    email = smtp_server.messages[-1]
    assert email["Message-ID"] == new.message_id
    body = email.get_body(preferencelist=("plain",)).get_content()
    assert f"It replaces receipt {old.number}, which is no longer valid" in " ".join(body.split())
    with mailing_app.app_context():
        offices = mailing_app.extensions["checkout.offices"]
        shown = services.pdf_to_show(db_session, old, offices)
        assert services.pdf_to_show(db_session, new, offices) == new.pdf
    text = _pdf_text(shown)
    voided_on = OFFICES.get("UK").local_date(old.voided_at.replace(tzinfo=UTC))
    assert f"VOID since {voided_on.day} {voided_on:%B %Y}" in text
    assert f"replaced by receipt no. {new.number}" in text
    assert old.number in text and "Shirley" in text  # the original underneath, unchanged
    (tmp_path / "void.pdf").write_bytes(shown)
    checked = subprocess.run(["qpdf", "--check", str(tmp_path / "void.pdf")], capture_output=True)
    assert checked.returncode == 0, checked.stdout


def test_australian_monthly_donors_get_a_summary_that_is_not_a_receipt(
    mailing_app, db_session, smtp_server
) -> None:
    from tests.integration import test_receipts_service as made

    person = made.donor(db_session, "AU", email="monthly-au@example.org")
    gifts = [
        made.payment(
            db_session, person, minor=2500, plan=True, paid=datetime(2025, m, 3, tzinfo=UTC)
        )
        for m in (8, 9, 10)
    ]
    once = made.payment(db_session, person, minor=9000, paid=datetime(2025, 11, 3, tzinfo=UTC))
    for payment in [*gifts, once]:
        payment.currency = payment.donation.currency = "AUD"
    db_session.flush()
    receipts = [made.services.issue_for_payment(db_session, p.id, made.ctx()) for p in gifts]
    made.services.issue_for_payment(db_session, once.id, made.ctx())
    db_session.execute(OutboxMessage.__table__.delete())  # their rendering is not under test
    db_session.commit()
    count = len(db_session.scalars(select(Receipt)).all())
    runner = mailing_app.test_cli_runner()
    early = runner.invoke(args=["receipts", "summaries", "--office", "AU", "--year", "2027"])
    assert early.exit_code != 0 and "can be issued from 2027-07-01" in early.output
    result = runner.invoke(args=["receipts", "summaries", "--office", "AU", "--year", "2026"])
    assert result.exit_code == 0, result.output
    assert "queued 1 summaries for AU 2025-07-01 to 2026-06-30" in result.output
    drain(mailing_app)
    [email] = smtp_server.messages
    assert "not a receipt" in email.get_body(preferencelist=("plain",)).get_content()
    [attachment] = list(email.iter_attachments())
    text = _pdf_text(attachment.get_content())
    assert "Summary of your gifts, 1 July 2025 to 30 June 2026" in text
    assert "This is a summary for your records, not a receipt." in text
    for receipt in receipts:
        assert receipt is not None and receipt.number in text
    assert "$75.00" in text and "$90.00" not in text  # the instalments only
    assert len(db_session.scalars(select(Receipt)).all()) == count  # nothing numbered
    germany = runner.invoke(args=["receipts", "summaries", "--office", "DE", "--year", "2026"])
    assert germany.exit_code != 0
