"""Every portal page for a signed-in donor: what it shows, and that it shows it in every
language; another donor's ids answer 404 on every route that takes one."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from checkout.audit.models import AuditEvent
from checkout.receipts.models import Receipt
from tests.integration.test_receipt_delivery import drain, seed
from tests.portal_support import ask_for_link, csrf_of, sign_in
from tests.staff_support import make_donor_records


@pytest.fixture
def records(db_session):
    """A DE donor with a one-time gift (receipted), a monthly gift; a UK stranger likewise."""
    mine = make_donor_records(db_session, "DE", "mine@example.org")
    other = make_donor_records(db_session, "UK", "other@example.org", currency="GBP")
    db_session.commit()
    return mine, other


def test_the_pages_show_the_donors_own_giving(mailing_app, db_session, smtp_server, records):
    mine, other = records
    client = sign_in(mailing_app, mailing_app.test_client(), smtp_server, "mine@example.org")
    home = client.get("/account/").get_data(as_text=True)
    assert mine.payment.donation.public_id in home
    assert mine.plan.donation.public_id in home
    assert other.payment.donation.public_id not in home
    assert f"/account/receipts/{mine.receipt.number}.pdf" in home
    for path in (
        "/account/receipts",
        f"/account/gifts/{mine.plan.donation.public_id}",
        f"/account/gifts/{mine.plan.donation.public_id}/cancel",
        f"/account/gifts/{mine.plan.donation.public_id}/payment-method",
        "/account/consent",
        "/account/details",
        "/account/data",
    ):
        for language in ("en", "de", "nl", "fr"):
            page = client.get(f"{path}?lang={language}")
            assert page.status_code == 200, (path, language, page.get_data(as_text=True)[:400])
            text = page.get_data(as_text=True)
            assert f'lang="{language}"' in text
            assert "other@example.org" not in text and other.receipt.number not in text


def test_a_receipt_downloads_as_the_stored_bytes(mailing_app, db_session, smtp_server, records):
    mine, _other = records
    client = sign_in(mailing_app, mailing_app.test_client(), smtp_server, "mine@example.org")
    pdf = client.get(f"/account/receipts/{mine.receipt.number}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.get_data() == mine.receipt.pdf
    assert pdf.headers["Cache-Control"] == "no-store"
    downloads = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "portal.download_receipt")
    ).all()
    assert [(e.actor_kind, e.donor_id, e.object_id) for e in downloads] == [
        ("donor", mine.donor.id, mine.receipt.number)
    ]


def _fill(rule: str, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", lambda m: values[m.group(1)], rule)


def test_every_portal_route_answers_404_for_another_donors_ids(
    mailing_app: Flask, db_session, smtp_server, records
) -> None:
    _mine, other = records
    theirs = {
        "public_id": other.plan.donation.public_id,
        "number": other.receipt.number,
        "office_code": "UK",
        "year": "2025",
        "action": "withdraw_email",
    }
    client = sign_in(mailing_app, mailing_app.test_client(), smtp_server, "mine@example.org")
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get("/account/").get_data(as_text=True)
    )
    assert token
    tried = []
    for rule in mailing_app.url_map.iter_rules():
        if not rule.rule.startswith("/account/") or not rule.arguments or "token" in rule.arguments:
            continue
        path = _fill(rule.rule, theirs)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(
                path,
                method=method,
                data={"csrf_token": token.group(1)},
                headers={"X-CSRFToken": token.group(1)},
            )
            tried.append((method, rule.rule))
            assert answer.status_code == 404, (method, path, answer.status_code)
    assert len(tried) == 13, tried  # every route that takes an id, each of its methods
    # And nothing of theirs changed or was shown: their receipt and plan stand as they were.
    db_session.expire_all()
    assert db_session.get(Receipt, other.receipt.id).status == "issued"
    assert other.plan.status == "active"
    denied = db_session.scalars(
        select(AuditEvent).where(AuditEvent.outcome == "denied", AuditEvent.actor_kind == "donor")
    ).all()
    assert len(denied) == len(tried)


def test_odd_requests_to_every_portal_route_never_answer_5xx(
    mailing_app: Flask, db_session, smtp_server, records
) -> None:
    from tests.routes_support import BODIES

    mine, _other = records
    values = {
        "public_id": mine.plan.donation.public_id,
        "number": mine.receipt.number,
        "office_code": "DE",
        "year": "2025",
        "action": "declare_gift_aid",
        "token": "x" * 43,
    }
    client = sign_in(mailing_app, mailing_app.test_client(), smtp_server, "mine@example.org")
    failures = []
    for rule in mailing_app.url_map.iter_rules():
        if not rule.rule.startswith(("/account", "/signup")) or "sign-out" in rule.rule:
            continue
        for body, content_type in BODIES:
            for method in ("GET", "POST"):
                answer = client.open(
                    _fill(rule.rule, values), method=method, data=body, content_type=content_type
                )
                if answer.status_code >= 500:
                    failures.append((method, rule.rule, body[:30], answer.status_code))
    assert failures == []


def test_sign_in_requests_per_client_address_are_limited(mailing_app, db_session) -> None:
    mailing_app.config["PORTAL_ADDRESS_RATE_LIMIT"] = "2 per hour"
    client = mailing_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    answers = [ask_for_link(client, f"someone{n}@example.org") for n in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    token = csrf_of(client.get("/account/sign-in?lang=de"))
    german = client.post(
        "/account/sign-in?lang=de", data={"csrf_token": token, "email": "x@example.org"}
    )
    assert german.status_code == 429 and "Zu viele Versuche" in german.get_data(as_text=True)


def test_receipt_emails_and_the_thank_you_page_link_to_the_portal(
    mailing_app, db_session, smtp_server
) -> None:
    payment = seed(db_session, "UK")
    drain(mailing_app)
    [email] = smtp_server.messages
    assert "https://give.example.org/account/" in email.get_body(("plain",)).get_content()
    assert 'href="https://give.example.org/account/"' in email.get_body(("html",)).get_content()
    client = mailing_app.test_client()
    with client.session_transaction() as kept:
        kept["gifts"] = [payment.donation.public_id]  # this browser made the gift
    thanks = client.get(f"/donate/thanks/{payment.donation.public_id}").get_data(as_text=True)
    assert 'href="/account/sign-in"' in thanks and 'href="/signup"' in thanks


def test_a_dutch_cancel_page_warns_about_periodic_gifts(
    mailing_app, db_session, smtp_server, records
) -> None:
    dutch = make_donor_records(db_session, "NL", "dutch@example.org")
    db_session.commit()
    client = sign_in(mailing_app, mailing_app.test_client(), smtp_server, "dutch@example.org")
    page = client.get(f"/account/gifts/{dutch.plan.donation.public_id}/cancel?lang=nl")
    assert "periodieke gift" in page.get_data(as_text=True)
    mine, _other = records
    german = sign_in(mailing_app, mailing_app.test_client(), smtp_server, "mine@example.org")
    other = german.get(f"/account/gifts/{mine.plan.donation.public_id}/cancel")
    assert "data-periodic-gift" not in other.get_data(as_text=True)


def test_the_plan_started_email_links_to_the_portal(mailing_app, db_session, smtp_server) -> None:
    from checkout.outbox.registry import enqueue
    from checkout.payments.sync import PLAN_STARTED
    from tests.portal_support import give_monthly, make_donor

    plan = give_monthly(db_session, make_donor(db_session, "sepa@example.org"), "sub_s", "cus_s")
    plan.mandate_reference = "MANDATE-1"
    enqueue(db_session, PLAN_STARTED, f"plan-started-{plan.id}", {"plan_id": plan.id})
    db_session.commit()
    drain(mailing_app)
    [email] = smtp_server.messages
    assert "has started" in str(email["Subject"])
    assert "https://give.example.org/account/" in email.get_body(("plain",)).get_content()
    assert 'href="https://give.example.org/account/"' in email.get_body(("html",)).get_content()
