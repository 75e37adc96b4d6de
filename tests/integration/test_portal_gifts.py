"""Changing a recurring gift in the portal, through the gateway to the real stand-in: a new
amount from the next debit on, a pause and its end, stopping after the save offer, a new
card by SetupIntent; each confirmed by email, each in the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from flask import Flask
from sqlalchemy import select

from checkout import create_app
from checkout.audit.models import AuditEvent
from checkout.db import get_database
from checkout.donations.models import RecurringPlan
from checkout.mail.sending import close_all
from checkout.portal.models import PlanChange
from checkout.testing.stripe_standin.pytest_plugin import StandinAccount
from tests.card_support import card_token, sepa_token
from tests.conftest import test_settings
from tests.integration.test_receipt_delivery import drain
from tests.payments_support import account_environ
from tests.portal_support import csrf_of, give_monthly, make_donor, sign_in
from tests.standin.test_setup_intents import _post as submit
from tests.standin.test_subscriptions import _confirm_first_invoice, _subscribe


@pytest.fixture
def app(connection, database_url, standin_account: StandinAccount, smtp_server) -> Iterator[Flask]:
    """The app with the DE office on a fresh stand-in account, mailing to the SMTP sink."""
    settings = test_settings(
        database_url,
        STRIPE_API_BASE=standin_account.standin.base_url,
        STRIPE_MAX_NETWORK_RETRIES=0,
        MAIL_TRANSPORT="smtp",
        SMTP_HOST=smtp_server.host,
        SMTP_PORT=smtp_server.port,
        SMTP_SECURITY="none",
        PUBLIC_BASE_URL="https://give.example.org",
    )
    environ = account_environ(
        "DE", standin_account.secret_key, standin_account.publishable_key, "whsec_portal"
    )
    app = create_app(settings, environ=environ)
    get_database(app).bind_to(connection)
    yield app
    close_all()
    get_database(app).engine.dispose()


@pytest.fixture
def plan(db_session, standin_account: StandinAccount) -> RecurringPlan:
    """An active €15 monthly gift at the stand-in, its first invoice paid with a Visa card."""
    subscription = _subscribe(standin_account)
    _confirm_first_invoice(standin_account, subscription)
    donor = make_donor(db_session, "monthly@example.org")
    made = give_monthly(
        db_session, donor, subscription.id, str(subscription.customer), amount_minor=1500
    )
    db_session.commit()
    return made


def _gift_page(client, plan: RecurringPlan, suffix: str = "") -> Any:
    return client.get(f"/account/gifts/{plan.donation.public_id}{suffix}")


def _post(client, plan: RecurringPlan, action: str, **data: str) -> Any:
    page = _gift_page(client, plan)
    return client.post(
        f"/account/gifts/{plan.donation.public_id}/{action}",
        data={"csrf_token": csrf_of(page), **data},
    )


def _signed_in(app, smtp_server) -> Any:
    return sign_in(app, app.test_client(), smtp_server, "monthly@example.org")


def _emails(app, smtp_server, subject: str) -> list[Any]:
    drain(app)
    return [m for m in smtp_server.messages if subject in str(m["Subject"])]


def test_a_lower_amount_applies_from_the_next_debit(
    app, db_session, smtp_server, plan, standin_account
) -> None:
    client = _signed_in(app, smtp_server)
    done = _post(client, plan, "amount", amount="7.50")
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "from your next debit on you give €7.50" in page
    sub = standin_account.client.v1.subscriptions.retrieve(plan.stripe_subscription_id)
    assert sub["items"].data[0].price.unit_amount == 750
    db_session.expire_all()
    assert db_session.get(RecurringPlan, plan.id).amount_minor == 750
    change = db_session.scalars(select(PlanChange)).one()
    assert (change.kind, change.status, change.amount_minor) == ("amount", "done", 750)
    [email] = _emails(app, smtp_server, "has changed")
    assert "€7.50 each month" in email.get_body(("plain",)).get_content()
    standin_account.control.advance_to_next_renewal(standin_account.secret_key)
    invoices = standin_account.client.v1.invoices.list(
        params={"subscription": plan.stripe_subscription_id}
    ).data
    assert [i.amount_due for i in invoices][:2] == [750, 1500]  # newest first
    assert _audited(db_session, "portal.amount_gift") == ["amount_minor=750"]


def test_an_amount_outside_the_limits_is_refused_next_to_the_field(
    app, db_session, smtp_server, plan, standin_account
) -> None:
    client = _signed_in(app, smtp_server)
    for typed, message in (
        ("2", "Please enter an amount from €5.00 to €25,000.00."),
        ("abc", "Please enter an amount as a number"),
        ("", "Please enter an amount."),
    ):
        page = _post(client, plan, "amount", amount=typed)
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and message in text
        assert 'id="amount-error"' in text and f'value="{typed}"' in text
    sub = standin_account.client.v1.subscriptions.retrieve(plan.stripe_subscription_id)
    assert sub["items"].data[0].price.unit_amount == 1500
    assert db_session.scalars(select(PlanChange)).all() == []


def test_pause_for_two_months_then_resume(
    app, db_session, smtp_server, plan, standin_account
) -> None:
    client = _signed_in(app, smtp_server)
    assert _post(client, plan, "pause", months="2").status_code == 302
    sub = standin_account.client.v1.subscriptions.retrieve(plan.stripe_subscription_id)
    assert sub.pause_collection is not None and sub.pause_collection.behavior == "void"
    resumes = sub.pause_collection.resumes_at
    assert resumes is not None
    db_session.expire_all()
    paused = db_session.get(RecurringPlan, plan.id)
    assert paused.pause_collection == "void" and paused.paused_until is not None
    assert int(paused.paused_until.timestamp()) == resumes
    assert "Paused until" in _gift_page(client, plan).get_data(as_text=True)
    assert _post(client, plan, "resume").status_code == 302
    sub = standin_account.client.v1.subscriptions.retrieve(plan.stripe_subscription_id)
    assert sub.pause_collection is None
    emails = _emails(app, smtp_server, "has changed")
    bodies = [e.get_body(("plain",)).get_content() for e in emails]
    assert any("You paused your recurring gift" in b for b in bodies)
    assert any("You resumed your recurring gift" in b for b in bodies)


def test_stopping_comes_after_the_offer_to_lower_or_pause(
    app, db_session, smtp_server, plan, standin_account
) -> None:
    client = _signed_in(app, smtp_server)
    offer = _gift_page(client, plan, "/cancel").get_data(as_text=True)
    assert "Give a smaller amount" in offer and "Take a break instead" in offer
    assert "Stop my gift" in offer
    done = _post(client, plan, "cancel")
    assert done.status_code == 302
    sub = standin_account.client.v1.subscriptions.retrieve(plan.stripe_subscription_id)
    assert sub.status == "canceled"
    db_session.expire_all()
    assert db_session.get(RecurringPlan, plan.id).status == "canceled"
    assert "This gift has ended" in _gift_page(client, plan).get_data(as_text=True)
    [email] = _emails(app, smtp_server, "has changed")
    assert "no further debits" in email.get_body(("plain",)).get_content()


def _confirm_method(client, plan: RecurringPlan, body: dict[str, Any]) -> Any:
    page = _gift_page(client, plan, "/payment-method")
    return client.post(
        f"/account/gifts/{plan.donation.public_id}/payment-method",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-CSRFToken": csrf_of(page)},
    )


def test_a_new_card_is_saved_and_pays_the_next_debit(
    app, db_session, smtp_server, plan, standin_account
) -> None:
    client = _signed_in(app, smtp_server)
    base, pk = standin_account.standin.base_url, standin_account.publishable_key
    answer = _confirm_method(
        client, plan, {"confirmation_token": card_token(base, pk, "5555555555554444")}
    )
    assert answer.status_code == 200 and answer.get_json()["outcome"] == "done"
    sub = standin_account.client.v1.subscriptions.retrieve(
        plan.stripe_subscription_id, params={"expand": ["default_payment_method"]}
    )
    method = sub.default_payment_method
    assert isinstance(method, stripe.PaymentMethod) and method.card.last4 == "4444"  # type: ignore[union-attr]
    assert "ending 4444" in _gift_page(client, plan).get_data(as_text=True)
    [email] = _emails(app, smtp_server, "has changed")
    assert "ending 4444" in email.get_body(("plain",)).get_content()
    standin_account.control.advance_to_next_renewal(standin_account.secret_key)
    charges = standin_account.client.v1.charges.list(params={"customer": str(sub.customer)}).data
    assert charges[0].payment_method_details.card.last4 == "4444"  # type: ignore[union-attr]


def test_a_declined_card_says_why_and_changes_nothing(
    app, db_session, smtp_server, plan, standin_account
) -> None:
    client = _signed_in(app, smtp_server)
    base, pk = standin_account.standin.base_url, standin_account.publishable_key
    answer = _confirm_method(
        client, plan, {"confirmation_token": card_token(base, pk, "insufficient")}
    )
    body = answer.get_json()
    assert body["outcome"] == "declined" and "insufficient funds" in body["message"]
    sub = standin_account.client.v1.subscriptions.retrieve(plan.stripe_subscription_id)
    first = sub.default_payment_method
    assert _confirm_method(client, plan, {"confirmation_token": "not-a-token"}).status_code == 400
    assert (
        standin_account.client.v1.subscriptions.retrieve(
            plan.stripe_subscription_id
        ).default_payment_method
        == first
    )


def test_3d_secure_runs_in_the_page_then_the_server_looks_again(
    app, db_session, smtp_server, plan, standin_account
) -> None:
    client = _signed_in(app, smtp_server)
    base, pk = standin_account.standin.base_url, standin_account.publishable_key
    answer = _confirm_method(
        client, plan, {"confirmation_token": card_token(base, pk, "3ds")}
    ).get_json()
    assert answer["outcome"] == "action" and answer["client_secret"].startswith("seti_")
    intent_id = answer["client_secret"].split("_secret_")[0]
    intent = standin_account.client.v1.setup_intents.retrieve(intent_id)
    page = str(intent.next_action.use_stripe_sdk["stripe_js"])  # type: ignore[union-attr,index]
    submit(page, {"client_secret": answer["client_secret"], "action": "complete"})
    again = _confirm_method(client, plan, {"after_action": True}).get_json()
    assert again["outcome"] == "done"


def test_a_sepa_plan_gets_a_new_mandate_and_the_pre_notification(
    app, db_session, smtp_server, standin_account
) -> None:
    # A SEPA plan whose debits come from a bank account; its first invoice's debit is not
    # needed here: the change of account is what is tested.
    subscription = _subscribe(standin_account, types=["sepa_debit"])
    donor = make_donor(db_session, "monthly@example.org")
    plan = give_monthly(db_session, donor, subscription.id, str(subscription.customer))
    plan.donation.method = "sepa_debit"
    plan.mandate_reference = "OLD-MANDATE"
    db_session.commit()
    client = _signed_in(app, smtp_server)
    base, pk = standin_account.standin.base_url, standin_account.publishable_key
    answer = _confirm_method(client, plan, {"confirmation_token": sepa_token(base, pk)}).get_json()
    assert answer["outcome"] == "done"
    db_session.expire_all()
    changed = db_session.get(RecurringPlan, plan.id)
    assert changed.mandate_reference not in (None, "OLD-MANDATE")
    [email] = _emails(app, smtp_server, "has changed")
    text = email.get_body(("plain",)).get_content()
    assert "SEPA DIRECT DEBIT PRE-NOTIFICATION" in text
    assert f"Mandate reference: {changed.mandate_reference}" in text


def _audited(db_session, action: str) -> list[str]:
    return [
        e.detail
        for e in db_session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        if e.actor_kind == "donor"
    ]
