"""The consent ledger: exact texts by hash, versions, and rows the database will not change."""

from __future__ import annotations

import dataclasses
import hashlib
import re

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from checkout.consent import services
from checkout.consent.models import ConsentNotice, ConsentRecord
from checkout.offices import load_registry
from checkout.paths import CONFIG_DIR
from tests.wizard_driver import WizardDriver, details_data, reach_details

OFFICES = load_registry(CONFIG_DIR / "offices.toml")
EVIDENCE = services.Evidence("test", services.keyed_ip_hash("192.0.2.7", "k"), "pytest")


def pay_as_german_donor(client, opt_in: bool) -> None:
    """Walk the wizard in German with the email opt-in, and press pay (no Stripe needed)."""
    germany = OFFICES.get("DE")
    donor = WizardDriver(client, language="de", headers={"Accept-Language": "de-DE"})
    notice = reach_details(donor, germany)
    changes = {"email_opt_in": "y"} if opt_in else {}
    donor.post("details", details_data(germany, notice, **changes))
    donor.post("method", {"method": "card"})
    review = donor.get("/donate/review").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', review).group(1)  # type: ignore
    total = re.search(r'name="shown_total" value="([^"]+)"', review).group(1)  # type: ignore
    client.post(
        "/donate/pay", data={"csrf_token": token, "shown_total": total}, headers=donor.headers
    )


def test_a_german_donors_rows_resolve_to_the_exact_german_text(app, client, db_session) -> None:
    pay_as_german_donor(client, opt_in=True)
    rows = db_session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert [(r.purpose, r.decision, r.channel) for r in rows] == [
        ("data_transfer", "acknowledged", None),
        ("email_fundraising", "granted", "email"),
    ]
    germany = OFFICES.get("DE")
    for row in rows:
        expected = germany.notices[row.purpose].text("de")
        assert row.notice.language == "de"
        assert row.notice.text == expected
        assert row.notice.sha256 == hashlib.sha256(expected.encode()).hexdigest()
        # A keyed hash, never the address; keyed by its own key, so rotating SECRET_KEY keeps it.
        key = app.config["EVIDENCE_HASH_KEY"]
        assert key != app.config["SECRET_KEY"]
        assert row.ip_hash == services.keyed_ip_hash("127.0.0.1", key)
        assert row.email == "alex@example.org"


def test_no_opt_in_row_when_the_box_was_left_unticked(client, db_session) -> None:
    pay_as_german_donor(client, opt_in=False)
    purposes = db_session.scalars(select(ConsentRecord.purpose)).all()
    assert purposes == ["data_transfer"]


def _with_text(new_text: str, version: str):
    germany = OFFICES.get("DE")
    notice = germany.notices["data_transfer"]
    return germany, dataclasses.replace(
        notice, version=version, texts={**notice.texts, "de": new_text}
    )


def test_a_new_version_is_stored_beside_the_old_one(db_session) -> None:
    germany = OFFICES.get("DE")
    old = services.record(
        db_session,
        germany,
        germany.notices["data_transfer"],
        "de",
        decision="acknowledged",
        legal_basis="notice",
        email="a@example.org",
        evidence=EVIDENCE,
    )
    _, changed = _with_text("Neuer Text.", "2027-01-01")
    new = services.record(
        db_session,
        germany,
        changed,
        "de",
        decision="acknowledged",
        legal_basis="notice",
        email="b@example.org",
        evidence=EVIDENCE,
    )
    db_session.flush()
    assert new.notice.text == "Neuer Text."
    assert old.notice.text == germany.notices["data_transfer"].text("de")
    assert len(db_session.scalars(select(ConsentNotice)).all()) == 2


def test_a_changed_text_under_the_same_version_is_refused(db_session) -> None:
    germany = OFFICES.get("DE")
    services.stored_notice(db_session, germany, germany.notices["data_transfer"], "de")
    _, changed = _with_text("Heimlich geändert.", germany.notices["data_transfer"].version)
    with pytest.raises(services.NoticeChangedWithoutVersion, match="new version"):
        services.stored_notice(db_session, germany, changed, "de")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE consent_records SET decision = 'withdrawn'",
        "DELETE FROM consent_records",
    ],
)
def test_the_database_refuses_to_change_ledger_rows(db_session, statement) -> None:
    germany = OFFICES.get("DE")
    services.record(
        db_session,
        germany,
        germany.notices["data_transfer"],
        "en",
        decision="acknowledged",
        legal_basis="notice",
        email="c@example.org",
        evidence=EVIDENCE,
    )
    db_session.flush()
    with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
        db_session.execute(text(statement))
    assert db_session.scalars(select(ConsentRecord.decision)).all() == ["acknowledged"]
