"""SetupIntents at the stand-in, through the real stripe SDK over HTTP: a card or bank account
saved for a customer's later payments, confirmed by the server with a ConfirmationToken."""

from __future__ import annotations

import urllib.parse
import urllib.request
from typing import Any

import pytest
import stripe

from checkout.testing.stripe_standin.pytest_plugin import StandinAccount
from tests.card_support import card_token, sepa_token
from tests.standin.test_subscriptions import _confirm_first_invoice, _subscribe


def _get(url: str) -> str:
    """The page at `url` (the stand-in's 3-D Secure page), as text."""
    with urllib.request.urlopen(url) as response:  # noqa: S310 - the stand-in on loopback
        return str(response.read().decode())


def _post(url: str, data: dict[str, str]) -> int:
    """Submit the page's form as Stripe.js's dialog shows it (framed by the checkout's
    origin, which it then tells by postMessage); the status."""
    framed = {"frame": "1", "origin": "https://give.example", **data}
    body = urllib.parse.urlencode(framed).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=body)) as response:  # noqa: S310
        return int(response.status)


def _customer(account: StandinAccount) -> str:
    return account.client.v1.customers.create(params={"email": "s@example.org"}).id


def _set_up(
    account: StandinAccount, token: str, customer: str, types: list[str] | None = None
) -> stripe.SetupIntent:
    """Create and confirm a SetupIntent with the token, as the portal's server does."""
    return account.client.v1.setup_intents.create(
        params={
            "customer": customer,
            "allowed_payment_method_types": types or ["card"],
            "confirm": True,
            "confirmation_token": token,
            "usage": "off_session",
            "use_stripe_sdk": True,
            "return_url": "https://give.example/back",
            "expand": ["payment_method"],
        }
    )


def _token(account: StandinAccount, card: str = "visa") -> str:
    return card_token(account.standin.base_url, account.publishable_key, card)


def test_a_card_is_saved_for_the_customer(standin_account: StandinAccount) -> None:
    customer = _customer(standin_account)
    token = _token(standin_account, "5555555555554444")
    intent = _set_up(standin_account, token, customer)
    assert intent.id.startswith("seti_") and intent.object == "setup_intent"
    assert (intent.status, intent.usage, intent.customer) == ("succeeded", "off_session", customer)
    method = intent.payment_method
    assert isinstance(method, stripe.PaymentMethod)
    assert method.customer == customer
    assert method.card is not None and (method.card.brand, method.card.last4) == (
        "mastercard",
        "4444",
    )
    used = standin_account.client.v1.confirmation_tokens.retrieve(token)
    assert (used.setup_intent, used.payment_intent) == (intent.id, None)
    types = [e.type for e in standin_account.client.v1.events.list().data]
    assert {"setup_intent.created", "setup_intent.succeeded", "payment_method.attached"} <= set(
        types
    )


def test_the_object_has_every_field_of_the_sdks_setup_intent(
    standin_account: StandinAccount,
) -> None:
    intent = standin_account.client.v1.setup_intents.create(
        params={"customer": _customer(standin_account)}
    )
    wanted = {
        name
        for name in stripe.SetupIntent.__annotations__
        if not name.startswith("_")
        and name not in ("managed_payments", "allowed_payment_method_types", "OBJECT_NAME")
    }
    assert wanted <= set(intent.to_dict()), wanted - set(intent.to_dict())
    assert intent.status == "requires_payment_method"


def test_a_sepa_account_gets_its_mandate_from_the_token(standin_account: StandinAccount) -> None:
    customer = _customer(standin_account)
    token = sepa_token(standin_account.standin.base_url, standin_account.publishable_key)
    intent = _set_up(standin_account, token, customer, ["sepa_debit"])
    assert intent.status == "succeeded"
    assert intent.mandate is not None
    mandate = standin_account.client.v1.mandates.retrieve(str(intent.mandate))
    assert mandate.status == "active" and mandate.customer_acceptance.type == "online"
    assert mandate.customer_acceptance.online is not None
    assert mandate.customer_acceptance.online.user_agent  # from the request that made the token


def test_a_declined_card_fails_the_setup_and_uses_the_token(
    standin_account: StandinAccount,
) -> None:
    customer = _customer(standin_account)
    token = _token(standin_account, "declined")
    with pytest.raises(stripe.CardError) as raised:
        _set_up(standin_account, token, customer)
    assert raised.value.http_status == 402
    error = raised.value.error
    assert error is not None and error.decline_code == "generic_decline"
    [intent] = standin_account.client.v1.setup_intents.list(params={"customer": customer}).data
    assert intent.status == "requires_payment_method"
    assert intent.last_setup_error is not None
    assert intent.last_setup_error.decline_code == "generic_decline"
    with pytest.raises(stripe.InvalidRequestError) as again:
        _set_up(standin_account, token, customer)
    assert again.value.code == "token_already_used"


def test_a_card_declined_only_on_charge_is_saved(standin_account: StandinAccount) -> None:
    intent = _set_up(
        standin_account, _token(standin_account, "4000000000000341"), _customer(standin_account)
    )
    assert intent.status == "succeeded"


