"""Annual statements asked for in the portal, and the email sign-up page: its notice, double
opt-in, the suppression list, limits, and the office batches that carry sign-ups."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from checkout.consent.decisions import suppress
from checkout.consent.models import ConsentRecord
from checkout.core.clock import utcnow
from checkout.donations.models import Donor, Payment
from checkout.receipts.models import Receipt
from checkout.signup.models import PendingSignup
from checkout.transfers.services import export_next
from tests.integration.test_receipt_delivery import drain
from tests.portal_support import csrf_of, give_monthly, make_donor, sign_in
from tests.transfers_support import HASH_KEY, document


def test_a_statement_for_last_year_is_issued_on_request(
    mailing_app, db_session, smtp_server
) -> None:
    donor = make_donor(db_session, "yearly@example.org")
    plan = give_monthly(db_session, donor, "sub_statement", "cus_statement")
    last_year = datetime(utcnow().year - 1, 6, 15, 10, tzinfo=UTC)
    db_session.add(
        Payment(
            donation=plan.donation,
            plan=plan,
            status="succeeded",
            amount_minor=1000,
            currency="EUR",
            paid_at=last_year,
        )
    )
    db_session.commit()
    client = sign_in(mailing_app, mailing_app.test_client(), smtp_server, "yearly@example.org")
    page = client.get("/account/receipts").get_data(as_text=True)
    assert f"Issue my statement for {last_year.year}" in page
    assert f"Issue my statement for {utcnow().year}" not in page  # the year still runs
    token = csrf_of(client.get("/account/receipts"))
    refused = client.post(f"/account/statements/DE/{utcnow().year}", data={"csrf_token": token})
    assert refused.status_code == 302
    assert "only once its year has ended" in client.get("/account/receipts").get_data(as_text=True)
    client.post(f"/account/statements/DE/{last_year.year}", data={"csrf_token": token})
    statement = db_session.scalars(select(Receipt)).one()
    assert statement.period_start is not None and statement.period_start.year == last_year.year
    assert statement.total_minor == 1000
    drain(mailing_app)
    [email] = [m for m in smtp_server.messages if statement.number in str(m["Subject"])]
    assert "/account/" in email.get_body(("plain",)).get_content()  # the link to the portal


def _signup(client, email: str, country: str, confirm_office: bool = True):
    """The sign-up page as a person uses it: choose the country (the page then shows that
    office's notice), then sign up."""
    page = client.get("/signup")
    first = client.post(
        "/signup", data={"csrf_token": csrf_of(page), "email": email, "country": country}
    )
    shown = re.search(r'name="shown" value="([^"]*)"', first.get_data(as_text=True))
    assert shown, first.get_data(as_text=True)
    return client.post(
        "/signup",
        data={
            "csrf_token": csrf_of(first),
            "email": email,
            "country": country,
            "shown": shown.group(1),
        },
    )


def test_a_sign_up_shows_the_offices_notice_and_records_it(mailing_app, db_session) -> None:
    client = mailing_app.test_client()
    page = client.get("/signup?lang=en")
    first = client.post(
        "/signup",
        data={"csrf_token": csrf_of(page), "email": "news@example.org", "country": "GB"},
    )
    text = first.get_data(as_text=True)
    assert first.status_code == 200 and 'id="country-error"' in text
    assert "IJM UK" in text and "What you agree to" in text
    done = _signup(client, "News@Example.org", "GB")
    assert "Thank you!" in done.get_data(as_text=True)
    donor = db_session.scalar(select(Donor).where(Donor.email == "news@example.org"))
    assert donor is not None and (donor.office_code, donor.first_name) == ("UK", "")
    [row] = db_session.scalars(select(ConsentRecord).where(ConsentRecord.donor_id == donor.id))
    assert (row.purpose, row.decision, row.form, row.url) == (
        "email_fundraising",
        "granted",
        "signup",
        "/signup",
    )
    assert row.notice.text.startswith("Yes, IJM UK") and row.ip_hash and row.user_agent is not None


def test_germany_asks_for_confirmation_first(mailing_app, db_session, smtp_server) -> None:
    client = mailing_app.test_client()
    _signup(client, "doi@example.org", "DE")
    assert db_session.scalar(select(Donor).where(Donor.email == "doi@example.org")) is None
    drain(mailing_app)
    [message] = smtp_server.messages
    link = re.search(r"/signup/confirm/(\S+)", message.get_body(("plain",)).get_content())
    assert link
    opened = client.get(f"/signup/confirm/{link.group(1)}")
    assert opened.status_code == 200
    assert db_session.scalar(select(Donor).where(Donor.email == "doi@example.org")) is None
    client.post(f"/signup/confirm/{link.group(1)}", data={"csrf_token": csrf_of(opened)})
    donor = db_session.scalar(select(Donor).where(Donor.email == "doi@example.org"))
    assert donor is not None
    rows = db_session.scalars(
        select(ConsentRecord).where(ConsentRecord.donor_id == donor.id).order_by(ConsentRecord.id)
    ).all()
    assert [(r.decision, r.form, r.url) for r in rows] == [
        ("granted", "signup", "/signup"),
        ("confirmed", "signup_link.confirm", "/signup/confirm"),
    ]
    assert rows[0].recorded_at < rows[1].recorded_at
    assert db_session.scalars(select(PendingSignup)).all() == []
    assert client.get(f"/signup/confirm/{link.group(1)}").status_code == 410


def test_a_suppressed_address_is_added_only_by_its_owner(
    mailing_app, db_session, smtp_server
) -> None:
    mailing_app.config["EVIDENCE_HASH_KEY"] = HASH_KEY
    suppress(db_session, "UK", "objected@example.org", HASH_KEY, "email_link")
    db_session.commit()
    answer = _signup(mailing_app.test_client(), "objected@example.org", "GB")
    plain = _signup(mailing_app.test_client(), "fresh@example.org", "GB")
    assert answer.get_data() == plain.get_data()  # the page says nothing about the list
    assert db_session.scalar(select(Donor).where(Donor.email == "objected@example.org")) is None
    drain(mailing_app)
    assert [m["To"] for m in smtp_server.messages] == ["objected@example.org"]


def test_sign_ups_per_address_are_limited(mailing_app, db_session, smtp_server) -> None:
    for _ in range(5):
        _signup(mailing_app.test_client(), "again@example.org", "DE")
    drain(mailing_app)
    assert len(smtp_server.messages) == 3  # SIGNUP_EMAIL_RATE_LIMIT: 3 per day


def test_the_office_batch_carries_sign_ups(mailing_app, db_session) -> None:
    _signup(mailing_app.test_client(), "batch@example.org", "GB")
    batch = export_next(db_session, "UK", now=utcnow(), hold=timedelta(days=7), hash_key=HASH_KEY)
    assert batch is not None and (batch.gift_count, batch.consent_count) == (0, 1)
    [donor] = document(batch)["donors"]
    assert donor["email"] == "batch@example.org" and donor["gifts"] == []
    assert [c["form"] for c in donor["consents"]] == ["signup"]
    again = export_next(db_session, "UK", now=utcnow(), hold=timedelta(days=7), hash_key=HASH_KEY)
    assert again is None  # sent once
