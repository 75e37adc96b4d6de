"""Contract tests: the same scenarios against the stand-in and against localstripe.

localstripe (PyPI, GPL-3.0) runs as an external process from its own virtualenv
(`make localstripe` builds .venv/localstripe); it is never imported. Where it speaks an older
API than the SDK's (payment_method_types, no mandate_data, raw card numbers with the secret
key, latest_charge expanded), the backend adapters below say so; the assertions are the same
for both. Differences are listed in checkout/testing/stripe_standin/README.md.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import stripe

from checkout.testing.stripe_standin.pytest_plugin import RunningStandin
from checkout.testing.stripe_standin.receiver import webhook_receiver

pytestmark = pytest.mark.contract
LOCALSTRIPE = Path(__file__).resolve().parents[2] / ".venv" / "localstripe" / "bin" / "localstripe"
IN_CI = os.environ.get("CI", "").lower() == "true"
MANDATE = {
    "customer_acceptance": {
        "type": "online",
        "online": {"ip_address": "192.0.2.1", "user_agent": "t"},
    }
}


@dataclass
class Backend:
    """One fake Stripe: a client, and how to do the few things the two do differently."""

    name: str
    client: stripe.StripeClient
    card: Callable[[str], str]
    settle: Callable[[], None]
    register_webhook: Callable[[str, str], None]
    old_api: bool  # localstripe: payment_method_types and no mandate_data

    def types(self, kinds: list[str]) -> dict[str, Any]:
        """The parameter that restricts payment method types, in this backend's API."""
        return {"payment_method_types" if self.old_api else "allowed_payment_method_types": kinds}

    def mandate(self) -> dict[str, Any]:
        """mandate_data where the backend knows it (Stripe requires it for debits)."""
        return {} if self.old_api else {"mandate_data": MANDATE}


def _free_port() -> int:
    """A free loopback port for localstripe (which cannot pick one itself)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def localstripe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """localstripe started from its own virtualenv; skip (or fail under CI) without it."""
    if not LOCALSTRIPE.exists():
        reason = f"localstripe is not installed at {LOCALSTRIPE}: run `make localstripe`"
        if IN_CI:
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    port = _free_port()
    log = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(LOCALSTRIPE), "--port", str(port), "--from-scratch"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    _wait_until_up(url, process, log)
    yield url
    process.terminate()
    process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll until localstripe answers HTTP."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            urllib.request.urlopen(f"{url}/v1/customers", timeout=1).close()  # noqa: S310
        except urllib.error.HTTPError:
            return  # it answers (401 without a key)
        except OSError:
            time.sleep(0.1)
            continue
        return
    process.kill()
    pytest.fail(f"localstripe did not start:\n{log.read_text()}")


def _standin(running: RunningStandin) -> Backend:
    """The stand-in: cards by number through the publishable key, as Stripe.js sends them."""
    suffix = secrets.token_hex(8)
    key, publishable = f"sk_test_{suffix}", running.client(f"pk_test_{suffix}")

    def card(number: str) -> str:
        return str(
            publishable.v1.payment_methods.create(
                params={
                    "type": "card",
                    "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
                }
            ).id
        )

    return Backend(
        "standin",
        running.client(key),
        card,
        lambda: running.control.settle_debits(key) and None,
        lambda url, secret: running.control.register_webhook(key, url, secret) and None,
        old_api=False,
    )


def _localstripe(url: str) -> Backend:
    """localstripe: raw card numbers with the secret key; debits settle after a delay."""
    client = stripe.StripeClient(
        "sk_test_contract", base_addresses={"api": url}, max_network_retries=0
    )

    def card(number: str) -> str:
        return str(
            client.v1.payment_methods.create(
                params={
                    "type": "card",
                    "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
                }
            ).id
        )

    def register(target: str, secret: str) -> None:
        body = json.dumps({"url": target, "secret": secret}).encode()
        request = urllib.request.Request(  # noqa: S310
            f"{url}/_config/webhooks/contract{secrets.token_hex(4)}",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=5).close()  # noqa: S310

    return Backend("localstripe", client, card, lambda: time.sleep(6), register, old_api=True)


@pytest.fixture(params=["standin", "localstripe"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each scenario runs once per backend."""
    if request.param == "standin":
        return _standin(request.getfixturevalue("stripe_standin"))
    return _localstripe(request.getfixturevalue("localstripe_url"))


def _charge_id(intent: stripe.PaymentIntent) -> str:
    """latest_charge as an id (localstripe answers it expanded)."""
    charge: Any = intent.latest_charge
    return str(charge if isinstance(charge, str) else charge["id"])


