"""Links in emails: double opt-in, withdrawal, one-click unsubscribe, Gift Aid cancellation.

Donors walk the real wizard and press pay (the ledger rows are written then); a kept payment
queues the confirmation as payments do; a real worker sends it to an SMTP server on loopback;
the link in that email is then followed with the test client, as the donor's browser would.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from checkout.consent import links as links_module
from checkout.consent.decisions import suppress
from checkout.consent.models import ConsentRecord, Suppression
from checkout.consent.services import email_hash
from checkout.db import get_database
from checkout.donations.models import Donation, Payment
from checkout.offices import load_registry
from checkout.outbox.models import OutboxMessage
from checkout.outbox.worker import Worker, WorkerSettings
from checkout.paths import CONFIG_DIR
from checkout.payments import sync
from checkout.receipts.services import gift_aid_declared
from checkout.site.access_log import redact
from tests.wizard_driver import WizardDriver, details_data, pay_form, reach_details

OFFICES = load_registry(CONFIG_DIR / "offices.toml")


def pay_as(client, office_code: str, language: str = "en", **changes: str) -> None:
    """Walk the wizard as a donor of `office_code` and press pay (no Stripe needed)."""
    office = OFFICES.get(office_code)
    donor = WizardDriver(client, language=language)
    notice = reach_details(donor, office)
    donor.post("details", details_data(office, notice, **changes))
    donor.post("method", {"method": "card"})
    review = donor.get("/donate/review").get_data(as_text=True)
    client.post("/donate/pay", data=pay_form(review), headers=donor.headers)


def kept(session, paid_at: datetime | None = None) -> Donation:
    """The newest donation's payment succeeded: queue what a kept payment queues."""
    donation = session.scalars(select(Donation).order_by(Donation.id.desc())).first()
    payment = Payment(
        donation=donation,
        status="succeeded",
        amount_minor=donation.amount_minor,
        currency=donation.currency,
        paid_at=paid_at or datetime.now(UTC),
    )
    session.add(payment)
    session.flush()
    sync.mark_receipt_due(session, payment)
    session.commit()
    return donation


def rows(session, purpose: str) -> list[tuple[str, str]]:
    found = session.scalars(
        select(ConsentRecord).where(ConsentRecord.purpose == purpose).order_by(ConsentRecord.id)
    )
    return [(row.decision, row.form) for row in found]


def send_confirmations(app) -> None:
    """Run a worker until the queue is empty (receipts are issued and emailed too)."""
    worker = Worker(get_database(app).session_factory, WorkerSettings())
    with app.app_context():
        for _ in range(8):
            if worker.run_once() == 0:
                break


