"""Retention: what is past its time is erased, tax records within their period survive; and a
donor's subject-access export shows everything held about them."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from checkout.consent import services as consent
from checkout.consent.decisions import suppress
from checkout.consent.models import ConsentRecord, Suppression
from checkout.donations.models import Donation, Donor, Payment, RecurringPlan
from checkout.offices import load_registry
from checkout.paths import CONFIG_DIR
from checkout.receipts.models import Receipt
from checkout.transfers.models import OfficeExportBatch
from checkout.wizard.models import CheckoutDraft
from tests.factories import stored_draft

OFFICES = load_registry(CONFIG_DIR / "offices.toml")
NOW = datetime.now(UTC)
EVIDENCE = consent.Evidence("wizard.details", "ab" * 32, "Firefox")
COUNTRY = {"DE": "DE", "UK": "GB", "NL": "NL"}


def years_ago(years: int) -> datetime:
    """The middle of the year `years` before this one (clear of year boundaries)."""
    return datetime(NOW.year - years, 6, 15, tzinfo=UTC)


def donor_with_gift(session, office_code: str, paid_at: datetime, email: str, **kw) -> Donor:
    """A donor with one kept gift paid at `paid_at`, its receipt and its consent rows."""
    donor = Donor(
        office_code=office_code,
        email=email,
        first_name="Anne",
        last_name="Shirley",
        country=COUNTRY[office_code],
        address_line1="1 Lane",
        postcode="12345",
        city="Avonlea",
        phone="+4930123456",
        created_at=paid_at,
    )
    draft_id = stored_draft(
        session,
        # With an assessment remembered beside what was typed (wizard/remembered.py).
        data={"details": {"fields": {"email": email}}, "assessed": {"key": "k", "contexts": []}},
        frozen_at=paid_at,
    )
    donation = Donation(
        draft_id=draft_id,
        donor=donor,
        office_code=office_code,
        currency=OFFICES.get(office_code).default_currency,
        amount_minor=5000,
        frequency=kw.get("frequency", "once"),
        method="card",
        status=kw.get("status", "succeeded"),
        created_at=paid_at,
        stripe_client_secret="pi_secret_x",
    )
    payment = Payment(
        donation=donation,
        status=kw.get("status", "succeeded"),
        amount_minor=5000,
        currency=donation.currency,
        paid_at=paid_at,
    )
    session.add(payment)
    session.flush()
    if "plan_status" in kw:
        session.add(
            RecurringPlan(
                donation=donation,
                stripe_subscription_id=f"sub_{donor.id}",
                stripe_customer_id=f"cus_{donor.id}",
                status=kw["plan_status"],
                interval="month",
            )
        )
    pdf = b"%PDF-1.4 receipt of " + email.encode()
    session.add(
        Receipt(
            number=f"{office_code}-{paid_at.year}-{donor.id:06d}",
            office_code=office_code,
            year=paid_at.year,
            serial=donor.id,
            kind=OFFICES.get(office_code).receipt_kind,
            donor_id=donor.id,
            currency=donation.currency,
            total_minor=5000,
            language="en",
            donor_snapshot={"full_name": "Anne Shirley", "address": ["1 Lane"]},
            pdf=pdf,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            message_id=f"<receipt.{donor.id}@example.org>",
            issued_at=paid_at,
        )
    )
    consent.record_checkout(
        session,
        OFFICES.get(office_code),
        language="en",
        email=email,
        email_opt_in=True,
        gift_aid=False,
        donor_id=donor.id,
        donation_id=donation.id,
        evidence=EVIDENCE,
        hash_key="k",
    )
    session.flush()
    return donor


@pytest.fixture
def donors(db_session):
    """Donors on both sides of their office's retention period, and one still giving."""
    made = {
        "de_expired": donor_with_gift(db_session, "DE", years_ago(11), "old@example.org"),
        "de_within": donor_with_gift(db_session, "DE", years_ago(9), "recent@example.org"),
        "uk_expired": donor_with_gift(db_session, "UK", years_ago(7), "uk@example.org"),
        "de_plan": donor_with_gift(
            db_session, "DE", years_ago(12), "plan@example.org", plan_status="active"
        ),
        "nl_disputed": donor_with_gift(
            db_session, "NL", years_ago(9), "dispute@example.org", status="disputed"
        ),
    }
    suppress(db_session, "DE", "old@example.org", "hash-key", "email_link")
    db_session.commit()
    return made