def _pay(backend: Backend, method: str, kinds: list[str], **extra: Any) -> stripe.PaymentIntent:
    """Create and confirm a €10 intent with our metadata, as the gateway does."""
    return backend.client.v1.payment_intents.create(
        params={  # type: ignore[misc]
            "amount": 1000,
            "currency": "eur",
            "confirm": True,
            "payment_method": method,
            "metadata": {"donation": "7", "office": "DE"},
            **backend.types(kinds),
            **extra,
        }
    )


def test_customer(backend: Backend) -> None:
    made = backend.client.v1.customers.create(
        params={"email": "c@example.org", "name": "C", "metadata": {"donor": "9"}}
    )
    found = backend.client.v1.customers.retrieve(made.id)
    assert (found.email, found.name, found.metadata.to_dict()) == (
        "c@example.org",
        "C",
        {"donor": "9"},
    )


def test_card_success(backend: Backend) -> None:
    intent = _pay(backend, backend.card("4242424242424242"), ["card"])
    assert (intent.status, intent.amount, intent.currency) == ("succeeded", 1000, "eur")
    assert intent.metadata.to_dict() == {"donation": "7", "office": "DE"}
    charge = backend.client.v1.charges.retrieve(_charge_id(intent))
    assert (charge.status, charge.payment_intent) == ("succeeded", intent.id)


def test_card_decline(backend: Backend) -> None:
    with pytest.raises(stripe.CardError) as caught:
        _pay(backend, backend.card("4000000000000341"), ["card"])
    assert caught.value.code == "card_declined"
    intent_id = caught.value.json_body["error"].get("payment_intent", {}).get("id")
    if intent_id:  # localstripe does not put the intent in the error
        intent = backend.client.v1.payment_intents.retrieve(intent_id)
        assert intent.status == "requires_payment_method"
        assert intent.last_payment_error is not None
        assert intent.last_payment_error.code == "card_declined"


def test_card_3d_secure(backend: Backend) -> None:
    intent = _pay(backend, backend.card("4000002500003155"), ["card"])
    assert intent.status == "requires_action"
    assert intent.next_action is not None
    assert intent.next_action.type == "use_stripe_sdk"


@pytest.mark.parametrize(
    ("iban", "final"),
    [
        ("DE89370400440532013000", "succeeded"),
        ("DE62370400440532013001", "requires_payment_method"),
    ],
)
def test_sepa(backend: Backend, iban: str, final: str) -> None:
    method = backend.client.v1.payment_methods.create(
        params={
            "type": "sepa_debit",
            "sepa_debit": {"iban": iban},
            "billing_details": {"name": "S", "email": "s@example.org"},
        }
    )
    intent = _pay(backend, method.id, ["sepa_debit"], **backend.mandate())
    assert intent.status in ("processing", "succeeded")
    backend.settle()
    after = backend.client.v1.payment_intents.retrieve(intent.id)
    assert after.status == final
    if final != "succeeded":
        assert after.last_payment_error is not None


def test_partial_refund(backend: Backend) -> None:
    intent = _pay(backend, backend.card("4242424242424242"), ["card"])
    partial = backend.client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 300})
    assert (partial.status, partial.amount, partial.charge) == (
        "succeeded",
        300,
        _charge_id(intent),
    )


def test_full_refund(backend: Backend) -> None:
    # Only a full refund of an untouched charge: localstripe refunds the whole amount again
    # after a partial refund (see the README's differences).
    intent = _pay(backend, backend.card("4242424242424242"), ["card"])
    full = backend.client.v1.refunds.create(params={"charge": _charge_id(intent)})
    assert (full.status, full.amount) == ("succeeded", 1000)


def test_signed_webhooks(backend: Backend) -> None:
    secret = "whsec_contract_" + secrets.token_hex(6)
    with webhook_receiver() as receiver:
        backend.register_webhook(receiver.url, secret)
        intent = _pay(backend, backend.card("4242424242424242"), ["card"])
        deadline = time.monotonic() + 10
        events: list[stripe.Event] = []
        while time.monotonic() < deadline and not _succeeded(events, intent.id):
            events = [
                stripe.Webhook.construct_event(r.body, r.signature, secret)
                for r in list(receiver.received)
            ]
            time.sleep(0.05)
    assert _succeeded(events, intent.id), [e.type for e in events]


def _succeeded(events: list[stripe.Event], intent_id: str) -> bool:
    """Tell whether a verified payment_intent.succeeded event for `intent_id` arrived."""
    return any(
        e.type == "payment_intent.succeeded" and e.data.object["id"] == intent_id for e in events
    )
