"""Card testing in Chromium: the proof of work while the breaker is on, and a stopped payment.

Each test has its own live server on a fresh stand-in account, so a tripped breaker and the
decline counts stay its own.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from checkout import create_app, migrate
from checkout.counters import counters as app_counters
from checkout.payments.breaker import Breaker, BreakerSettings
from checkout.testing.stripe_standin.pytest_plugin import StandinAccount
from tests.browser.conftest import LiveServer
from tests.browser.test_payments_browser import fill_card, press_pay, to_pay_page
from tests.conftest import test_settings
from tests.payments_support import account_environ


@pytest.fixture
def guarded_server(
    tmp_path, stripe_standin, standin_account: StandinAccount
) -> Iterator[LiveServer]:
    """The app on its own database and stand-in account, with production's card limits."""
    url = f"sqlite:///{tmp_path / 'guarded.sqlite3'}"
    migrate.upgrade(url)
    settings = test_settings(
        url,
        STRIPE_API_BASE=stripe_standin.base_url,
        STRIPE_JS_URL=stripe_standin.base_url + "/v3/",
        STRIPE_MAX_NETWORK_RETRIES=0,
        CARD_BREAKER_MIN_FAILURES=5,
        PROOF_OF_WORK_COST=2000,
    )
    environ = account_environ(
        "DE", standin_account.secret_key, standin_account.publishable_key, "whsec_guarded"
    )
    app = create_app(settings, environ=environ)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, app.config["PUBLIC_BASE_URL"])
    server.shutdown()
    thread.join(timeout=5)


def trip_the_breaker(server: LiveServer) -> None:
    """Card testing elsewhere on the site: many attempts failed in the window."""
    with server.app.app_context():
        breaker = Breaker(app_counters(), BreakerSettings.from_config(server.app.config))
        for _ in range(6):
            breaker.record(failed=True)
        assert breaker.is_on()


def test_while_the_breaker_is_on_the_browser_solves_one_puzzle_and_the_donor_gives(
    guarded_server: LiveServer, open_page, standin_account: StandinAccount
) -> None:
    trip_the_breaker(guarded_server)
    page: Page = open_page("en-DE")
    page.goto(guarded_server.url("/donate"))
    page.get_by_label("Other amount", exact=True).check()
    page.get_by_label("Your amount").fill("25")
    page.get_by_role("button", name="Continue").click()
    for label, value in (
        ("First name", "Erika"),
        ("Last name", "Mustermann"),
        ("Email address", "erika@example.org"),
        ("Street and number", "Hauptstraße 1"),
        ("Postcode", "10115"),
        ("Town or city", "Berlin"),
    ):
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Card", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/donate/review$"))
    expect(page.get_by_text("your browser first solves a small puzzle")).to_be_visible()
    # The widget solves the challenge in our own worker and puts its answer in the form.
    solved = page.locator("form.pay-form input[name=altcha]")
    expect(solved).to_have_count(1, timeout=30_000)
    expect(solved).not_to_have_value("", timeout=30_000)
    page.locator("form.pay-form button[type=submit]").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/donate/pay$"))  # one solve was enough
    expect(page.locator("input[name=standin-payment-type]").first).to_be_attached()
    fill_card(page, "4242 4242 4242 4242")
    press_pay(page)
    expect(page).to_have_url(re.compile(r"/donate/thanks/"))
    expect(page.get_by_role("heading", name="Thank you!", exact=True)).to_be_visible()


def test_after_three_declines_the_page_says_what_to_do_next(
    guarded_server: LiveServer, open_page
) -> None:
    page: Page = open_page("en-DE")
    to_pay_page(page, guarded_server, "DE", amount="20")  # type: ignore[arg-type]
    error = page.locator("#payment-error")
    for number in ("4000 0000 0000 0002", "4000 0000 0000 9995", "4000 0000 0000 9987"):
        fill_card(page, number)
        press_pay(page)
        expect(error).not_to_have_text("")
        if number.endswith("9987"):
            break
        expect(page.locator("#payment-form button[type=submit]")).to_be_enabled()
    expect(error).to_contain_text("we stopped this payment after several declined attempts")
    expect(error).to_be_focused()
    expect(page.locator("#payment-form button[type=submit]")).to_be_disabled()
    restart = page.get_by_role("button", name="Choose another payment method")
    expect(restart).to_be_visible()
    restart.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/donate/review$"))
    expect(page.get_by_text("Erika Mustermann")).to_be_visible()  # nothing typed is lost
