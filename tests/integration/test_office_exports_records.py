"""Office batches: Gift Aid after a cancellation, cells a spreadsheet would run, the
suppression list, addresses in postal order, and erasure reaching every kept copy."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from checkout.consent.decisions import suppress
from checkout.transfers import erasure, formats, services
from checkout.transfers.models import OfficeExportRedaction
from tests.integration.test_office_exports import export
from tests.transfers_support import (
    HASH_KEY,
    LONG_AGO,
    NOW,
    give,
    make_donor,
    pay,
    record_checkout,
    rows,
)


def test_a_gift_made_after_gift_aid_was_cancelled_carries_no_claim(db_session) -> None:
    donor = make_donor(db_session, "UK", email="ga@example.org")
    first = give(db_session, donor, kept_at=LONG_AGO)
    donation = first.donation
    donation.frequency = "monthly"
    donation.gift_aid_declared_at = LONG_AGO - timedelta(minutes=5)
    donation.gift_aid_cancelled_at = LONG_AGO + timedelta(days=3)
    later = pay(db_session, donation, kept_at=LONG_AGO + timedelta(days=10))
    batch = export(db_session, "UK")
    assert batch is not None

    by_payment = {int(row["payment_id"]): row for row in rows(batch.gifts_csv)}
    assert by_payment[first.id]["gift_aid_claimable"] == "true"
    assert by_payment[later.id]["gift_aid_claimable"] == "false"
    assert by_payment[later.id]["gift_aid_cancelled_at"] == formats.moment(
        donation.gift_aid_cancelled_at
    )
    gifts = json.loads(batch.batch_json)["donors"][0]["gifts"]
    assert [g["gift_aid_claimable"] for g in gifts] == [True, False]


DANGEROUS = {
    "first_name": '=HYPERLINK("http://evil.example","click")',
    "last_name": "-2+3",
    "address_line1": "@SUM(A1:A9)",
    "address_line2": "\t=1+1",
    "city": "\r=cmd|' /C calc'!A0",
    "phone": "+4930123456",
}


def test_no_cell_a_spreadsheet_would_run_as_a_formula(db_session) -> None:
    donor = make_donor(db_session, "DE", email="+evil@example.org")
    for field, value in DANGEROUS.items():
        setattr(donor, field, value)
    record_checkout(db_session, give(db_session, donor).donation)
    batch = export(db_session)
    assert batch is not None

    for data in (batch.gifts_csv, batch.consents_csv):
        # As a spreadsheet reads a CSV: every cell, its first character decides.
        for record in csv.reader(io.StringIO(data.decode("utf-8"), newline="")):
            for cell in record:
                assert not cell.startswith(formats.FORMULA_STARTS), cell
    [row] = rows(batch.gifts_csv)
    for field, value in DANGEROUS.items():
        assert row[field] == "'" + value  # shown as text, nothing lost
    assert rows(batch.consents_csv)[0]["email"] == "'+evil@example.org"
    [person] = json.loads(batch.batch_json)["donors"]
    assert person["phone"] == "+4930123456"  # JSON keeps values as they are


def test_a_suppressed_address_is_never_sent_as_opted_in(db_session) -> None:
    opted = make_donor(db_session, "DE", email="objected@example.org")
    record_checkout(db_session, give(db_session, opted).donation, email_opt_in=True)
    keen = make_donor(db_session, "DE", email="keen@example.org")
    record_checkout(db_session, give(db_session, keen).donation, email_opt_in=True)
    suppress(db_session, "DE", "Objected@example.org", HASH_KEY, "one_click")
    batch = export(db_session)
    assert batch is not None

    summary = {row["email"]: row["consent_email_fundraising"] for row in rows(batch.gifts_csv)}
    assert summary == {"objected@example.org": "suppressed", "keen@example.org": "granted"}
    documents = {d["email"]: d["consent_summary"] for d in json.loads(batch.batch_json)["donors"]}
    assert documents["objected@example.org"]["consent_email_fundraising"] == "suppressed"


def test_addresses_go_in_the_countrys_postal_order(db_session) -> None:
    donor = make_donor(db_session, "CA", email="ca@example.org")
    donor.address_line1, donor.city, donor.postcode, donor.region = (
        "1 Rue Sainte-Catherine",
        "Montréal",
        "H3Z 2Y7",
        "QC",
    )
    give(db_session, donor)
    batch = export(db_session, "CA")
    assert batch is not None
    [row] = rows(batch.gifts_csv)
    assert row["region"] == "QC"
    assert row["postal_address"].split("\n") == [
        "1 RUE SAINTE-CATHERINE",
        "MONTRÉAL QC H3Z 2Y7",
        "CANADA",
    ]
    [person] = json.loads(batch.batch_json)["donors"]
    assert person["postal_address"][1] == "MONTRÉAL QC H3Z 2Y7"


def test_erasure_redacts_a_kept_batch_everywhere_and_records_the_new_hashes(
    runner, db_session, tmp_path
) -> None:
    gone = make_donor(db_session, "DE", email="gone@example.org")
    stays = make_donor(db_session, "DE", email="stays@example.org")
    for donor in (gone, stays):
        record_checkout(db_session, give(db_session, donor).donation)
    db_session.commit()
    for out in (tmp_path / "one", tmp_path / "two"):
        result = runner.invoke(args=["offices", "export", "--office", "DE", "--out", str(out)])
        if "nothing new" in result.output:
            result = runner.invoke(
                args=["offices", "export", "--office", "DE", "--batch", "1", "--out", str(out)]
            )
        assert result.exit_code == 0, result.output
    batch = services.stored_batch(db_session, "DE", 1)
    original = batch.gifts_csv_sha256

    changed, files = erasure.redact_donors(db_session, {gone.id}, NOW, None)
    files.apply()
    db_session.commit()

    assert changed == 1 and len(files.writes) == 6  # three files in each of two folders
    for folder in ("one", "two"):
        for path in (tmp_path / folder).iterdir():
            text = path.read_text(encoding="utf-8")
            assert "gone@example.org" not in text and "stays@example.org" in text, path
    [redaction] = db_session.scalars(select(OfficeExportRedaction)).all()
    assert redaction.donor_id == gone.id and batch.gifts_csv_sha256 == original
    assert redaction.gifts_csv_sha256 == hashlib.sha256(batch.gifts_csv).hexdigest()
    again = runner.invoke(
        args=["offices", "export", "--office", "DE", "--batch", "1", "--out", str(tmp_path / "3")]
    )
    assert again.exit_code == 0, again.output  # checked against the newest hashes
    assert erasure.redact_donors(db_session, {gone.id}, NOW, None)[0] == 0  # once


@pytest.mark.parametrize("where", ["recorded", "default"])
def test_batch_files_on_disk_go_after_the_keeping_period(
    app, runner, db_session, tmp_path, where
) -> None:
    app.config["OFFICE_EXPORT_DIR"] = str(tmp_path / "default")
    donor = make_donor(db_session, "DE")
    give(db_session, donor, kept_at=NOW - timedelta(days=400))
    db_session.commit()
    out = ["--out", str(tmp_path / "recorded")] if where == "recorded" else []
    result = runner.invoke(args=["offices", "export", "--office", "DE", *out])
    assert result.exit_code == 0, result.output
    written = sorted((tmp_path / where).rglob("*.csv"))
    assert written
    batch = services.stored_batch(db_session, "DE", 1)
    batch.created_at = NOW - timedelta(days=app.config["OFFICE_EXPORT_KEEP_DAYS"] + 1)
    db_session.commit()
    assert runner.invoke(args=["retention", "run"]).exit_code == 0
    assert not [p for p in written if p.exists()]