def test_a_dry_run_counts_and_changes_nothing(runner, db_session, donors) -> None:
    result = runner.invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would erase: " in result.output
    assert "0 office batches' files" in result.output
    assert "2 donors, 2 receipts, 4 consent rows" in result.output
    assert "kept: 1 donors within their retention period, 2 with something still due" in (
        result.output
    )
    db_session.expire_all()
    assert db_session.get(Donor, donors["de_expired"].id).email == "old@example.org"
    assert db_session.scalars(select(Receipt.pdf)).all().count(None) == 0


def test_a_run_erases_what_is_past_its_period_and_keeps_tax_records_within_it(
    runner, db_session, donors
) -> None:
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("erased: ")
    db_session.expire_all()

    gone = db_session.get(Donor, donors["de_expired"].id)
    assert gone.erased_at is not None
    assert (gone.first_name, gone.last_name, gone.address_line1, gone.phone) == ("", "", "", "")
    assert "old@" not in gone.email
    [receipt] = db_session.scalars(select(Receipt).where(Receipt.donor_id == gone.id))
    assert (receipt.pdf, receipt.donor_snapshot) == (None, {})
    assert receipt.pdf_sha256 and receipt.total_minor == 5000  # the accounts keep the number
    rows = db_session.scalars(select(ConsentRecord).where(ConsentRecord.donor_id == gone.id))
    for row in rows:
        assert (row.email, row.ip_hash, row.user_agent) == ("", None, None)
        assert row.notice.text  # what was shown still resolves
    draft_id = (
        db_session.scalars(select(Donation).where(Donation.donor_id == gone.id)).one().draft_id
    )
    draft = db_session.get(CheckoutDraft, draft_id)
    assert draft.data == {} and draft.purged_at is not None
    assert db_session.scalars(select(Suppression.office_code)).all() == ["DE"]  # outlives it

    assert db_session.get(Donor, donors["uk_expired"].id).erased_at is not None  # UK: 6 years
    for kept in ("de_within", "de_plan", "nl_disputed"):
        donor = db_session.get(Donor, donors[kept].id)
        assert donor.erased_at is None and donor.first_name == "Anne", kept
        [receipt] = db_session.scalars(select(Receipt).where(Receipt.donor_id == donor.id))
        assert receipt.pdf is not None, kept

    again = runner.invoke(args=["retention", "run"])
    assert "0 donors, 0 receipts, 0 consent rows" in again.output


def test_abandoned_drafts_lose_what_was_typed_after_the_draft_period(
    runner, app, db_session
) -> None:
    old = CheckoutDraft(locale="en", data={"details": {"fields": {"email": "a@example.org"}}})
    new = CheckoutDraft(locale="en", data={"details": {"fields": {"email": "b@example.org"}}})
    db_session.add_all([old, new])
    db_session.flush()
    old.updated_at = NOW - timedelta(days=app.config["RETENTION_DRAFT_DAYS"] + 1)
    db_session.commit()
    assert "1 drafts" in runner.invoke(args=["retention", "run"]).output
    db_session.expire_all()
    assert db_session.get(CheckoutDraft, old.id).data == {}
    assert db_session.get(CheckoutDraft, new.id).data != {}


ERASE = "UPDATE consent_records SET email = '', ip_hash = NULL, user_agent = NULL WHERE id = :i"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE consent_records SET email = '', ip_hash = NULL, user_agent = NULL, "
        "decision = 'withdrawn' WHERE id = :i",
        "UPDATE consent_records SET email = '', ip_hash = NULL, user_agent = NULL, "
        "recorded_at = '2001-01-01 00:00:00' WHERE id = :i",
        "UPDATE consent_records SET email = 'someone@else.org' WHERE id = :i",
        "UPDATE consent_records SET email = '' WHERE id = :i",  # the IP hash would stay
        "UPDATE consent_records SET email = '', ip_hash = NULL, user_agent = NULL, "
        "url = '/elsewhere' WHERE id = :i",
        "UPDATE consent_records SET email = '', ip_hash = NULL, user_agent = NULL, "
        "office_legal_name = 'Another e.V.' WHERE id = :i",
        "DELETE FROM consent_records WHERE id = :i",
    ],
)
def test_the_ledger_accepts_erasure_and_nothing_else(db_session, donors, statement) -> None:
    first, second = db_session.scalars(select(ConsentRecord.id).order_by(ConsentRecord.id)).all()[
        :2
    ]
    db_session.execute(text(ERASE), {"i": first})  # erasure alone: accepted
    assert db_session.scalar(select(ConsentRecord.email).where(ConsentRecord.id == first)) == ""
    with pytest.raises(DBAPIError, match="append-only"):
        db_session.execute(text(statement), {"i": second})


