"""Erasure piece by piece: bounded batches that commit, the period counted from the last tax
document, Stripe Customers deleted through the gateway, stored events minimised and erased,
an erasure on request that restricts what tax law keeps, and the subject-access export."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from checkout.consent.models import Suppression
from checkout.core.files import FileChanges
from checkout.donations.models import Donation, Donor, Payment
from checkout.payments.credentials import OfficeKeys, standin_keys
from checkout.payments.event_payloads import minimal
from checkout.payments.models import StripeEvent
from checkout.payments.stripe_gateway import StripeGateway
from checkout.receipts.models import Receipt
from checkout.retention import requests, services
from checkout.retention.erasure import ErasureSettings
from checkout.wizard.models import CheckoutDraft
from tests.integration.test_retention import NOW, OFFICES, donor_with_gift, years_ago

KEEP = services.RetentionPeriods(draft_days=30, batch_days=90, event_days=90)


def settings(gateway=None, **changes) -> ErasureSettings:
    values = {"offices": OFFICES, "gateway": gateway, "mail_folder": None, "export_root": None}
    return ErasureSettings(**{**values, "hash_key": "hash-key", **changes})


def run(session, erasure: ErasureSettings, batch_size: int = 200, commit=None, now=NOW):
    return services.run(
        session,
        erasure,
        now,
        KEEP,
        batch_size=batch_size,
        commit=commit or (lambda changes: session.commit()),
    )


def test_the_nightly_run_commits_in_bounded_batches_and_a_killed_run_is_completed(
    db_session,
) -> None:
    donors = [
        donor_with_gift(db_session, "DE", years_ago(11), f"old{n}@example.org") for n in range(5)
    ]
    db_session.commit()
    erased_at_each_commit: list[int] = []

    def commit_then_die(changes: FileChanges) -> None:
        db_session.commit()
        erased = db_session.scalars(select(Donor).where(Donor.erased_at.is_not(None))).all()
        erased_at_each_commit.append(len(erased))
        if len(erased) >= 2:
            raise KeyboardInterrupt  # killed after the first batch of donors was committed

    with pytest.raises(KeyboardInterrupt):
        run(db_session, settings(), batch_size=2, commit=commit_then_die)
    db_session.rollback()
    assert erased_at_each_commit == [0, 0, 2]  # drafts, batches, then donors two at a time
    report = run(db_session, settings(), batch_size=2)
    assert report.erased is not None and report.erased.donors == 3
    db_session.expire_all()
    assert all(db_session.get(Donor, d.id).erased_at is not None for d in donors)


def test_the_period_counts_from_the_last_tax_document_covering_a_gift(db_session) -> None:
    """A gift 11 years ago whose replacement receipt was issued 9 years ago is kept (DE: 10)."""
    late = donor_with_gift(db_session, "DE", years_ago(11), "late@example.org")
    early = donor_with_gift(db_session, "DE", years_ago(11), "early@example.org")
    pdf = b"%PDF replacement"
    db_session.add(
        Receipt(
            number="DE-REPLACEMENT-1",
            office_code="DE",
            year=years_ago(9).year,
            serial=999,
            kind="de_zuwendungsbestaetigung",
            donor_id=late.id,
            currency="EUR",
            total_minor=5000,
            language="en",
            donor_snapshot={"full_name": "Anne Shirley"},
            pdf=pdf,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            message_id="<replacement@example.org>",
            issued_at=years_ago(9),
        )
    )
    db_session.commit()
    report = run(db_session, settings())
    assert report.kept_within_period == 1
    db_session.expire_all()
    assert db_session.get(Donor, late.id).erased_at is None
    assert db_session.get(Donor, early.id).erased_at is not None


def test_stored_events_keep_only_what_processing_needs() -> None:
    event = {
        "id": "evt_1",
        "type": "payment_intent.succeeded",
        "created": 1,
        "data": {
            "object": {
                "id": "pi_1",
                "object": "payment_intent",
                "amount": 5000,
                "currency": "eur",
                "status": "succeeded",
                "latest_charge": "ch_1",
                "receipt_email": "anne@example.org",
                "shipping": {"name": "Anne Shirley", "address": {"postal_code": "12345"}},
                "last_payment_error": {
                    "code": "card_declined",
                    "payment_method": {
                        "id": "pm_1",
                        "billing_details": {"name": "Anne Shirley", "email": "anne@example.org"},
                    },
                },
                "metadata": {"donation_id": "7", "note": "Anne Shirley"},
            },
            "previous_attributes": {"status": "processing", "receipt_email": "a@example.org"},
        },
    }
    kept = minimal(event)
    assert "Anne" not in json.dumps(kept) and "@" not in json.dumps(kept)
    obj = kept["data"]["object"]
    assert (obj["id"], obj["status"], obj["amount"], obj["latest_charge"]) == (
        "pi_1",
        "succeeded",
        5000,
        "ch_1",
    )
    assert obj["last_payment_error"] == {"code": "card_declined", "payment_method": {"id": "pm_1"}}
    assert obj["metadata"] == {"donation_id": "7"}
    assert kept["data"]["previous_attributes"] == {"status": "processing"}


def test_stored_events_lose_their_payload_after_the_keeping_period(db_session) -> None:
    def stored(event_id: str, days: int) -> StripeEvent:
        row = StripeEvent(
            event_id=event_id,
            office_code="DE",
            type="payment_intent.succeeded",
            object_id=f"pi_{event_id}",
            stripe_created=1,
            payload={"id": event_id, "data": {"object": {"id": "pi"}}},
            received_at=NOW - timedelta(days=days),
        )
        db_session.add(row)
        return row

    old, recent = stored("evt_old", KEEP.event_days + 1), stored("evt_new", 1)
    db_session.commit()
    assert run(db_session, settings(), batch_size=1).events == 1
    db_session.expire_all()
    assert (old.payload, old.payload_erased_at is not None, old.outcome) == ({}, True, None)
    assert old.event_id == "evt_old"  # a late redelivery is still recognised
    assert recent.payload != {} and recent.payload_erased_at is None


def standin_gateway(stripe_standin, base_url: str | None = None) -> StripeGateway:
    keys = standin_keys("DE")
    office_keys = OfficeKeys(keys.secret_key, keys.publishable_key, keys.webhook_secret)
    return StripeGateway({"DE": office_keys}, base_url or stripe_standin.base_url, retries=0)


def test_the_stripe_customer_is_deleted_when_stripe_answers_and_retried_when_not(
    db_session, stripe_standin
) -> None:
    client = stripe_standin.client(standin_keys("DE").secret_key)
    customer = client.v1.customers.create(params={"email": "old@example.org", "name": "Anne"})
    donor = donor_with_gift(db_session, "DE", years_ago(11), "old@example.org")
    donor.stripe_customer_id = customer.id
    db_session.commit()

    unreachable = standin_gateway(stripe_standin, "http://127.0.0.1:9")
    first = run(db_session, settings(unreachable))
    assert first.erased is not None
    assert (first.erased.donors, first.erased.customers_failed) == (1, 1)
    db_session.expire_all()
    assert db_session.get(Donor, donor.id).stripe_customer_id == customer.id  # to retry

    second = run(db_session, settings(standin_gateway(stripe_standin)))
    assert second.erased is not None and second.erased.customers == 1
    db_session.expire_all()
    assert db_session.get(Donor, donor.id).stripe_customer_id is None
    assert client.v1.customers.retrieve(customer.id).to_dict()["deleted"] is True
    assert standin_gateway(stripe_standin).delete_customer("DE", customer.id) is False


def test_an_erasure_request_within_the_tax_period_restricts_and_says_until_when(
    runner, db_session
) -> None:
    donor = donor_with_gift(db_session, "DE", NOW - timedelta(days=30), "recent@example.org")
    other_draft = CheckoutDraft(
        locale="de", data={"details": {"fields": {"email": "Recent@Example.org"}}}
    )
    db_session.add(other_draft)
    db_session.commit()

    result = runner.invoke(args=["donors", "erase", "recent@example.org"])

    assert result.exit_code == 0, result.output
    until = date((NOW - timedelta(days=30)).year + 10, 12, 31)
    assert f"DE: tax records kept, restricted, until {until}" in result.output
    db_session.expire_all()
    kept = db_session.get(Donor, donor.id)
    assert (kept.restricted_until, kept.last_name, kept.phone) == (until, "Shirley", "")
    assert kept.erased_at is None
    assert db_session.get(CheckoutDraft, other_draft.id).data == {}
    [receipt] = db_session.scalars(select(Receipt).where(Receipt.donor_id == donor.id))
    assert receipt.pdf is not None  # the office's copy of the receipt stays
    assert db_session.scalars(select(Suppression.office_code)).all() == ["DE"]


def test_an_erasure_request_with_a_live_plan_erases_nothing_and_says_why(db_session) -> None:
    donor_with_gift(db_session, "DE", years_ago(12), "plan@example.org", plan_status="active")
    answer = requests.erase_on_request(db_session, "plan@example.org", settings(), NOW)
    [office] = answer.offices
    assert (office.outcome, office.reason) == ("kept", "a recurring gift may still be debited")


def test_an_erasure_request_past_the_period_erases_at_once(db_session) -> None:
    donor = donor_with_gift(db_session, "UK", years_ago(8), "uk@example.org")
    answer = requests.erase_on_request(db_session, "uk@example.org", settings(), NOW)
    assert [o.outcome for o in answer.offices] == ["erased"]
    assert donor.erased_at is not None and donor.email.endswith("@erased.invalid")


def test_the_subject_access_export_lists_ids_events_recipients_evidence_and_emails(
    runner, app, db_session
) -> None:
    donor = donor_with_gift(db_session, "DE", NOW - timedelta(days=30), "sar@example.org")
    donor.stripe_customer_id = "cus_sar"
    payment = db_session.scalars(
        select(Payment).join(Donation).where(Donation.donor_id == donor.id)
    ).one()
    payment.stripe_payment_intent_id, payment.paid_at = "pi_sar", NOW - timedelta(days=30)
    payment.receipt_due_at = payment.paid_at
    db_session.add(
        StripeEvent(
            event_id="evt_sar",
            office_code="DE",
            type="payment_intent.succeeded",
            object_id="pi_sar",
            stripe_created=1,
            payload={"id": "evt_sar"},
        )
    )
    receipt = db_session.scalars(select(Receipt).where(Receipt.donor_id == donor.id)).one()
    receipt.emailed_at = NOW - timedelta(days=29)
    db_session.commit()
    exported = runner.invoke(args=["offices", "export", "--office", "DE"])
    assert exported.exit_code == 0, exported.output

    held = json.loads(runner.invoke(args=["donors", "export", "sar@example.org"]).output)

    [record] = held["donors"]
    assert record["stripe_customer_id"] == "cus_sar"
    assert record["donations"][0]["payments"][0]["stripe_payment_intent_id"] == "pi_sar"
    assert [e["event_id"] for e in record["stripe_events"]] == ["evt_sar"]
    [sent] = record["sent_to_offices"]
    assert (sent["office"], sent["batch"]) == ("DE", 1)
    assert sent["recipient"] == OFFICES.get("DE").legal.legal_name
    consent = record["consent"][0]
    assert consent["ip_hash"] and consent["user_agent"] == "Firefox"
    assert consent["notice_sha256"] == consent["notice"]["sha256"]
    assert consent["notice"]["text"] == OFFICES.get("DE").notices["data_transfer"].text("en")
    assert record["emails_sent"] == [
        {
            "kind": "receipt",
            "receipt": receipt.number,
            "message_id": receipt.message_id,
            "sent_at": receipt.emailed_at.isoformat(),
        }
    ]


def test_stored_emails_to_an_erased_address_are_deleted(db_session, tmp_path) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    (mail / "a.eml").write_bytes(b"To: Anne <Old@Example.org>\r\nSubject: x\r\n\r\nHi Anne\r\n")
    (mail / "b.eml").write_bytes(b"To: someone@example.org\r\nSubject: x\r\n\r\nHi\r\n")
    donor_with_gift(db_session, "DE", years_ago(11), "old@example.org")
    db_session.commit()
    applied: list[FileChanges] = []

    def commit(changes: FileChanges) -> None:
        changes.apply()
        applied.append(changes)
        db_session.commit()

    run(db_session, settings(mail_folder=mail), commit=commit)
    assert sorted(p.name for p in mail.iterdir()) == ["b.eml"]


def test_support_free_text_reasons_are_erased(db_session) -> None:
    donor = donor_with_gift(db_session, "DE", years_ago(11), "old@example.org")
    receipt = db_session.scalars(select(Receipt).where(Receipt.donor_id == donor.id)).one()
    receipt.status, receipt.void_reason = "void", "Anne Shirley asked: wrong address 1 Lane"
    receipt.voided_at = years_ago(11) + timedelta(days=1)
    db_session.commit()
    run(db_session, settings())
    db_session.expire_all()
    receipt = db_session.get(Receipt, receipt.id)
    assert (receipt.status, receipt.void_reason) == ("void", "")
    assert receipt.voided_at is not None


def test_a_dry_run_asks_nothing_of_stripe(runner, db_session) -> None:
    """No stand-in runs here: a dry run that called Stripe would count a failure to retry."""
    donor = donor_with_gift(db_session, "DE", years_ago(11), "old@example.org")
    donor.stripe_customer_id = "cus_dry"
    db_session.commit()
    result = runner.invoke(args=["retention", "run", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "1 donors" in result.output and "1 Stripe customers" in result.output
    assert "retry" not in result.output
    db_session.expire_all()
    assert db_session.get(Donor, donor.id).stripe_customer_id == "cus_dry"
