"""Every portal page for a signed-in donor: what it shows, and that it shows it in every
language; another donor's ids answer 404 on every route that takes one."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from checkout.audit.models import AuditEvent
from checkout.receipts.models import Receipt
from tests.portal_support import sign_in
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