def test_a_subject_access_export_shows_everything_held(runner, app, db_session, donors) -> None:
    suppress(db_session, "UK", "uk@example.org", app.config["EVIDENCE_HASH_KEY"], "one_click")
    db_session.commit()
    result = runner.invoke(args=["donors", "export", "UK@Example.org"])
    assert result.exit_code == 0, result.output
    held = json.loads(result.output)
    [donor] = held["donors"]
    assert (donor["email"], donor["office_code"], donor["last_name"]) == (
        "uk@example.org",
        "UK",
        "Shirley",
    )
    [donation] = donor["donations"]
    assert donation["amount_minor"] == 5000 and donation["currency"] == "GBP"
    assert donation["payments"][0]["status"] == "succeeded"
    assert donor["receipts"][0]["pdf_sha256"]
    decisions = [(c["purpose"], c["decision"]) for c in donor["consent"]]
    assert decisions == [("data_transfer", "acknowledged"), ("email_fundraising", "granted")]
    uk = OFFICES.get("UK")
    assert donor["consent"][0]["notice"]["text"] == uk.notices["data_transfer"].text("en")
    assert held["suppressed_by_offices"] == ["UK"]
    [draft] = held["drafts"]  # what was typed into the wizard is held too
    assert draft["typed"]["details"]["fields"]["email"] == "uk@example.org"
    assert "assessed" not in draft["typed"]  # derived from what was typed, not typed


def test_an_unknown_address_exports_nothing_held(runner, donors) -> None:
    held = json.loads(runner.invoke(args=["donors", "export", "nobody@example.org"]).output)
    assert held["donors"] == [] and held["suppressed_by_offices"] == []


def _batch(session, number: int, made: datetime) -> OfficeExportBatch:
    files = {name: f"{name} of batch {number}: Anne Shirley".encode() for name in ("g", "c", "j")}
    batch = OfficeExportBatch(
        office_code="DE",
        number=number,
        created_at=made,
        paid_before=made,
        gift_count=1,
        donor_count=1,
        consent_count=1,
        gifts_csv=files["g"],
        gifts_csv_sha256=hashlib.sha256(files["g"]).hexdigest(),
        consents_csv=files["c"],
        consents_csv_sha256=hashlib.sha256(files["c"]).hexdigest(),
        batch_json=files["j"],
        batch_json_sha256=hashlib.sha256(files["j"]).hexdigest(),
    )
    session.add(batch)
    session.flush()
    return batch


def test_office_batches_lose_their_files_after_the_keeping_period(
    app, runner, db_session, tmp_path
) -> None:
    keep = app.config["OFFICE_EXPORT_KEEP_DAYS"]
    old = _batch(db_session, 1, NOW - timedelta(days=keep + 1))
    recent = _batch(db_session, 2, NOW - timedelta(days=keep - 1))
    sent_hash = old.gifts_csv_sha256
    db_session.commit()
    assert "1 office batches' files" in runner.invoke(args=["retention", "run"]).output
    db_session.expire_all()
    old, recent = (
        db_session.get(OfficeExportBatch, old.id),
        db_session.get(OfficeExportBatch, recent.id),
    )
    assert (old.gifts_csv, old.consents_csv, old.batch_json) == (None, None, None)
    assert old.gifts_csv_sha256 == sent_hash and old.gift_count == 1  # proof of what was sent
    assert recent.gifts_csv is not None and recent.erased_at is None
    again = runner.invoke(args=["offices", "export", "--office", "DE", "--batch", "1"])
    assert again.exit_code != 0
    assert "erased" in again.output and sent_hash in again.output
    kept = runner.invoke(
        args=["offices", "export", "--office", "DE", "--batch", "2", "--out", str(tmp_path)]
    )
    assert kept.exit_code == 0, kept.output
