"""Card testing: every card attempt passes our server and its limits before it reaches Stripe.

Against the real stand-in over HTTP, with the real `stripe` SDK: the browser's part (making a
ConfirmationToken with the publishable key) is played with the same HTTP call Stripe.js makes.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import stripe
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from checkout.donations.models import Donation
from checkout.payments.models import PaymentAttempt
from tests.card_support import CARDS, DECLINING, card_token, confirm, csrf_of, sepa_token, solve
from tests.payments_support import Office, account_environ
from tests.wizard_driver import (
    WizardDriver,
    amount_data,
    details_data,
    pay_form,
    reach_details,
    reach_review,
    registry_of,
)

ATTACKER, DONOR = "198.51.100.66", "203.0.113.10"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def make_app(bound_apps, stripe_standin, standin_account) -> Callable[..., Flask]:
    """Apps with DE on a fresh stand-in account, inside the test's transaction."""
    environ = account_environ(
        "DE", standin_account.secret_key, standin_account.publishable_key, "whsec_ct"
    )

    def maker(**settings: Any) -> Flask:
        return bound_apps(
            environ,
            STRIPE_API_BASE=stripe_standin.base_url,
            STRIPE_MAX_NETWORK_RETRIES=0,
            PUBLIC_BASE_URL="https://give.example.org",
            **settings,
        )

    return maker


