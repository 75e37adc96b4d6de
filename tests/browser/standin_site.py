"""A tiny checkout for the Stripe.js stand-in's browser tests, on its own origin.

It serves its pages under a strict Content-Security-Policy (no inline script or style; only
the stand-in may be framed and called), its page script as a file (`standin_page.js`), and
the server half of server-side confirmation: `POST /confirm` creates and confirms a
PaymentIntent with the browser's ConfirmationToken, `POST /confirm-again` confirms a manual
one after 3-D Secure, both with the current test account's secret key.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import stripe

from checkout.testing.stripe_standin.pytest_plugin import StandinAccount
from checkout.testing.stripe_standin.receiver import loopback_server

_SCRIPT = Path(__file__).with_name("standin_page.js").read_bytes()
_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pay</title>
<script src="{base}/v3/"></script></head><body>
<div id="config" {data}></div>
<form id="pay-form"><div id="payment-element"></div><button id="pay">Pay</button></form>
<p id="status" role="status"></p><p id="error" role="alert"></p>
<script src="/page.js"></script></body></html>"""


@dataclass
class Site:
    """The running site: its address, the stand-in's, and the account paying through it."""

    url: str
    standin_url: str
    account: StandinAccount | None = None
    #: The ConfirmationTokens the server received, in order.
    tokens: list[str] = field(default_factory=list)

    def policy(self) -> str:
        """The pages' Content-Security-Policy: the stand-in is the only other origin."""
        standin = self.standin_url
        return (
            f"script-src 'self' {standin}; frame-src {standin}; "
            f"connect-src 'self' {standin}; style-src 'self' {standin}"
        )

    def confirm(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create and confirm a €25 PaymentIntent with the browser's ConfirmationToken."""
        assert self.account is not None
        self.tokens.append(str(body["confirmation_token"]))
        intent = self.account.client.v1.payment_intents.create(
            params={
                "amount": 2500,
                "currency": "eur",
                "allowed_payment_method_types": body["types"].split(","),
                "confirm": True,
                "confirmation_token": self.tokens[-1],
                "confirmation_method": body["confirmation"],
            }
        )
        return {"id": intent.id, "status": intent.status, "client_secret": intent.client_secret}

    def confirm_again(self, body: dict[str, Any]) -> dict[str, Any]:
        """Confirm a manual PaymentIntent once its 3-D Secure is done: this charges it."""
        assert self.account is not None
        intent = self.account.client.v1.payment_intents.confirm(str(body["payment_intent"]))
        return {"id": intent.id, "status": intent.status}


def _page(site: Site, query: dict[str, str]) -> bytes:
    """The pay page; its script reads the flow's settings from #config's data attributes."""
    data = " ".join(
        f'data-{name}="{html.escape(value)}"' for name, value in query.items() if name != "base"
    )
    return _PAGE.format(base=html.escape(site.standin_url), data=data).encode()


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    """The request handler of `site`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            """The pay page (/pay), its script, or the return page."""
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/page.js":
                self._send(_SCRIPT, "application/javascript")
            elif url.path == "/pay":
                self._send(_page(site, query), "text/html; charset=utf-8")
            else:
                self._send(b"<p>Thank you</p>", "text/html; charset=utf-8")

        def do_POST(self) -> None:
            """The server half of server-side confirmation; Stripe's errors as JSON."""
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            action = site.confirm if self.path == "/confirm" else site.confirm_again
            try:
                answer = action(body)
            except stripe.StripeError as error:
                answer = {"error": {"message": error.user_message, "code": error.code}}
            self._send(json.dumps(answer).encode(), "application/json")

        def _send(self, body: bytes, content_type: str) -> None:
            """Answer 200 with the site's security policy."""
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Security-Policy", site.policy())
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet."""

    return Handler


@contextmanager
def serve(standin_url: str) -> Iterator[Site]:
    """Run the site on a free loopback port until the block ends."""
    site = Site("", standin_url)
    with loopback_server(_handler(site)) as base_url:
        site.url = base_url
        yield site
