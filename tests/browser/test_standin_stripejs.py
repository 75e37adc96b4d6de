"""The Stripe.js stand-in in Chromium: a test page mounts the Payment Element and pays.

The page is served from its own origin (like the checkout) and loads `<base>/v3/` from the
stand-in, so the calls cross origins as they do with js.stripe.com and api.stripe.com.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe
from playwright.sync_api import Browser, Page

from checkout.testing.stripe_standin.pytest_plugin import StandinAccount

pytestmark = pytest.mark.browser

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pay</title>
<script src="{base}/v3/"></script></head><body>
<form id="pay-form"><div id="payment-element"></div><button id="pay">Pay</button></form>
<p id="error" role="alert"></p>
<script>
const stripe = Stripe("{pk}");
const elements = stripe.elements({{clientSecret: "{secret}"}});
const payment = elements.create("payment");
payment.on("ready", () => document.body.dataset.ready = "yes");
payment.mount("#payment-element");
document.getElementById("pay-form").addEventListener("submit", async (event) => {{
  event.preventDefault();
  const result = await stripe.confirmPayment({{elements,
    confirmParams: {{return_url: window.location.origin + "/done"}}}});
  if (result.error) document.getElementById("error").textContent = result.error.message;
}});
</script></body></html>"""


@pytest.fixture(scope="module")
def page_server() -> Iterator[str]:
    """A tiny site serving the pay page (`/pay?...`) and the return page (`/done`)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            """Serve the pay page or the return page."""
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            body = (_PAGE.format(**query) if url.path == "/pay" else "<p>Thank you</p>").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser page."""
    context = chromium.new_context()
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _open(page: Page, site: str, account: StandinAccount, types: list[str]) -> str:
    """Create a €25 intent and open the pay page for it; return the intent id."""
    intent = account.client.v1.payment_intents.create(
        params={"amount": 2500, "currency": "eur", "allowed_payment_method_types": types}
    )  # type: ignore[typeddict-item]
    page.goto(
        f"{site}/pay?base={account.standin.base_url}&pk={account.publishable_key}"
        f"&secret={intent.client_secret}"
    )
    page.wait_for_selector("body[data-ready=yes]")
    return intent.id


def _fill_card(page: Page, number: str) -> None:
    """Type a test card into the Payment Element."""
    page.fill("input[name=cardnumber]", number)
    page.fill("input[name=exp-date]", "12 / 34")
    page.fill("input[name=cvc]", "123")


def _status(account: StandinAccount, intent_id: str) -> str:
    """The intent's status, read through the SDK."""
    return str(account.client.v1.payment_intents.retrieve(intent_id).status)


def test_card_payment(page: Page, page_server: str, standin_account: StandinAccount) -> None:
    intent_id = _open(page, page_server, standin_account, ["card", "sepa_debit"])
    _fill_card(page, "4242 4242 4242 4242")
    page.click("#pay")
    page.wait_for_url("**/done?**")
    query = parse_qs(urlsplit(page.url).query)
    assert query["payment_intent"] == [intent_id]
    assert query["redirect_status"] == ["succeeded"]
    assert _status(standin_account, intent_id) == "succeeded"


def test_3d_secure_payment(page: Page, page_server: str, standin_account: StandinAccount) -> None:
    intent_id = _open(page, page_server, standin_account, ["card"])
    _fill_card(page, "4000002500003155")
    page.click("#pay")
    page.wait_for_selector("#standin-complete")
    assert _status(standin_account, intent_id) == "requires_action"
    page.click("#standin-complete")
    page.wait_for_url("**/done?**redirect_status=succeeded**")
    assert _status(standin_account, intent_id) == "succeeded"


def test_sepa_debit(page: Page, page_server: str, standin_account: StandinAccount) -> None:
    intent_id = _open(page, page_server, standin_account, ["card", "sepa_debit"])
    page.check("input[name=standin-payment-type][value=sepa_debit]")
    page.fill("input[name=name]", "Dana Donor")
    page.fill("input[name=email]", "dana@example.org")
    page.fill("input[name=iban]", "DE89 3704 0044 0532 0130 00")
    page.click("#pay")
    page.wait_for_url("**/done?**redirect_status=processing**")
    assert _status(standin_account, intent_id) == "processing"
    standin_account.control.settle_debits(standin_account.secret_key)
    assert _status(standin_account, intent_id) == "succeeded"


def test_declined_card_shows_stripes_error(
    page: Page, page_server: str, standin_account: StandinAccount
) -> None:
    intent_id = _open(page, page_server, standin_account, ["card"])
    _fill_card(page, "4000000000000341")
    page.click("#pay")
    page.wait_for_selector("#error:has-text('declined')")
    intent = standin_account.client.v1.payment_intents.retrieve(intent_id)
    assert intent.status == "requires_payment_method"
    assert isinstance(intent.last_payment_error, stripe.StripeObject)