def test_3d_secure_waits_for_the_donor_in_the_page(standin_account: StandinAccount) -> None:
    customer = _customer(standin_account)
    intent = _set_up(standin_account, _token(standin_account, "3ds"), customer)
    assert intent.status == "requires_action"
    assert intent.next_action is not None and intent.next_action.type == "use_stripe_sdk"
    page = str(intent.next_action.use_stripe_sdk["stripe_js"])  # type: ignore[index]
    assert "/_standin/authenticate/" in page and intent.id in page
    secret = str(intent.client_secret)
    assert intent.id in _get(page)
    assert _post(page, {"client_secret": secret, "action": "complete"}) == 200
    after = standin_account.client.v1.setup_intents.retrieve(intent.id)
    assert after.status == "succeeded"


def test_failed_3d_secure_asks_for_another_method(standin_account: StandinAccount) -> None:
    intent = _set_up(standin_account, _token(standin_account, "3ds"), _customer(standin_account))
    page = str(intent.next_action.use_stripe_sdk["stripe_js"])  # type: ignore[union-attr,index]
    _post(page, {"client_secret": str(intent.client_secret), "action": "fail"})
    after = standin_account.client.v1.setup_intents.retrieve(intent.id)
    assert after.status == "requires_payment_method"
    assert after.last_setup_error is not None
    assert after.last_setup_error.code == "setup_intent_authentication_failure"


def test_stripe_js_reads_it_with_the_client_secret_only(standin_account: StandinAccount) -> None:
    intent = _set_up(standin_account, _token(standin_account, "3ds"), _customer(standin_account))
    browser = standin_account.standin.client(standin_account.publishable_key)
    found = browser.v1.setup_intents.retrieve(
        intent.id,
        params={"client_secret": intent.client_secret},  # type: ignore[typeddict-unknown-key]
    )
    assert found.status == "requires_action"
    with pytest.raises(stripe.InvalidRequestError):
        browser.v1.setup_intents.retrieve(intent.id, params={"client_secret": "nope"})  # type: ignore[typeddict-unknown-key]


def test_the_token_is_taken_from_the_server_only(standin_account: StandinAccount) -> None:
    customer = _customer(standin_account)
    intent = standin_account.client.v1.setup_intents.create(params={"customer": customer})
    browser = standin_account.standin.client(standin_account.publishable_key)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        browser.v1.setup_intents.confirm(
            intent.id,
            params={
                "client_secret": intent.client_secret,
                "confirmation_token": _token(standin_account),
            },  # type: ignore[typeddict-unknown-key]
        )
    assert raised.value.code == "secret_key_required"


def test_a_token_needs_confirm_true_and_cancel_ends_it(standin_account: StandinAccount) -> None:
    customer = _customer(standin_account)
    with pytest.raises(stripe.InvalidRequestError):
        standin_account.client.v1.setup_intents.create(
            params={"customer": customer, "confirmation_token": _token(standin_account)}
        )
    intent = standin_account.client.v1.setup_intents.create(params={"customer": customer})
    canceled = standin_account.client.v1.setup_intents.cancel(
        intent.id, params={"cancellation_reason": "abandoned"}
    )
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        standin_account.client.v1.setup_intents.confirm(
            intent.id, params={"payment_method": "pm_card_visa"}
        )
    assert raised.value.code == "setup_intent_unexpected_state"


def test_the_saved_card_pays_the_next_renewal(standin_account: StandinAccount) -> None:
    sub = _subscribe(standin_account)
    _confirm_first_invoice(standin_account, sub)
    customer = str(sub.customer)
    intent = _set_up(standin_account, _token(standin_account, "5555555555554444"), customer)
    method = intent.payment_method
    assert isinstance(method, stripe.PaymentMethod)
    client = standin_account.client
    client.v1.subscriptions.update(sub.id, params={"default_payment_method": method.id})
    standin_account.control.advance_to_next_renewal(standin_account.secret_key)
    renewed = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    invoice: Any = renewed.latest_invoice
    assert (invoice.status, invoice.billing_reason) == ("paid", "subscription_cycle")
    charges = client.v1.charges.list(params={"customer": customer}).data
    assert charges[0].payment_method == method.id
    assert charges[0].payment_method_details.card.last4 == "4444"  # type: ignore[union-attr]


def test_a_3d_secure_card_set_up_renews_without_the_donor(
    standin_account: StandinAccount,
) -> None:
    sub = _subscribe(standin_account)
    _confirm_first_invoice(standin_account, sub)
    intent = _set_up(standin_account, _token(standin_account, "3ds"), str(sub.customer))
    page = str(intent.next_action.use_stripe_sdk["stripe_js"])  # type: ignore[union-attr,index]
    _post(page, {"client_secret": str(intent.client_secret), "action": "complete"})
    done = standin_account.client.v1.setup_intents.retrieve(intent.id)
    standin_account.client.v1.subscriptions.update(
        sub.id, params={"default_payment_method": str(done.payment_method)}
    )
    standin_account.control.advance_to_next_renewal(standin_account.secret_key)
    renewed = standin_account.client.v1.subscriptions.retrieve(
        sub.id, params={"expand": ["latest_invoice"]}
    )
    assert renewed.latest_invoice.status == "paid"  # type: ignore[union-attr]
