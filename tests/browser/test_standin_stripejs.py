"""The Stripe.js stand-in in Chromium, on a test checkout with a strict security policy.

The checkout (`standin_site.py`) is served from its own origin and loads `<base>/v3/` from
the stand-in, so the calls cross origins as they do with js.stripe.com and api.stripe.com.
Its Content-Security-Policy allows no inline script or style: every test fails if the
stand-in's Stripe.js needs either (a violation is logged to the console and counted).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import stripe
from playwright.sync_api import Browser, FrameLocator, Locator, Page, expect

from checkout.testing.stripe_standin.pytest_plugin import RunningStandin, StandinAccount
from tests.browser.standin_site import Site, serve

pytestmark = pytest.mark.browser

DIALOG_NAME = "Confirm your payment"


@pytest.fixture(scope="module")
def site(stripe_standin: RunningStandin) -> Iterator[Site]:
    """The test checkout, for the whole module."""
    with serve(stripe_standin.base_url) as running:
        yield running


@pytest.fixture
def shop(site: Site, standin_account: StandinAccount) -> Site:
    """The test checkout, paying into this test's fresh account."""
    site.account = standin_account
    site.tokens.clear()
    return site


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser page; any Content-Security-Policy violation fails the test."""
    context = chromium.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert violations == []


def _open_secret_flow(page: Page, shop: Site, types: list[str]) -> str:
    """Create a €25 intent and open the pay page for it (confirmPayment); return its id."""
    assert shop.account is not None
    intent = shop.account.client.v1.payment_intents.create(
        params={"amount": 2500, "currency": "eur", "allowed_payment_method_types": types}  # type: ignore[typeddict-item]
    )
    _open(page, shop, flow="secret", secret=str(intent.client_secret))
    return intent.id


def _open(page: Page, shop: Site, **settings: str) -> None:
    """Open the pay page with `settings` for its script, and wait for the Payment Element."""
    assert shop.account is not None
    query = {"base": shop.standin_url, "pk": shop.account.publishable_key, **settings}
    page.goto(f"{shop.url}/pay?{urlencode(query)}")
    page.wait_for_selector("body[data-ready=yes]")


def _fill_card(page: Page, number: str) -> None:
    """Type a test card into the Payment Element."""
    page.fill("input[name=cardnumber]", number)
    page.fill("input[name=exp-date]", "12 / 34")
    page.fill("input[name=cvc]", "123")


def _status(account: StandinAccount | None, intent_id: str) -> str:
    """The intent's status, read through the SDK."""
    assert account is not None
    return str(account.client.v1.payment_intents.retrieve(intent_id).status)


def _attempts(shop: Site) -> int:
    """How many payment attempts reached the stand-in for this test's account."""
    assert shop.account is not None
    return shop.account.control.payment_attempts(shop.account.secret_key).total


def _dialog(page: Page) -> tuple[Locator, FrameLocator]:
    """The 3-D Secure dialog, once shown with its authentication page loaded."""
    dialog = page.get_by_role("dialog", name=DIALOG_NAME)
    expect(dialog).to_be_visible()
    frame = dialog.frame_locator("iframe")
    expect(frame.locator("#standin-complete")).to_be_visible()
    return dialog, frame


def _intent_of_last_token(shop: Site) -> str:
    """The PaymentIntent the server confirmed with the browser's last ConfirmationToken."""
    assert shop.account is not None
    token = shop.account.client.v1.confirmation_tokens.retrieve(shop.tokens[-1])
    assert token.payment_intent is not None
    return token.payment_intent


# --- the page's policy ----------------------------------------------------------------------


def test_the_policy_refuses_inline_style_so_the_other_tests_can_fail(
    chromium: Browser, shop: Site
) -> None:
    context = chromium.new_context()
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    _open(page, shop, flow="token", types="card")
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    expect(page.locator("body")).not_to_have_css("color", "rgb(255, 0, 0)")
    context.close()
    assert any("Content Security Policy" in m and "style" in m for m in messages)


# --- confirmPayment with the client secret --------------------------------------------------


