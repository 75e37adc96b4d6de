"""The consent ledger: exact texts by hash, versions, and rows the database will not change."""

from __future__ import annotations

import dataclasses
import hashlib
import html

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from checkout import create_app
from checkout.consent import notice_lock, services
from checkout.consent.models import ConsentNotice, ConsentRecord
from checkout.db import get_database
from checkout.donations.models import Donation
from checkout.offices import load_registry
from checkout.paths import CONFIG_DIR
from tests.conftest import test_settings
from tests.wizard_driver import WizardDriver, details_data, pay_form, reach_details

OFFICES = load_registry(CONFIG_DIR / "offices.toml")
EVIDENCE = services.Evidence("test", services.keyed_ip_hash("192.0.2.7", "k"), "pytest")


def pay_as_german_donor(
    client, opt_in: bool, method: str = "card", shown_mandate: str | None = None
) -> str:
    """Walk the wizard in German with the email opt-in, and press pay (no Stripe needed)."""
    germany = OFFICES.get("DE")
    donor = WizardDriver(client, language="de", headers={"Accept-Language": "de-DE"})
    notice = reach_details(donor, germany)
    changes = {"email_opt_in": "y"} if opt_in else {}
    donor.post("details", details_data(germany, notice, **changes))
    donor.post("method", {"method": method})
    review = donor.get("/donate/review").get_data(as_text=True)
    form = pay_form(review)
    if shown_mandate is not None:
        form["shown_mandate"] = shown_mandate
    answer = client.post("/donate/pay", data=form, headers=donor.headers)
    assert answer.status_code == 302
    return review


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
        assert row.url == "/donate/details"
        assert row.office_legal_name == germany.legal.legal_name
        assert row.implied_consent_lapses_at is None  # only Canada's law has it


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
    stored = db_session.scalars(
        select(ConsentNotice.version).where(
            ConsentNotice.office_code == "DE",
            ConsentNotice.purpose == "data_transfer",
            ConsentNotice.language == "de",
        )
    ).all()
    # both versions stand (a database other runs committed to may hold more rows)
    assert {germany.notices["data_transfer"].version, "2027-01-01"} <= set(stored)
    assert old.notice_id != new.notice_id


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


def test_the_mandate_accepted_on_review_is_recorded_with_its_exact_text(client, db_session):
    review = pay_as_german_donor(client, opt_in=False, method="sepa_debit")
    mandate = OFFICES.get("DE").notices["direct_debit_mandate"]
    assert mandate.text("de") in html.unescape(review)  # the text comes from the offices file
    rows = db_session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert [(r.purpose, r.decision, r.legal_basis, r.form) for r in rows] == [
        ("data_transfer", "acknowledged", "notice", "wizard.details"),
        ("direct_debit_mandate", "granted", "mandate", "wizard.review"),
    ]
    assert rows[1].notice.text == mandate.text("de")
    assert rows[1].notice.version == mandate.version
    assert rows[1].url == "/donate/review"


def test_no_mandate_row_for_a_card_gift(client, db_session) -> None:
    review = pay_as_german_donor(client, opt_in=False, method="card")
    assert 'name="shown_mandate" value=""' in review
    purposes = db_session.scalars(select(ConsentRecord.purpose)).all()
    assert "direct_debit_mandate" not in purposes


@pytest.mark.parametrize("shown", ["", "DE:2020-01-01:de", "DE:2026-11-01:en"])
def test_paying_under_a_mandate_other_than_the_one_in_force_goes_back_to_review(
    client, db_session, shown
) -> None:
    pay_as_german_donor(client, opt_in=False, method="sepa_debit", shown_mandate=shown)
    assert db_session.scalars(select(Donation)).all() == []
    assert db_session.scalars(select(ConsentRecord)).all() == []
    page = client.get("/donate/review", headers={"Accept-Language": "de-DE"})
    assert "Das Lastschriftmandat hat sich geändert" in page.get_data(as_text=True)


def test_a_canadian_checkout_dates_no_implied_consent_before_a_gift_is_kept(
    client, db_session
) -> None:
    """Starting to pay is no gift: the lapse date is set by each kept gift (test_evidence)."""
    canada = OFFICES.get("CA")
    donor = WizardDriver(client, language="en")
    notice = reach_details(donor, canada)
    donor.post("details", details_data(canada, notice))
    donor.post("method", {"method": "card"})
    review = donor.get("/donate/review").get_data(as_text=True)
    client.post("/donate/pay", data=pay_form(review), headers=donor.headers)
    [row] = db_session.scalars(select(ConsentRecord)).all()
    assert row.decision == "acknowledged"
    assert row.implied_consent_lapses_at is None


def test_after_a_new_notice_version_new_donors_cite_it_and_old_rows_keep_the_old_text(
    client, db_session, connection, database_url, tmp_path
) -> None:
    pay_as_german_donor(client, opt_in=False)
    old_text = OFFICES.get("DE").notices["data_transfer"].text("de")
    edited = (CONFIG_DIR / "offices.toml").read_text(encoding="utf-8")
    head = '[offices.DE.notices.data_transfer]\nversion = "2026-11-01"'
    assert head in edited and old_text.split(".")[0] in edited
    edited = edited.replace(head, head.replace("2026-11-01", "2027-03-01"))
    first_line = "Deine Spende geht an IJM Deutschland, unser Büro in Deutschland."
    edited = edited.replace(first_line, "Deine Spende geht an IJM Deutschland (neu).")
    (tmp_path / "offices.toml").write_text(edited, encoding="utf-8")
    lock = tmp_path / "notices.lock"
    lock.write_bytes((CONFIG_DIR / "notices.lock").read_bytes())
    later = create_app(
        test_settings(
            database_url, OFFICES_FILE=str(tmp_path / "offices.toml"), NOTICE_LOCK_FILE=str(lock)
        ),
        environ={},
    )
    get_database(later).bind_to(connection)
    pay_as_german_donor(later.test_client(), opt_in=False)

    first, second = db_session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert (first.notice.version, second.notice.version) == ("2026-11-01", "2027-03-01")
    assert first.notice.text == old_text  # still resolves, by hash, to what was shown then
    assert first.notice.sha256 == notice_lock.text_digest(old_text)
    assert "(neu)" in second.notice.text
    assert second.notice.sha256 == notice_lock.text_digest(second.notice.text)