def link_in(message, action: str) -> str:
    """The path and query of the consent link for `action` in an email's text part."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(rf"https://give\.example\.org(/consent/{action}/[^\s]+)", text)
    assert found, text
    return found.group(1)


def press(client, path: str):
    """Open the link's page, then press its button (with the page's CSRF token)."""
    page = client.get(path)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token
    return client.post(path.split("?")[0], data={"csrf_token": token.group(1)})


def test_a_german_opt_in_counts_once_confirmed_from_the_email(
    mailing_app, client, db_session, smtp_server
) -> None:
    pay_as(client, "DE", "de", email_opt_in="y")
    assert rows(db_session, "email_fundraising") == [("granted", "wizard.details")]
    kept(db_session)
    send_confirmations(mailing_app)
    confirmation = next(m for m in smtp_server.messages if "Bitte bestätige" in m["Subject"])
    path = link_in(confirmation, "confirm")
    assert "alex" not in path.lower()  # no personal data in the link

    page = client.get(path)
    assert "Ja, schreib mir" in page.get_data(as_text=True)
    assert rows(db_session, "email_fundraising") == [("granted", "wizard.details")]  # GET: nothing

    done = press(client, path)
    assert done.status_code == 200
    assert rows(db_session, "email_fundraising") == [
        ("granted", "wizard.details"),
        ("confirmed", "email_link.confirm"),
    ]
    [grant, confirmed] = db_session.scalars(
        select(ConsentRecord).where(ConsentRecord.purpose == "email_fundraising")
    ).all()
    assert confirmed.notice_id == grant.notice_id  # it confirms the text the donor ticked
    assert confirmed.url == "/consent/confirm"  # the token is not kept
    assert confirmed.office_legal_name == OFFICES.get("DE").legal.legal_name
    press(client, path)  # clicking again adds nothing
    assert len(rows(db_session, "email_fundraising")) == 2


def test_the_confirmation_is_asked_once_however_many_instalments(
    mailing_app, client, db_session, smtp_server
) -> None:
    pay_as(client, "DE", "de", email_opt_in="y")
    kept(db_session)
    kept(db_session)
    queued = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.name == "consent.confirm_email")
    ).all()
    assert len(queued) == 1


def test_offices_without_double_opt_in_send_no_confirmation(
    mailing_app, client, db_session, smtp_server
) -> None:
    pay_as(client, "NL", "nl", email_opt_in="y")
    kept(db_session)
    send_confirmations(mailing_app)
    assert not [m for m in smtp_server.messages if "/consent/confirm/" in str(m)]


def test_no_confirmation_for_a_donor_who_did_not_opt_in(mailing_app, client, db_session) -> None:
    pay_as(client, "DE", "de")
    kept(db_session)
    assert not db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.name == "consent.confirm_email")
    ).all()


def test_an_expired_confirmation_link_is_a_clear_page(
    mailing_app, client, db_session, monkeypatch
) -> None:
    pay_as(client, "DE", "de", email_opt_in="y")
    donation = kept(db_session)
    signer = links_module.link_signer(mailing_app.config)
    long_ago = datetime.now(UTC) - timedelta(days=15)
    monkeypatch.setattr(links_module, "utcnow", lambda: long_ago)
    path = f"/consent/confirm/{signer.token(links_module.LinkAction.CONFIRM, donation.public_id)}"
    monkeypatch.undo()
    page = client.get(path + "?lang=de")
    assert page.status_code == 410
    assert "Dieser Link ist abgelaufen" in page.get_data(as_text=True)
    assert client.post(path).status_code in (400, 410)  # without CSRF or expired: never a row
    assert rows(db_session, "email_fundraising") == [("granted", "wizard.details")]


@pytest.mark.parametrize(
    "damage",
    [
        lambda token: token[:-2],
        lambda token: token[:10] + ("A" if token[10] != "A" else "B") + token[11:],
        lambda token: "not-a-token",
        lambda token: token + ".extra",
    ],
    ids=["truncated", "altered", "garbage", "extended"],
)
def test_a_tampered_link_is_a_clear_page(mailing_app, client, db_session, damage) -> None:
    pay_as(client, "DE", "de", email_opt_in="y")
    donation = kept(db_session)
    token = links_module.link_signer(mailing_app.config).token(
        links_module.LinkAction.WITHDRAW, donation.public_id
    )
    page = client.get(f"/consent/withdraw/{damage(token)}?lang=fr")
    assert page.status_code == 400
    assert "Ce lien ne fonctionne pas" in page.get_data(as_text=True)
    assert client.post(f"/consent/unsubscribe/{damage(token)}").status_code == 400
    assert rows(db_session, "email_fundraising") == [("granted", "wizard.details")]


def test_a_link_made_for_one_action_does_nothing_for_another(mailing_app, client, db_session):
    pay_as(client, "DE", "de", email_opt_in="y")
    donation = kept(db_session)
    withdraw = links_module.link_signer(mailing_app.config).token(
        links_module.LinkAction.WITHDRAW, donation.public_id
    )
    assert client.get(f"/consent/confirm/{withdraw}").status_code == 400
    assert client.get(f"/consent/cancel-gift-aid/{withdraw}").status_code == 400
    assert client.get(f"/consent/no-such-action/{withdraw}").status_code == 404


def test_withdrawal_from_the_receipt_email_suppresses_the_address(
    mailing_app, client, db_session, smtp_server
) -> None:
    pay_as(client, "NL", "nl", email_opt_in="y")
    kept(db_session)
    send_confirmations(mailing_app)  # issues, renders and emails the receipt too
    [receipt_email] = [m for m in smtp_server.messages if m.get_content_maintype() == "multipart"]
    path = link_in(receipt_email, "withdraw")
    assert receipt_email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/consent/unsubscribe/" in receipt_email["List-Unsubscribe"]

    press(client, path)
    assert rows(db_session, "email_fundraising") == [
        ("granted", "wizard.details"),
        ("withdrawn", "email_link.withdraw"),
    ]
    key = mailing_app.config["EVIDENCE_HASH_KEY"]
    [entry] = db_session.scalars(select(Suppression)).all()
    assert (entry.office_code, entry.email_hash) == ("NL", email_hash("Alex@Example.org", key))
    press(client, path)  # again: nothing more
    assert len(rows(db_session, "email_fundraising")) == 2
    assert len(db_session.scalars(select(Suppression)).all()) == 1


def test_one_click_unsubscribe_needs_no_page_and_no_csrf(mailing_app, client, db_session) -> None:
    pay_as(client, "UK", "en")  # never opted in: the objection is recorded all the same
    donation = kept(db_session)
    url = links_module.link_signer(mailing_app.config).one_click_url("", donation.public_id)
    answer = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 204
    assert rows(db_session, "email_fundraising") == [("withdrawn", "one_click.withdraw")]
    assert db_session.scalars(select(Suppression.office_code)).all() == ["UK"]


def test_a_new_opt_in_lifts_an_earlier_objection(mailing_app, client, db_session) -> None:
    pay_as(client, "UK", "en")
    donation = kept(db_session)
    url = links_module.link_signer(mailing_app.config).one_click_url("", donation.public_id)
    client.post(url)
    assert db_session.scalars(select(Suppression)).all()
    pay_as(mailing_app.test_client(), "UK", "en", email_opt_in="y")
    assert not db_session.scalars(select(Suppression)).all()


def test_a_german_opt_in_lifts_the_objection_only_once_confirmed(
    mailing_app, client, db_session
) -> None:
    pay_as(client, "DE", "de")
    first = kept(db_session)
    signer = links_module.link_signer(mailing_app.config)
    client.post(signer.one_click_url("", first.public_id))
    again = mailing_app.test_client()
    pay_as(again, "DE", "de", email_opt_in="y")
    second = kept(db_session)
    assert db_session.scalars(select(Suppression)).all()  # ticked, not yet confirmed
    confirm = signer.token(links_module.LinkAction.CONFIRM, second.public_id)
    press(again, f"/consent/confirm/{confirm}")
    assert not db_session.scalars(select(Suppression)).all()


def test_a_confirmation_after_a_withdrawal_does_not_revive_the_opt_in(
    mailing_app, client, db_session
) -> None:
    pay_as(client, "DE", "de", email_opt_in="y")
    donation = kept(db_session)
    signer = links_module.link_signer(mailing_app.config)
    client.post(signer.one_click_url("", donation.public_id))
    confirm = signer.token(links_module.LinkAction.CONFIRM, donation.public_id)
    page = press(client, f"/consent/confirm/{confirm}?lang=en")
    assert "no longer applies" in page.get_data(as_text=True)
    assert [d for d, _ in rows(db_session, "email_fundraising")] == ["granted", "withdrawn"]


def test_a_gift_aid_declaration_is_cancelled_and_kept(
    mailing_app, client, db_session, smtp_server
) -> None:
    pay_as(client, "UK", "en", gift_aid="y")
    paid_before = datetime.now(UTC) - timedelta(days=1)
    donation = kept(db_session, paid_at=paid_before)
    send_confirmations(mailing_app)
    [receipt_email] = smtp_server.messages
    path = link_in(receipt_email, "cancel-gift-aid")

    page = client.get(path)
    assert "Cancel your Gift Aid declaration" in page.get_data(as_text=True)
    press(client, path)
    assert [d for d, _ in rows(db_session, "gift_aid_declaration")] == ["granted", "withdrawn"]
    db_session.refresh(donation)
    assert donation.gift_aid_declared_at is not None  # the declaration is kept
    assert donation.gift_aid_cancelled_at is not None
    uk = OFFICES.get("UK")
    [before] = donation.payments
    assert gift_aid_declared(uk, [before]) == donation.gift_aid_declared_at  # still covered
    after = kept(db_session)  # the next instalment, after the cancellation
    assert gift_aid_declared(uk, [after.payments[-1]]) is None
    press(client, path)  # a second click: nothing more
    assert len(rows(db_session, "gift_aid_declaration")) == 2


def test_a_donor_without_a_declaration_has_nothing_to_cancel(
    mailing_app, client, db_session
) -> None:
    pay_as(client, "UK", "en")
    donation = kept(db_session)
    token = links_module.link_signer(mailing_app.config).token(
        links_module.LinkAction.CANCEL_GIFT_AID, donation.public_id
    )
    page = press(client, f"/consent/cancel-gift-aid/{token}")
    assert "no Gift Aid declaration" in page.get_data(as_text=True)
    assert rows(db_session, "gift_aid_declaration") == []


@pytest.mark.parametrize(
    ("action", "days_setting", "message"),
    [
        (links_module.LinkAction.WITHDRAW, "CONSENT_LINK_DAYS", "This link has expired"),
        (links_module.LinkAction.CANCEL_GIFT_AID, "CONSENT_LINK_DAYS", "This link has expired"),
    ],
)
def test_expired_withdrawal_and_gift_aid_links_say_whom_to_write_to(
    mailing_app, client, db_session, monkeypatch, action, days_setting, message
) -> None:
    pay_as(client, "UK", "en", gift_aid="y", email_opt_in="y")
    donation = kept(db_session)
    signer = links_module.link_signer(mailing_app.config)
    made = datetime.now(UTC) - timedelta(days=mailing_app.config[days_setting] + 1)
    monkeypatch.setattr(links_module, "utcnow", lambda: made)
    token = signer.token(action, donation.public_id)
    monkeypatch.undo()
    page = client.get(f"/consent/{action}/{token}")
    assert page.status_code == 410
    assert message in page.get_data(as_text=True)
    assert "write to the office" in page.get_data(as_text=True)
    answer = client.post(f"/consent/unsubscribe/{token}")
    assert answer.status_code in (400, 410)  # a gift-aid token is no unsubscribe token either
    decisions = {
        (p, d) for p, d in db_session.execute(select(ConsentRecord.purpose, ConsentRecord.decision))
    }
    assert ("email_fundraising", "withdrawn") not in decisions
    assert ("gift_aid_declaration", "withdrawn") not in decisions


def test_a_link_token_reveals_nothing_of_the_donation(mailing_app, client, db_session) -> None:
    """Signed-only tokens (itsdangerous) carried the donation id in readable base64."""
    pay_as(client, "DE", "de", email_opt_in="y")
    donation = kept(db_session)
    signer = links_module.link_signer(mailing_app.config)
    token = signer.token(links_module.LinkAction.WITHDRAW, donation.public_id)
    assert donation.public_id not in token
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert donation.public_id.encode() not in decoded
    # Two links for the same donation differ (a fresh IV each time) and both work.
    again = signer.token(links_module.LinkAction.WITHDRAW, donation.public_id)
    assert again != token
    assert signer.read(links_module.LinkAction.WITHDRAW, again) == donation.public_id


def test_tokens_never_reach_the_access_log(mailing_app, client, db_session, caplog) -> None:
    pay_as(client, "DE", "de", email_opt_in="y")
    donation = kept(db_session)
    token = links_module.link_signer(mailing_app.config).token(
        links_module.LinkAction.WITHDRAW, donation.public_id
    )
    request_log = logging.getLogger("werkzeug")
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        # What Werkzeug's server writes for each request (werkzeug.serving.log_request).
        request_log.info(
            '%s - - "%s" %s %s', "127.0.0.1", f"GET /consent/withdraw/{token} HTTP/1.1", "200", "-"
        )
    assert token not in caplog.text
    assert "/consent/withdraw/[token]" in caplog.text
    assert redact(f"/consent/unsubscribe/{token}?lang=de") == "/consent/unsubscribe/[token]?lang=de"
    assert redact("/donate/thanks/abc123") == "/donate/thanks/abc123"


@pytest.mark.parametrize("objected", ["after the opt-in", "before it"])
def test_an_address_that_objected_after_opting_in_gets_no_confirmation_email(
    mailing_app, client, db_session, smtp_server, objected
) -> None:
    """The suppression list is read: an objection later than the tick stops the email; an
    older one is what the new tick, once confirmed, lifts."""
    key = mailing_app.config["EVIDENCE_HASH_KEY"]
    if objected == "before it":
        suppress(db_session, "DE", "alex@example.org", key, "one_click")
        db_session.commit()
        time.sleep(0.01)
    pay_as(client, "DE", "de", email_opt_in="y")
    if objected == "after the opt-in":
        time.sleep(0.01)
        suppress(db_session, "DE", "Alex@Example.org", key, "support")
    kept(db_session)
    send_confirmations(mailing_app)
    asked = [m for m in smtp_server.messages if "/consent/confirm/" in str(m)]
    assert len(asked) == (0 if objected == "after the opt-in" else 1)