def test_card_payment(page: Page, shop: Site) -> None:
    intent_id = _open_secret_flow(page, shop, ["card", "sepa_debit"])
    _fill_card(page, "4242 4242 4242 4242")
    page.click("#pay")
    page.wait_for_url("**/done?**")
    query = parse_qs(urlsplit(page.url).query)
    assert query["payment_intent"] == [intent_id]
    assert query["redirect_status"] == ["succeeded"]
    assert _status(shop.account, intent_id) == "succeeded"


def test_confirm_payment_shows_3d_secure_in_a_dialog_then_returns(page: Page, shop: Site) -> None:
    intent_id = _open_secret_flow(page, shop, ["card"])
    pay_url = page.url
    _fill_card(page, "4000002500003155")
    page.click("#pay")
    _dialog_shown, frame = _dialog(page)
    assert page.url == pay_url  # in the page, not a redirect
    assert _status(shop.account, intent_id) == "requires_action"
    frame.locator("#standin-complete").click()
    page.wait_for_url("**/done?**redirect_status=succeeded**")
    assert _status(shop.account, intent_id) == "succeeded"


def test_confirm_payment_resolves_a_failed_3d_secure_with_an_error(page: Page, shop: Site) -> None:
    intent_id = _open_secret_flow(page, shop, ["card"])
    pay_url = page.url
    _fill_card(page, "4000002500003155")
    page.click("#pay")
    dialog, frame = _dialog(page)
    frame.locator("#standin-fail").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#error")).to_have_attribute(
        "data-code", "payment_intent_authentication_failure"
    )
    expect(page.locator("#error")).to_have_attribute("data-intent", intent_id)
    assert page.url == pay_url
    assert _status(shop.account, intent_id) == "requires_payment_method"


def test_confirm_payment_sends_ideal_to_the_bank_and_back(page: Page, shop: Site) -> None:
    intent_id = _open_secret_flow(page, shop, ["ideal"])
    page.click("#pay")
    page.wait_for_url(f"{shop.standin_url}/_standin/authenticate/**")
    page.click("#standin-complete")
    page.wait_for_url("**/done?**redirect_status=succeeded**")
    assert _status(shop.account, intent_id) == "succeeded"


def test_sepa_debit(page: Page, shop: Site) -> None:
    intent_id = _open_secret_flow(page, shop, ["card", "sepa_debit"])
    page.check("input[name=standin-payment-type][value=sepa_debit]")
    page.fill("input[name=name]", "Dana Donor")
    page.fill("input[name=email]", "dana@example.org")
    page.fill("input[name=iban]", "DE89 3704 0044 0532 0130 00")
    page.click("#pay")
    page.wait_for_url("**/done?**redirect_status=processing**")
    assert _status(shop.account, intent_id) == "processing"
    assert shop.account is not None
    shop.account.control.settle_debits(shop.account.secret_key)
    assert _status(shop.account, intent_id) == "succeeded"


def test_declined_card_shows_stripes_error(page: Page, shop: Site) -> None:
    intent_id = _open_secret_flow(page, shop, ["card"])
    _fill_card(page, "4000000000000341")
    page.click("#pay")
    page.wait_for_selector("#error:has-text('declined')")
    assert shop.account is not None
    intent = shop.account.client.v1.payment_intents.retrieve(intent_id)
    assert intent.status == "requires_payment_method"
    assert isinstance(intent.last_payment_error, stripe.StripeObject)


# --- a ConfirmationToken, confirmed by the server -------------------------------------------


def test_card_token_is_confirmed_by_the_server(page: Page, shop: Site) -> None:
    _open(page, shop, flow="token", types="card,sepa_debit")
    _fill_card(page, "4242 4242 4242 4242")
    page.click("#pay")
    expect(page.locator("#status")).to_have_text("succeeded")
    assert re.fullmatch(r"ctoken_\w+", shop.tokens[-1])
    assert _status(shop.account, _intent_of_last_token(shop)) == "succeeded"
    assert _attempts(shop) == 1


def test_a_declined_token_payment_is_reported_by_the_server(page: Page, shop: Site) -> None:
    _open(page, shop, flow="token", types="card")
    _fill_card(page, "4000 0000 0000 9995")
    page.click("#pay")
    expect(page.locator("#error")).to_have_attribute("data-code", "card_declined")
    expect(page.locator("#error")).to_have_text("Your card has insufficient funds.")
    assert _attempts(shop) == 1