def browser(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def start_paying(
    client: FlaskClient, method: str = "card", proof: bool = False, email: str = ""
) -> Any:
    """Walk the wizard as a DE donor and press "Donate"; the pay page (or what came instead)."""
    donor = WizardDriver(client)
    office = registry_of(client).get("DE")
    if email:
        notice = reach_details(donor, office)
        donor.post("details", details_data(office, notice, email=email))
        donor.post("method", {"method": method})
        review = donor.get("/donate/review")
    else:
        review = reach_review(donor, office, method=method)
    form = pay_form(review.get_data(as_text=True))
    payload = solve(review.get_data(as_text=True)) if proof else None
    if payload:
        form["altcha"] = payload
    response = client.post("/donate/pay", data=form)
    if response.headers.get("Location") != "/donate/pay":
        return response
    return client.get("/donate/pay")


def newest_donation(db_session) -> Donation:
    """The newest donation, as the requests left it."""
    db_session.expire_all()
    donation = db_session.scalars(select(Donation).order_by(Donation.id.desc())).first()
    assert donation is not None
    return donation


# --- the path every card attempt takes ---------------------------------------------------------


def test_a_card_gift_is_confirmed_by_our_server(make_app, standin_account, stripe_standin) -> None:
    app = make_app()
    client = browser(app, DONOR)
    page = start_paying(client)
    html = page.get_data(as_text=True)
    assert "client_secret" not in html and "_secret_" not in html  # nothing to confirm with
    token = card_token(stripe_standin.base_url, standin_account.publishable_key, "visa")
    answer = confirm(client, token, csrf_of(page))
    assert answer.status_code == 200, answer.json
    assert answer.json["outcome"] == "done"
    assert answer.json["redirect"].startswith("/donate/return/")
    counted = standin_account.control.payment_attempts(standin_account.secret_key)
    assert (counted.total, counted.succeeded) == (1, 1)
    assert client.get(answer.json["redirect"]).status_code == 302  # the return page syncs


def test_the_browser_alone_cannot_confirm_a_card_payment(
    make_app, standin_account, stripe_standin, db_session
) -> None:
    """No client-side path: the one-time card intent refuses the publishable key."""
    app = make_app()
    start_paying(browser(app, ATTACKER))
    donation = newest_donation(db_session)
    as_browser = stripe.StripeClient(
        standin_account.publishable_key,
        base_addresses={"api": stripe_standin.base_url},
        max_network_retries=0,
    )
    with pytest.raises(stripe.StripeError):
        as_browser.v1.payment_intents.confirm(
            donation.stripe_payment_intent_id,
            params={
                "client_secret": donation.stripe_client_secret,  # even knowing the secret
                "payment_method": "pm_card_chargeDeclined",
            },  # type: ignore[typeddict-unknown-key]
        )
    assert standin_account.control.payment_attempts(standin_account.secret_key).total == 0


def test_declines_are_told_and_the_intent_is_cancelled_after_a_few(
    make_app, standin_account, stripe_standin, db_session
) -> None:
    app = make_app(CARD_DECLINES_PER_INTENT=3, CARD_DECLINES_PER_ADDRESS="50 per hour")
    client = browser(app, DONOR)
    page = start_paying(client)
    csrf = csrf_of(page)
    outcomes = []
    for card in ("declined", "insufficient", "lost", "visa"):
        token = card_token(stripe_standin.base_url, standin_account.publishable_key, card)
        answer = confirm(client, token, csrf)
        outcomes.append((answer.json["outcome"], answer.json.get("message", "")))
    assert outcomes[0][0] == "declined" and "declined" in outcomes[0][1]
    assert outcomes[1] == ("declined", "Your card has insufficient funds. Please try another card.")
    assert outcomes[2][0] == "stopped"
    assert "start again with another card or payment method" in outcomes[2][1]
    assert outcomes[3][0] == "done"  # the gift is over: the page goes to its thank-you page
    donation = newest_donation(db_session)
    assert donation.status == "canceled"
    intent = standin_account.client.v1.payment_intents.retrieve(donation.stripe_payment_intent_id)
    assert intent.status == "canceled"
    assert standin_account.control.payment_attempts(standin_account.secret_key).total == 3


def test_a_blocked_address_is_told_how_long_to_wait_in_its_language(
    make_app, standin_account, stripe_standin
) -> None:
    app = make_app(CARD_DECLINES_PER_ADDRESS="2 per hour", CARD_DECLINES_PER_INTENT=10)
    client = browser(app, ATTACKER)
    client.get("/donate?lang=de")
    page = start_paying(client)
    csrf = csrf_of(page)
    for card in ("declined", "lost"):
        confirm(
            client, card_token(stripe_standin.base_url, standin_account.publishable_key, card), csrf
        )
    token = card_token(stripe_standin.base_url, standin_account.publishable_key, "visa")
    answer = confirm(client, token, csrf)
    assert answer.status_code == 429
    assert answer.json["outcome"] == "refused"
    assert 3000 < int(answer.headers["Retry-After"]) <= 3600
    assert "bitte warte" in answer.json["message"] and "Stunde" in answer.json["message"]
    assert standin_account.control.payment_attempts(standin_account.secret_key).total == 2


def test_declines_follow_the_card_and_the_email_across_addresses(
    make_app, standin_account, stripe_standin
) -> None:
    app = make_app(
        CARD_DECLINES_PER_FINGERPRINT="2 per day",
        CARD_DECLINES_PER_EMAIL="50 per day",
        CARD_DECLINES_PER_INTENT=10,
    )
    pk, base = standin_account.publishable_key, stripe_standin.base_url
    for n in range(2):
        client = browser(app, f"192.0.2.{n + 1}")
        page = start_paying(client)
        confirm(client, card_token(base, pk, "lost"), csrf_of(page))
    client = browser(app, "192.0.2.9")
    page = start_paying(client)
    answer = confirm(client, card_token(base, pk, "lost"), csrf_of(page))
    assert answer.json["outcome"] == "refused"
    # The same donor with another card from this address is not affected by that card.
    assert confirm(client, card_token(base, pk, "visa"), csrf_of(page)).json["outcome"] == "done"

    app = make_app(CARD_DECLINES_PER_EMAIL="2 per day", CARD_DECLINES_PER_INTENT=10)
    for n, card in enumerate(("declined", "expired")):
        client = browser(app, f"192.0.2.{n + 20}")
        page = start_paying(client)
        confirm(client, card_token(base, pk, card), csrf_of(page))
    client = browser(app, "192.0.2.30")
    page = start_paying(client)  # the same email (the driver's donor) from a third address
    assert confirm(client, card_token(base, pk, "visa"), csrf_of(page)).json["outcome"] == "refused"


def test_3d_secure_in_the_page_then_our_server_confirms_again(
    make_app, standin_account, stripe_standin
) -> None:
    app = make_app()
    client = browser(app, DONOR)
    page = start_paying(client)
    csrf = csrf_of(page)
    answer = confirm(
        client, card_token(stripe_standin.base_url, standin_account.publishable_key, "3ds"), csrf
    )
    assert answer.json["outcome"] == "action"
    intent = answer.json["client_secret"].split("_secret_")[0]
    assert standin_account.control.authenticate(standin_account.secret_key, intent) == (
        "requires_confirmation"
    )
    after = confirm(client, None, csrf)
    assert after.json["outcome"] == "done"
    counted = standin_account.control.payment_attempts(standin_account.secret_key)
    assert counted.succeeded == 1


def test_a_failed_3d_secure_counts_as_a_decline(make_app, standin_account, stripe_standin) -> None:
    app = make_app()
    client = browser(app, DONOR)
    page = start_paying(client)
    csrf = csrf_of(page)
    answer = confirm(
        client, card_token(stripe_standin.base_url, standin_account.publishable_key, "3ds"), csrf
    )
    intent = answer.json["client_secret"].split("_secret_")[0]
    standin_account.control.authenticate(standin_account.secret_key, intent, succeed=False)
    after = confirm(client, None, csrf)
    assert after.json["outcome"] == "declined"
    assert "could not confirm" in after.json["message"]
    assert confirm(client, None, csrf).status_code == 400  # counted once, not again


def test_sepa_and_monthly_gifts_are_confirmed_by_our_server(
    make_app, standin_account, stripe_standin, db_session
) -> None:
    app = make_app()
    pk, base = standin_account.publishable_key, stripe_standin.base_url
    client = browser(app, DONOR)
    page = start_paying(client, method="sepa_debit")
    assert confirm(client, sepa_token(base, pk), csrf_of(page)).json["outcome"] == "done"
    intent = standin_account.client.v1.payment_intents.retrieve(
        newest_donation(db_session).stripe_payment_intent_id
    )
    assert intent.status == "processing"

    client = browser(app, DONOR)
    driver = WizardDriver(client)
    office = registry_of(client).get("DE")
    notice = reach_details(driver, office)
    driver.post("amount", amount_data(office, frequency="monthly"))
    driver.post("details", details_data(office, notice))
    driver.post("method", {"method": "card"})
    review = driver.get("/donate/review").get_data(as_text=True)
    client.post("/donate/pay", data=pay_form(review))
    page = client.get("/donate/pay")
    assert "mode&#34;: &#34;subscription" in page.get_data(
        as_text=True
    ) or "subscription" in page.get_data(as_text=True)
    assert confirm(client, card_token(base, pk, "visa"), csrf_of(page)).json["outcome"] == "done"
    plan = newest_donation(db_session).plan
    assert plan is not None
    subscription = standin_account.client.v1.subscriptions.retrieve(plan.stripe_subscription_id)
    assert subscription.status == "active"


@pytest.mark.parametrize(
    "body",
    [
        {"confirmation_token": "not-a-token"},
        {"confirmation_token": 42},
        {"confirmation_token": "ctoken_doesnotexist"},
        {"after_action": True},
        {},
    ],
)
def test_odd_bodies_are_clear_4xx(make_app, body) -> None:
    app = make_app()
    client = browser(app, DONOR)
    page = start_paying(client)
    answer = client.post("/donate/pay/confirm", json=body, headers={"X-CSRFToken": csrf_of(page)})
    assert answer.status_code == 400
    assert answer.json["outcome"] == "invalid"


def test_the_confirm_endpoint_needs_the_csrf_token(
    make_app, standin_account, stripe_standin
) -> None:
    app = make_app()
    client = browser(app, DONOR)
    start_paying(client)
    token = card_token(stripe_standin.base_url, standin_account.publishable_key, "visa")
    assert client.post("/donate/pay/confirm", json={"confirmation_token": token}).status_code == 400
    assert standin_account.control.payment_attempts(standin_account.secret_key).total == 0


# --- the site-wide breaker and proof of work ----------------------------------------------------


def test_the_breaker_asks_new_starts_for_proof_of_work_and_switches_off_by_itself(
    make_app, standin_account, stripe_standin
) -> None:
    app = make_app(
        CARD_BREAKER_MIN_FAILURES=3,
        CARD_BREAKER_RATE=0.5,
        CARD_BREAKER_HOLD="2 seconds",
        CARD_DECLINES_PER_INTENT=10,
        PROOF_OF_WORK_COST=100,
    )
    pk, base = standin_account.publishable_key, stripe_standin.base_url
    attacker = browser(app, ATTACKER)
    page = start_paying(attacker)
    for card in DECLINING[:3]:
        confirm(attacker, card_token(base, pk, card), csrf_of(page))

    donor = browser(app, DONOR)
    refused = start_paying(donor)
    assert refused.headers["Location"] == "/donate/review"
    review = donor.get("/donate/review").get_data(as_text=True)
    assert "altcha-widget" in review and "solves a small puzzle" in review
    assert "Please wait until your browser has solved the puzzle" in review
    payload = solve(review)
    form = pay_form(review) | {"altcha": payload}
    assert donor.post("/donate/pay", data=form).headers["Location"] == "/donate/pay"

    replay = browser(app, "203.0.113.11")
    review = reach_review(WizardDriver(replay), registry_of(replay).get("DE"), method="card")
    form = pay_form(review.get_data(as_text=True)) | {"altcha": payload}
    assert replay.post("/donate/pay", data=form).headers["Location"] == "/donate/review"

    import time

    time.sleep(2.2)  # the hold passes; nothing failed since
    assert "altcha-widget" not in replay.get("/donate/review").get_data(as_text=True)
    assert (
        replay.post("/donate/pay", data=pay_form(review.get_data(as_text=True))).headers["Location"]
        == "/donate/pay"
    )


# --- the acceptance figure ----------------------------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
def storage(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """The rate-limit store: each process's memory, or the Redis every process shares."""
    prefix = f"ct-{secrets.token_hex(6)}"
    if request.param == "memory":
        yield "memory://", prefix
        return
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError as error:
        if IN_CI:
            pytest.fail(f"CI=true and Redis is unreachable at {REDIS_URL}: {error}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {error}")
    yield REDIS_URL, prefix
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)


def test_a_burst_of_300_declined_cards_from_one_address(
    make_app, standin_account, stripe_standin, storage
) -> None:
    """At most 20 of 300 declined attempts reach Stripe; another donor still gives.

    The attacker is determined: a new draft whenever a payment is stopped, a fresh card each
    time, and the proof of work solved whenever asked. Two "web processes" serve the burst
    in turn, sharing the store (Redis) as production does.
    """
    uri, prefix = storage
    settings = {
        "RATELIMIT_STORAGE_URI": uri,
        "RATELIMIT_KEY_PREFIX": prefix,
        "COUNTERS_PREFIX": prefix,
        "PROOF_OF_WORK_COST": 200,
    }
    processes = [make_app(**settings) for _ in range(2 if uri != "memory://" else 1)]
    pk, base, key = (
        standin_account.publishable_key,
        stripe_standin.base_url,
        standin_account.secret_key,
    )
    page, tried, outcomes = None, 0, []
    client = browser(processes[0], ATTACKER)
    while tried < 300:
        if page is None or outcomes[-1:] == ["stopped"]:
            # A new browser session (cookies cleared) on the other process, a new draft.
            client = browser(processes[tried % len(processes)], ATTACKER)
            started = start_paying(client, proof=True, email=f"t{tried}@mailinator.example")
            page = started if started.status_code == 200 else None
            if page is None:  # a limit refused the start: the attempt goes nowhere
                outcomes.append(f"start {started.status_code}")
                tried += 1
                continue
        token = card_token(base, pk, DECLINING[tried % len(DECLINING)])
        answer = confirm(client, token, csrf_of(page))
        outcomes.append(answer.json["outcome"] if answer.is_json else str(answer.status_code))
        tried += 1
    reached = standin_account.control.payment_attempts(key)
    assert reached.succeeded == 0
    assert reached.total <= 20, (reached, outcomes[:40])

    donor = browser(processes[-1], DONOR)
    first = start_paying(donor, email="erika@example.org")
    solves = 0
    if first.status_code == 302:  # the breaker is on: one proof of work
        solves += 1
        first = start_paying(donor, proof=True, email="erika@example.org")
    assert first.status_code == 200
    answer = confirm(donor, card_token(base, pk, "visa"), csrf_of(first))
    assert answer.json["outcome"] == "done"
    assert solves <= 1
    assert standin_account.control.payment_attempts(key).succeeded == 1


def test_tries_that_bypass_our_server_on_a_plans_first_intent_are_counted_and_stop_it(
    make_app, standin_account, stripe_standin, db_session
) -> None:
    """The one client-side window: a monthly gift's first invoice PaymentIntent is Stripe's own
    (automatic confirmation), and 3-D Secure showed its client secret. Declined tries made with
    it from a browser arrive as webhooks; they count like ours, and the plan stops at the limit.
    """
    app = make_app(CARD_DECLINES_PER_INTENT=3)
    pk, base = standin_account.publishable_key, stripe_standin.base_url
    client = browser(app, ATTACKER)
    driver = WizardDriver(client)
    office = registry_of(client).get("DE")
    notice = reach_details(driver, office)
    driver.post("amount", amount_data(office, frequency="monthly"))
    driver.post("details", details_data(office, notice))
    driver.post("method", {"method": "card"})
    client.post("/donate/pay", data=pay_form(driver.get("/donate/review").get_data(as_text=True)))
    page = client.get("/donate/pay")
    answer = confirm(client, card_token(base, pk, "3ds"), csrf_of(page))
    assert answer.json["outcome"] == "action"
    secret = answer.json["client_secret"]
    intent = secret.split("_secret_")[0]
    since = int(time.time()) - 1
    as_browser = stripe.StripeClient(pk, base_addresses={"api": base}, max_network_retries=0)
    for card in ("declined", "insufficient", "lost"):
        method = as_browser.raw_request(
            "post",
            "/v1/payment_methods",
            type="card",
            card={"number": CARDS[card], "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        )
        method_id = as_browser.deserialize(method, api_mode="V1").id
        with pytest.raises(stripe.CardError):
            as_browser.raw_request(
                "post",
                f"/v1/payment_intents/{intent}/confirm",
                client_secret=secret,
                payment_method=method_id,
            )
    de = Office("DE", app, standin_account.client, webhook_secret="whsec_ct")
    events = de.events_about({intent}, since)
    assert set(de.deliver(events)) == {200}
    donation = newest_donation(db_session)
    assert donation.status == "canceled"
    subscription = standin_account.client.v1.subscriptions.retrieve(
        donation.plan.stripe_subscription_id
    )
    assert subscription.status in ("canceled", "incomplete_expired")
    outside = db_session.scalars(
        select(PaymentAttempt).where(PaymentAttempt.decline_code == "outside_our_server")
    ).all()
    assert len(outside) == 3
    assert set(de.deliver(events)) == {200}  # redelivered: counted once


class CountingGateway:
    """The app's real gateway, counting the PaymentIntent look-ups that pass through it."""

    def __init__(self, real: Any) -> None:
        self.real, self.lookups = real, 0

    def payment_intent(self, office: str, intent_id: str) -> Any:
        self.lookups += 1
        return self.real.payment_intent(office, intent_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_reloading_the_return_page_does_not_ask_stripe_each_time(
    make_app, standin_account, stripe_standin
) -> None:
    app = make_app(RETURN_SYNC_LIMIT="2 per minute")
    counting = CountingGateway(app.extensions["checkout.gateway"])
    app.extensions["checkout.gateway"] = counting
    client = browser(app, DONOR)
    page = start_paying(client)
    declined = confirm(
        client,
        card_token(stripe_standin.base_url, standin_account.publishable_key, "declined"),
        csrf_of(page),
    )
    assert declined.json["outcome"] == "declined"  # the donation waits for another try
    public_id = re.search(r"/donate/return/([^\"?]+)", page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    counting.lookups = 0
    for _ in range(10):
        assert client.get(f"/donate/return/{public_id}").status_code == 302
    assert counting.lookups == 2
