"""PaymentIntents with every method the gateway offers, through the real stripe SDK."""

from __future__ import annotations

import urllib.parse
import urllib.request
from typing import Any

import pytest
import stripe

from checkout.testing.stripe_standin.pytest_plugin import StandinAccount

MANDATE: dict[str, Any] = {
    "customer_acceptance": {
        "type": "online",
        "online": {"ip_address": "203.0.113.7", "user_agent": "pytest"},
    }
}


def _intent(account: StandinAccount, **params: Any) -> stripe.PaymentIntent:
    """A PaymentIntent for €20 with the given extra parameters."""
    return account.client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "eur", **params}
    )


def _debit_method(account: StandinAccount, kind: str, details: dict[str, str]) -> str:
    """A bank-debit PaymentMethod (as Stripe.js would create it) with the holder's details."""
    method = account.client.v1.payment_methods.create(
        params={  # type: ignore[misc]
            "type": kind,
            kind: details,
            "billing_details": {"name": "Dana Donor", "email": "dana@example.org"},
        }
    )
    return str(method.id)


def test_card_payment_succeeds_with_charge_and_fee(standin_account: StandinAccount) -> None:
    client = standin_account.client
    customer = client.v1.customers.create(params={"email": "d@example.org"})
    pi = _intent(
        standin_account,
        customer=customer.id,
        allowed_payment_method_types=["card"],
        metadata={"donation": "42", "office": "DE"},
    )
    assert pi.status == "requires_payment_method"
    confirmed = client.v1.payment_intents.confirm(
        pi.id, params={"payment_method": "pm_card_visa", "return_url": "https://x.test/r"}
    )
    assert (confirmed.status, confirmed.amount_received) == ("succeeded", 2000)
    expanded = client.v1.payment_intents.retrieve(
        pi.id, params={"expand": ["latest_charge.balance_transaction"]}
    )
    charge = expanded.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert charge.metadata.to_dict() == {"donation": "42", "office": "DE"}
    assert charge.payment_method_details is not None
    assert charge.payment_method_details.card is not None
    assert charge.payment_method_details.card.last4 == "4242"
    assert charge.balance_transaction is None  # asynchronous capture: booked a little later
    standin_account.control.complete_captures(standin_account.secret_key)
    transaction = client.v1.charges.retrieve(
        charge.id, params={"expand": ["balance_transaction"]}
    ).balance_transaction
    assert isinstance(transaction, stripe.BalanceTransaction)
    assert (transaction.amount, transaction.fee, transaction.net) == (2000, 55, 1945)


