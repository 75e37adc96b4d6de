"""The donor's choices, contact details and data in the portal: withdraw an opt-in, confirm a
pending double opt-in, make and cancel a Gift Aid declaration, correct the contact details
(and a receipt of this year), download the subject-access export, ask for erasure."""

from __future__ import annotations

import json

from sqlalchemy import select

from checkout.consent.decisions import is_suppressed
from checkout.consent.models import ConsentRecord
from checkout.donations.models import Donation, Donor
from checkout.portal.models import PortalSession
from checkout.receipts.models import Receipt
from tests.integration.test_receipt_delivery import drain, seed
from tests.portal_support import csrf_of, give_once, make_donor, sign_in
from tests.transfers_support import HASH_KEY, record_checkout


def _post(client, path: str, page: str, **data: str):
    return client.post(path, data={"csrf_token": csrf_of(client.get(page)), **data})


def _decisions(db_session, donor: Donor, purpose: str) -> list[tuple[str, str]]:
    rows = db_session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.donor_id == donor.id, ConsentRecord.purpose == purpose)
        .order_by(ConsentRecord.id)
    )
    return [(row.decision, row.form) for row in rows]


def test_confirm_then_withdraw_the_email_opt_in(mailing_app, db_session, smtp_server) -> None:
    mailing_app.config["EVIDENCE_HASH_KEY"] = HASH_KEY
    donor = make_donor(db_session, "optin@example.org")
    payment = give_once(db_session, donor)
    record_checkout(db_session, payment.donation, email_opt_in=True)
    db_session.commit()
    client = sign_in(mailing_app, mailing_app.test_client(), smtp_server, "optin@example.org")
    page = client.get("/account/consent").get_data(as_text=True)
    assert "Waiting for your confirmation" in page  # Germany: double opt-in
    # The exact text the donor was shown, in the language they saw it in (German here).
    assert "Ja, IJM Deutschland darf mir E-Mails über seine Arbeit" in page
    assert _post(client, "/account/consent/DE/confirm_email", "/account/consent").status_code == 302
    assert "You agreed to get these emails" in client.get("/account/consent").get_data(as_text=True)
    assert (
        _post(client, "/account/consent/DE/withdraw_email", "/account/consent").status_code == 302
    )
    assert _decisions(db_session, donor, "email_fundraising") == [
        ("granted", "details"),
        ("confirmed", "portal.confirm_email"),
        ("withdrawn", "portal.withdraw_email"),
    ]
    assert is_suppressed(db_session, "DE", "optin@example.org", HASH_KEY)
    assert "You will not get these emails" in client.get("/account/consent").get_data(as_text=True)


def test_a_gift_aid_declaration_made_and_cancelled(mailing_app, db_session, smtp_server) -> None:
    donor = make_donor(db_session, "aid@example.org", office="UK", postcode="SW1A 1AA")
    payment = give_once(db_session, donor, currency="GBP")
    db_session.commit()
    client = sign_in(mailing_app, mailing_app.test_client(), smtp_server, "aid@example.org")
    page = client.get("/account/consent").get_data(as_text=True)
    assert "Make this Gift Aid declaration" in page
    _post(client, "/account/consent/UK/declare_gift_aid", "/account/consent")
    db_session.expire_all()
    declared = db_session.get(Donation, payment.donation_id)
    assert declared.gift_aid_declared_at is not None and declared.gift_aid_cancelled_at is None
    assert "Your Gift Aid declaration stands" in client.get("/account/consent").get_data(
        as_text=True
    )
    _post(client, "/account/consent/UK/cancel_gift_aid", "/account/consent")
    db_session.expire_all()
    assert db_session.get(Donation, payment.donation_id).gift_aid_cancelled_at is not None
    assert [d for d, _form in _decisions(db_session, donor, "gift_aid_declaration")] == [
        "granted",
        "withdrawn",
    ]