def test_deferred_elements_offer_the_given_types_and_prefill_the_debit_form(
    page: Page, shop: Site
) -> None:
    _open(
        page,
        shop,
        flow="token",
        types="card,sepa_debit",
        name="Dana Donor",
        email="dana@example.org",
    )
    radios = page.locator("input[name=standin-payment-type]")
    assert [radios.nth(i).get_attribute("value") for i in range(radios.count())] == [
        "card",
        "sepa_debit",
    ]
    page.check("input[name=standin-payment-type][value=sepa_debit]")
    expect(page.locator("input[name=name]")).to_have_value("Dana Donor")
    expect(page.locator("input[name=email]")).to_have_value("dana@example.org")
    page.fill("input[name=iban]", "DE89 3704 0044 0532 0130 00")
    page.click("#pay")
    expect(page.locator("#status")).to_have_text("processing")
    assert shop.account is not None
    client = shop.account.client
    intent = client.v1.payment_intents.retrieve(
        _intent_of_last_token(shop), params={"expand": ["latest_charge"]}
    )
    charge = intent.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert charge.billing_details.name == "Dana Donor"
    details = charge.payment_method_details
    assert details is not None
    assert details.sepa_debit is not None
    mandate = client.v1.mandates.retrieve(str(details.sepa_debit.mandate))
    online = mandate.customer_acceptance.online
    assert online is not None
    assert online.user_agent == page.evaluate("navigator.userAgent")
    assert online.ip_address == "127.0.0.1"


def test_handle_next_action_3d_secure_in_a_dialog_by_keyboard_then_manual_confirm(
    page: Page, shop: Site
) -> None:
    _open(page, shop, flow="token", types="card", confirmation="manual")
    _fill_card(page, "4000 0025 0000 3155")
    page.click("#pay")
    dialog, frame = _dialog(page)
    expect(dialog).to_be_focused()
    expect(dialog).to_have_attribute("aria-modal", "true")
    intent_id = _intent_of_last_token(shop)
    assert (_status(shop.account, intent_id), _attempts(shop)) == ("requires_action", 0)
    page.keyboard.press("Tab")
    expect(frame.locator("#standin-complete")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text("succeeded")
    expect(dialog).to_be_hidden()
    # 3-D Secure alone moved no money: the server's second confirmation did.
    expect(page.locator("#status")).to_have_attribute("data-after-action", "requires_confirmation")
    assert _attempts(shop) == 1
    expect(page.locator("#pay")).to_be_focused()


def test_handle_next_action_failed_3d_secure_resolves_the_authentication_error(
    page: Page, shop: Site
) -> None:
    _open(page, shop, flow="token", types="card")
    _fill_card(page, "4000 0025 0000 3155")
    page.click("#pay")
    dialog, frame = _dialog(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(frame.locator("#standin-fail")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    error = page.locator("#error")
    expect(error).to_have_attribute("data-code", "payment_intent_authentication_failure")
    intent_id = _intent_of_last_token(shop)
    expect(error).to_have_attribute("data-intent", intent_id)
    assert _status(shop.account, intent_id) == "requires_payment_method"
    assert _attempts(shop) == 0


def test_leaving_the_3d_secure_dialog_fails_the_authentication(page: Page, shop: Site) -> None:
    _open(page, shop, flow="token", types="card")
    _fill_card(page, "4000 0025 0000 3155")
    page.click("#pay")
    dialog, _frame = _dialog(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#error")).to_have_attribute(
        "data-code", "payment_intent_authentication_failure"
    )


def test_handle_next_action_sends_ideal_to_the_bank_and_back(page: Page, shop: Site) -> None:
    _open(page, shop, flow="token", types="ideal")
    page.click("#pay")
    page.wait_for_url(f"{shop.standin_url}/_standin/authenticate/**")
    page.click("#standin-complete")
    page.wait_for_url("**/done?**redirect_status=succeeded**")
    assert _status(shop.account, _intent_of_last_token(shop)) == "succeeded"
