"""Office transfer batches: which gifts and consent rows go, the files, and the command."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from checkout.transfers import formats, services
from checkout.transfers.models import OfficeExportGift
from tests.transfers_support import (
    HASH_KEY,
    HOLD,
    NOW,
    document,
    give,
    make_donor,
    pay,
    payment_ids,
    record_checkout,
    rows,
    withdraw_email,
)


def export(session, office: str = "DE", now=NOW):
    return services.export_next(session, office, now=now, hold=HOLD, hash_key=HASH_KEY)


def test_only_gifts_whose_money_was_kept_go(db_session) -> None:
    donor = make_donor(db_session)
    kept = [
        give(db_session, donor, "succeeded"),
        give(db_session, donor, "partially_refunded", refunded_minor=100),
        give(db_session, donor, "won"),
        give(db_session, donor, "partially_refunded", refund_reason="duplicate"),
    ]
    for status in ("failed", "canceled", "pending", "processing", "refunded", "lost", "disputed"):
        give(db_session, donor, status)
    give(db_session, donor, "partially_refunded", refund_reason="fraudulent", refunded_minor=1)
    give(db_session, donor, "succeeded", kept_at=NOW - HOLD + timedelta(seconds=1))
    give(db_session, make_donor(db_session, "NL"), "succeeded")
    batch = export(db_session)
    assert batch is not None and batch.number == 1
    assert payment_ids(batch) == [p.id for p in kept]
    assert batch.gift_count == 4 and batch.donor_count == 1


def test_a_gift_goes_once_and_a_held_one_goes_in_the_next_batch(db_session) -> None:
    donor = make_donor(db_session)
    early = give(db_session, donor)
    late = give(db_session, donor, kept_at=NOW - timedelta(days=1))
    first = export(db_session)
    assert first is not None and payment_ids(first) == [early.id]
    assert export(db_session) is None  # nothing new: no batch, no number taken
    second = export(db_session, now=NOW + HOLD)
    assert second is not None and second.number == 2
    assert payment_ids(second) == [late.id]


def test_a_disputed_gift_waits_until_the_dispute_is_won(db_session) -> None:
    donor = make_donor(db_session)
    payment = give(db_session, donor, "disputed")
    assert export(db_session) is None
    payment.status = "won"
    db_session.flush()
    batch = export(db_session)
    assert batch is not None and payment_ids(batch) == [payment.id]


def test_each_instalment_of_a_monthly_gift_is_a_gift(db_session) -> None:
    donor = make_donor(db_session)
    first = give(db_session, donor)
    first.donation.frequency = "monthly"
    second = pay(db_session, first.donation)
    batch = export(db_session)
    assert batch is not None
    assert [(r["payment_id"], r["frequency"]) for r in rows(batch.gifts_csv)] == [
        (str(first.id), "monthly"),
        (str(second.id), "monthly"),
    ]


def test_the_database_refuses_a_gift_in_two_batches(db_session) -> None:
    payment = give(db_session, make_donor(db_session))
    batch = export(db_session)
    assert batch is not None
    db_session.add(OfficeExportGift(batch_id=batch.id, payment_id=payment.id))
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_consent_evidence_goes_with_the_gift_and_later_rows_follow(db_session) -> None:
    donor = make_donor(db_session)
    payment = give(db_session, donor)
    record_checkout(db_session, payment.donation)
    first = export(db_session)
    assert first is not None
    evidence = rows(first.consents_csv)
    assert [(r["purpose"], r["decision"]) for r in evidence] == [
        ("data_transfer", "acknowledged"),
        ("email_fundraising", "granted"),
    ]
    assert evidence[0]["donation_id"] == payment.donation.public_id
    gift = rows(first.gifts_csv)[0]
    assert gift["consent_email_fundraising"] == "granted"
    assert gift["consent_transfer_notice"] == "acknowledged"
    withdraw_email(db_session, donor)
    second = export(db_session)
    assert second is not None and second.gift_count == 0 and second.consent_count == 1
    assert [(r["decision"], r["donation_id"]) for r in rows(second.consents_csv)] == [
        ("withdrawn", "")
    ]
    donor_doc = document(second)["donors"][0]
    assert donor_doc["consent_summary"]["consent_email_fundraising"] == "withdrawn"
    assert donor_doc["gifts"] == []


def test_nothing_of_a_failed_attempt_or_a_donor_without_a_sent_gift_goes(db_session) -> None:
    donor = make_donor(db_session)
    failed = give(db_session, donor, "failed")
    record_checkout(db_session, failed.donation, email_opt_in=True)
    stranger = make_donor(db_session, email="never@example.org")
    record_checkout(db_session, give(db_session, stranger, "failed").donation)
    withdraw_email(db_session, stranger)
    assert export(db_session) is None
    good = give(db_session, donor)
    record_checkout(db_session, good.donation, email_opt_in=False)
    batch = export(db_session)
    assert batch is not None
    assert {r["donation_id"] for r in rows(batch.consents_csv)} == {good.donation.public_id}
    assert rows(batch.gifts_csv)[0]["consent_email_fundraising"] == ""
    assert [d["email"] for d in document(batch)["donors"]] == ["ada@example.org"]


def test_the_files_follow_the_documented_formats(db_session) -> None:
    donor = make_donor(db_session)
    payment = give(db_session, donor, amount_minor=1234)
    record_checkout(db_session, payment.donation)
    batch = export(db_session)
    assert batch is not None
    assert batch.gifts_csv.startswith(b"office,batch,donor_id,")
    assert b"\r\n" in batch.gifts_csv and not batch.gifts_csv.startswith(b"\xef\xbb\xbf")
    assert list(rows(batch.gifts_csv)[0]) == list(formats.GIFTS_CSV_COLUMNS)
    assert list(rows(batch.consents_csv)[0]) == list(formats.CONSENTS_CSV_COLUMNS)
    gift = rows(batch.gifts_csv)[0]
    assert (gift["amount_minor"], gift["currency"]) == ("1234", "EUR")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", gift["paid_at"])
    data = document(batch)
    assert data["format"] == "checkout.office-export" and data["batch"] == 1
    gift_doc = data["donors"][0]["gifts"][0]
    assert gift_doc["amount_minor"] == 1234 and isinstance(gift_doc["amount_minor"], int)
    assert "1234.0" not in batch.batch_json.decode()
    cited = {c["notice_sha256"] for c in data["donors"][0]["consents"]}
    assert cited == {n["sha256"] for n in data["notices"]}
    for notice in data["notices"]:
        assert hashlib.sha256(notice["text"].encode()).hexdigest() == notice["sha256"]
    for data_, digest in (
        (batch.gifts_csv, batch.gifts_csv_sha256),
        (batch.consents_csv, batch.consents_csv_sha256),
        (batch.batch_json, batch.batch_json_sha256),
    ):
        assert hashlib.sha256(data_).hexdigest() == digest


def test_the_same_rows_render_the_same_bytes(db_session) -> None:
    donor = make_donor(db_session)
    record_checkout(db_session, give(db_session, donor).donation)
    batch = export(db_session)
    assert batch is not None
    again = formats.render(services._content(db_session, batch, HASH_KEY))
    assert (again.gifts_csv, again.consents_csv, again.batch_json) == (
        batch.gifts_csv,
        batch.consents_csv,
        batch.batch_json,
    )


def test_a_stored_batch_is_handed_back_as_made_even_after_the_donor_changes(db_session) -> None:
    donor = make_donor(db_session)
    give(db_session, donor)
    made = export(db_session)
    assert made is not None
    first = services.batch_files(made)
    donor.last_name = "Byron"
    db_session.flush()
    db_session.expire_all()
    again = services.batch_files(services.stored_batch(db_session, "DE", 1))
    assert again == first
    assert b"Lovelace" in again["DE-000001.csv"]


def test_a_stored_file_that_changed_is_refused(db_session) -> None:
    give(db_session, make_donor(db_session))
    batch = export(db_session)
    assert batch is not None
    batch.gifts_csv = batch.gifts_csv.replace(b"Ada", b"Eve")
    with pytest.raises(services.BatchCorrupted, match=r"DE-000001\.csv"):
        services.batch_files(batch)


def test_the_readme_documents_every_column() -> None:
    readme = (Path(services.__file__).parent / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", readme, re.MULTILINE))
    columns = set(formats.GIFTS_CSV_COLUMNS) | set(formats.CONSENTS_CSV_COLUMNS)
    assert columns <= documented, sorted(columns - documented)


# --- the command -------------------------------------------------------------------------------


def test_the_command_writes_the_next_batch_then_says_nothing_new(
    app, runner, db_session, tmp_path
) -> None:
    app.config["OFFICE_EXPORT_DIR"] = str(tmp_path)
    give(db_session, make_donor(db_session))
    db_session.flush()
    result = runner.invoke(args=["offices", "export", "--office", "de"])
    assert result.exit_code == 0, result.output
    assert "DE batch 1: 1 gifts, 1 donors, 0 consent rows" in result.output
    folder = tmp_path / "DE"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["DE-000001-consents.csv", "DE-000001.csv", "DE-000001.json"]
    assert str(folder / "DE-000001.csv") in result.output
    json.loads((folder / "DE-000001.json").read_text(encoding="utf-8"))
    again = runner.invoke(args=["offices", "export", "--office", "DE"])
    assert again.exit_code == 0 and "nothing new" in again.output
    assert len(list(folder.iterdir())) == 3


def test_the_command_writes_a_stored_batch_again_byte_for_byte(
    app, runner, db_session, tmp_path
) -> None:
    donor = make_donor(db_session)
    record_checkout(db_session, give(db_session, donor).donation)
    first = runner.invoke(
        args=["offices", "export", "--office", "DE", "--out", str(tmp_path / "a")]
    )
    assert first.exit_code == 0, first.output
    donor.city = "Hamburg"
    db_session.flush()
    again = runner.invoke(
        args=["offices", "export", "--office", "DE", "--batch", "1", "--out", str(tmp_path / "b")]
    )
    assert again.exit_code == 0, again.output
    for name in ("DE-000001.csv", "DE-000001-consents.csv", "DE-000001.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_the_command_names_an_unknown_office_or_batch(runner, tmp_path) -> None:
    unknown = runner.invoke(args=["offices", "export", "--office", "XX", "--out", str(tmp_path)])
    assert unknown.exit_code != 0 and "no office XX" in unknown.output
    missing = runner.invoke(
        args=["offices", "export", "--office", "NL", "--batch", "4", "--out", str(tmp_path)]
    )
    assert missing.exit_code != 0 and "office NL has no batch 4" in missing.output