def test_contact_details_errors_stay_next_to_the_field(
    mailing_app, db_session, smtp_server
) -> None:
    donor = make_donor(db_session, "details@example.org")
    give_once(db_session, donor)
    db_session.commit()
    client = sign_in(mailing_app, mailing_app.test_client(), smtp_server, "details@example.org")
    fields = {
        "de-first_name": "Dana",
        "de-last_name": "Newname",
        "de-address_line1": "Neue Straße 5",
        "de-postcode": "ABC",
        "de-city": "Berlin",
        "de-phone": "",
    }
    bad = _post(client, "/account/details/DE", "/account/details", **fields)
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200 and 'id="de-postcode-error"' in text
    assert 'value="Newname"' in text  # nothing typed is lost
    fields["de-postcode"] = "10117"
    assert _post(client, "/account/details/DE", "/account/details", **fields).status_code == 302
    db_session.expire_all()
    changed = db_session.get(Donor, donor.id)
    assert (changed.last_name, changed.address_line1, changed.postcode) == (
        "Newname",
        "Neue Straße 5",
        "10117",
    )


def test_a_receipt_of_this_year_is_corrected_on_request(
    mailing_app, db_session, smtp_server
) -> None:
    payment = seed(db_session, "DE")  # a kept gift; the worker issues, renders and emails
    drain(mailing_app)
    receipt = db_session.scalars(select(Receipt)).one()
    email = payment.donation.donor.email
    client = sign_in(mailing_app, mailing_app.test_client(), smtp_server, email)
    assert client.get(f"/account/receipts/{receipt.number}.pdf").get_data() == receipt.pdf
    _post(
        client,
        "/account/details/DE",
        "/account/details",
        **{
            "de-first_name": "Anna",
            "de-last_name": "Shirley",
            "de-address_line1": "2 Lane",
            "de-postcode": "10115",
            "de-city": "Berlin",
            "de-phone": "",
        },
    )
    page = client.get("/account/receipts").get_data(as_text=True)
    assert "Ask for a corrected receipt" in page
    _post(client, f"/account/receipts/{receipt.number}/correct", "/account/receipts")
    drain(mailing_app)
    db_session.expire_all()
    assert db_session.get(Receipt, receipt.id).status == "void"
    replacement = db_session.scalar(select(Receipt).where(Receipt.replaces_id == receipt.id))
    assert replacement is not None and replacement.status == "issued"
    assert replacement.donor_snapshot["full_name"] == "Anna Shirley"
    void_pdf = client.get(f"/account/receipts/{receipt.number}.pdf").get_data()
    assert void_pdf.startswith(b"%PDF") and void_pdf != receipt.pdf  # a copy stamped VOID
    assert client.get(f"/account/receipts/{replacement.number}.pdf").get_data() == replacement.pdf


def test_the_export_holds_everything_about_the_address(
    mailing_app, db_session, smtp_server
) -> None:
    donor = make_donor(db_session, "export@example.org")
    payment = give_once(db_session, donor)
    record_checkout(db_session, payment.donation)
    other = make_donor(db_session, "someone-else@example.org")
    give_once(db_session, other)
    db_session.commit()
    client = sign_in(mailing_app, mailing_app.test_client(), smtp_server, "export@example.org")
    answer = client.get("/account/data/export.json")
    assert answer.status_code == 200 and "attachment" in answer.headers["Content-Disposition"]
    held = json.loads(answer.get_data())
    assert held["email"] == "export@example.org"
    [mine] = held["donors"]
    assert mine["last_name"] == "Donor"
    assert [d["public_id"] for d in mine["donations"]] == [payment.donation.public_id]
    assert {c["notice"]["purpose"] for c in mine["consent"]} >= {"data_transfer"}
    assert "someone-else@example.org" not in answer.get_data(as_text=True)


def test_erasure_erases_now_or_says_until_when_and_signs_out(
    mailing_app, db_session, smtp_server
) -> None:
    donor = make_donor(db_session, "erase@example.org")
    give_once(db_session, donor)
    db_session.commit()
    client = sign_in(mailing_app, mailing_app.test_client(), smtp_server, "erase@example.org")
    preview = client.get("/account/data").get_data(as_text=True)
    assert "tax law makes us keep" in preview
    done = _post(client, "/account/data/erase", "/account/data")
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "is kept until" in text and "You are signed out." in text
    db_session.expire_all()
    assert db_session.get(Donor, donor.id).restricted_at is not None
    assert db_session.scalars(select(PortalSession)).all() == []  # signed out for good
    assert client.get("/account/").status_code == 302