def test_card_0341_attaches_but_declines_on_charge(standin_account: StandinAccount) -> None:
    client = standin_account.client
    customer = client.v1.customers.create()
    method = client.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": customer.id}
    )
    pi = _intent(standin_account, customer=customer.id, allowed_payment_method_types=["card"])
    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_intents.confirm(pi.id, params={"payment_method": method.id})
    assert (caught.value.code, caught.value.error.decline_code) == (
        "card_declined",
        "generic_decline",
    )
    failed = client.v1.payment_intents.retrieve(pi.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error is not None
    assert failed.last_payment_error.code == "card_declined"
    charge = client.v1.charges.retrieve(str(failed.latest_charge))
    assert (charge.status, charge.failure_code) == ("failed", "card_declined")


def test_declining_card_cannot_even_be_attached(standin_account: StandinAccount) -> None:
    customer = standin_account.client.v1.customers.create()
    with pytest.raises(stripe.CardError, match="declined"):
        standin_account.client.v1.payment_methods.attach(
            "pm_card_chargeDeclined", params={"customer": customer.id}
        )


@pytest.mark.parametrize(
    ("approve", "status"), [(True, "succeeded"), (False, "requires_payment_method")]
)
def test_3ds_card_requires_action_then_the_page_decides(
    standin_account: StandinAccount, approve: bool, status: str
) -> None:
    pi = _intent(
        standin_account,
        confirm=True,
        allowed_payment_method_types=["card"],
        payment_method="pm_card_authenticationRequiredOnSetup",
        return_url="https://checkout.test/thanks",
    )
    assert pi.status == "requires_action"
    assert pi.next_action is not None
    assert pi.next_action.redirect_to_url is not None
    page = pi.next_action.redirect_to_url.url
    assert page is not None
    form = urllib.parse.urlencode(
        {"action": "complete" if approve else "fail", "client_secret": pi.client_secret}
    ).encode()
    request = urllib.request.Request(page, data=form, method="POST")  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as redirected:  # the return_url is not served
        _no_redirect_opener().open(request)
    location = redirected.value.headers["Location"]
    redirected.value.close()
    assert location.startswith("https://checkout.test/thanks?payment_intent=" + pi.id)
    assert f"redirect_status={'succeeded' if approve else 'failed'}" in location
    after = standin_account.client.v1.payment_intents.retrieve(pi.id)
    assert after.status == status
    if not approve:
        assert after.last_payment_error is not None
        assert after.last_payment_error.code == "payment_intent_authentication_failure"


def _no_redirect_opener() -> urllib.request.OpenerDirector:
    """An opener that reports redirects instead of following them."""

    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return urllib.request.build_opener(Stop)


def test_off_session_3ds_card_is_declined_authentication_required(
    standin_account: StandinAccount,
) -> None:
    with pytest.raises(stripe.CardError) as caught:
        _intent(
            standin_account,
            confirm=True,
            off_session=True,
            payment_method="pm_card_authenticationRequired",
            allowed_payment_method_types=["card"],
        )
    assert caught.value.code == "authentication_required"


def test_sepa_debit_processes_then_settles(standin_account: StandinAccount) -> None:
    client = standin_account.client
    method = _debit_method(standin_account, "sepa_debit", {"iban": "DE89370400440532013000"})
    pi = _intent(
        standin_account,
        allowed_payment_method_types=["sepa_debit"],
        confirm=True,
        payment_method=method,
        mandate_data=MANDATE,
    )
    assert pi.status == "processing"
    charge = client.v1.charges.retrieve(str(pi.latest_charge))
    assert charge.status == "pending"
    details = charge.payment_method_details
    assert details is not None
    assert details.sepa_debit is not None
    mandate = client.v1.mandates.retrieve(str(details.sepa_debit.mandate))
    assert mandate.status == "active"
    assert standin_account.control.settle_debits(standin_account.secret_key) == [pi.id]
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_sepa_failing_iban_fails_when_it_settles(standin_account: StandinAccount) -> None:
    client = standin_account.client
    method = _debit_method(standin_account, "sepa_debit", {"iban": "DE62370400440532013001"})
    pi = _intent(
        standin_account,
        allowed_payment_method_types=["sepa_debit"],
        confirm=True,
        payment_method=method,
        mandate_data=MANDATE,
    )
    assert pi.status == "processing"
    standin_account.control.advance_clock(standin_account.secret_key, 3 * 86400)
    failed = client.v1.payment_intents.retrieve(pi.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error is not None
    assert failed.last_payment_error.code == "insufficient_funds"


def test_sepa_without_a_mandate_is_refused(standin_account: StandinAccount) -> None:
    method = _debit_method(standin_account, "sepa_debit", {"iban": "DE89370400440532013000"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _intent(
            standin_account,
            allowed_payment_method_types=["sepa_debit"],
            confirm=True,
            payment_method=method,
        )
    assert caught.value.param == "mandate_data"


def test_invalid_iban_is_refused(standin_account: StandinAccount) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _debit_method(standin_account, "sepa_debit", {"iban": "DE89370400440532013009"})
    assert caught.value.param == "sepa_debit[iban]"


ACSS_TERMS = {"mandate_options": {"payment_schedule": "sporadic", "transaction_type": "personal"}}


@pytest.mark.parametrize(
    ("kind", "currency", "details"),
    [
        ("bacs_debit", "gbp", {"sort_code": "108800", "account_number": "00012345"}),
        ("au_becs_debit", "aud", {"bsb_number": "000000", "account_number": "000123456"}),
        (
            "acss_debit",
            "cad",
            {
                "institution_number": "000",
                "transit_number": "11000",
                "account_number": "000123456789",
            },
        ),
    ],
)
def test_other_debits_process_then_succeed(
    standin_account: StandinAccount, kind: str, currency: str, details: dict[str, str]
) -> None:
    method = _debit_method(standin_account, kind, details)
    options = {"acss_debit": ACSS_TERMS} if kind == "acss_debit" else {}
    pi = standin_account.client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": currency,
            "allowed_payment_method_types": [kind],  # type: ignore[typeddict-item]
            "payment_method_options": options,  # type: ignore[typeddict-item]
            "confirm": True,
            "payment_method": method,
            "mandate_data": MANDATE,
        }
    )
    assert pi.status == "processing"
    standin_account.control.settle_debits(standin_account.secret_key)
    assert standin_account.client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_ideal_redirects_to_the_bank(standin_account: StandinAccount) -> None:
    pi = _intent(
        standin_account,
        allowed_payment_method_types=["ideal"],
        confirm=True,
        payment_method_data={"type": "ideal"},
        return_url="https://x.test/back",
    )
    assert pi.status == "requires_action"
    assert pi.next_action is not None
    assert pi.next_action.type == "redirect_to_url"
    status = standin_account.control.authenticate(standin_account.secret_key, pi.id)
    assert status == "succeeded"


def test_method_type_must_fit_the_currency(standin_account: StandinAccount) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        standin_account.client.v1.payment_intents.create(
            params={
                "amount": 2000,
                "currency": "gbp",
                "allowed_payment_method_types": ["sepa_debit"],
            }
        )
    assert caught.value.param == "allowed_payment_method_types"


def test_raw_card_numbers_only_through_the_publishable_key(
    standin_account: StandinAccount,
) -> None:
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}
    with pytest.raises(stripe.CardError):
        standin_account.client.v1.payment_methods.create(params={"type": "card", "card": card})
    browser = standin_account.standin.client(standin_account.publishable_key)
    method = browser.v1.payment_methods.create(params={"type": "card", "card": card})
    assert method.card is not None
    assert method.card.brand == "visa"


def test_update_and_cancel(standin_account: StandinAccount) -> None:
    client = standin_account.client
    pi = _intent(standin_account, allowed_payment_method_types=["card"], metadata={"a": "1"})
    updated = client.v1.payment_intents.update(
        pi.id, params={"amount": 2500, "metadata": {"b": "2"}}
    )
    assert (updated.amount, updated.metadata.to_dict()) == (2500, {"a": "1", "b": "2"})
    canceled = client.v1.payment_intents.cancel(pi.id, params={"cancellation_reason": "abandoned"})
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert caught.value.code == "payment_intent_unexpected_state"


def test_a_succeeded_intent_cannot_be_canceled(standin_account: StandinAccount) -> None:
    pi = _intent(
        standin_account,
        confirm=True,
        payment_method="pm_card_visa",
        allowed_payment_method_types=["card"],
    )
    with pytest.raises(stripe.InvalidRequestError, match="status of succeeded"):
        standin_account.client.v1.payment_intents.cancel(pi.id)


def test_publishable_key_needs_the_client_secret(standin_account: StandinAccount) -> None:
    pi = _intent(standin_account, allowed_payment_method_types=["card"])
    browser = standin_account.standin.client(standin_account.publishable_key)
    seen = browser.v1.payment_intents.retrieve(pi.id, params={"client_secret": pi.client_secret})
    assert seen.id == pi.id
    with pytest.raises(stripe.InvalidRequestError, match="client_secret"):
        browser.v1.payment_intents.retrieve(pi.id, params={"client_secret": "pi_x_secret_y"})


def _3ds_intent(account: StandinAccount, **params: Any) -> stripe.PaymentIntent:
    """A card PaymentIntent confirmed with a card that asks for 3-D Secure."""
    return _intent(
        account,
        confirm=True,
        allowed_payment_method_types=["card"],
        payment_method="pm_card_authenticationRequiredOnSetup",
        **params,
    )


def test_stripe_js_keeps_3ds_in_the_page_even_with_a_return_url(
    standin_account: StandinAccount,
) -> None:
    pi = _3ds_intent(
        standin_account, return_url="https://checkout.test/thanks", use_stripe_sdk=True
    )
    assert pi.next_action is not None
    assert pi.next_action.type == "use_stripe_sdk"
    assert pi.next_action.use_stripe_sdk is not None
    assert pi.next_action.use_stripe_sdk["type"] == "three_d_secure_redirect"


def test_the_3ds_page_may_be_framed_only_by_the_checkout_that_shows_it(
    standin_account: StandinAccount,
) -> None:
    pi = _3ds_intent(standin_account)
    assert pi.next_action is not None
    assert pi.next_action.use_stripe_sdk is not None
    page = str(pi.next_action.use_stripe_sdk["stripe_js"])
    with urllib.request.urlopen(page) as full:  # noqa: S310
        assert full.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    framed = page + "&frame=1&origin=" + urllib.parse.quote("http://shop.test:8080", safe="")
    with urllib.request.urlopen(framed) as shown:  # noqa: S310
        assert shown.headers["Content-Security-Policy"] == "frame-ancestors http://shop.test:8080"
        assert 'name="origin" value="http://shop.test:8080"' in shown.read().decode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(page + "&frame=1&origin=http%3A%2F%2Fshop.test%2Fpay")  # noqa: S310
    assert refused.value.code == 400
    refused.value.close()
    form = urllib.parse.urlencode(
        {
            "action": "complete",
            "client_secret": pi.client_secret,
            "frame": "1",
            "origin": "http://shop.test:8080",
        }
    ).encode()
    choice = urllib.request.Request(page, data=form)  # noqa: S310
    with _no_redirect_opener().open(choice) as done:
        body = done.read().decode()
    assert 'postMessage({"standin": "authentication_finished"' in body
    assert '"http://shop.test:8080")' in body
    assert standin_account.client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
