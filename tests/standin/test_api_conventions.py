"""Stripe's REST conventions, through the real stripe SDK: keys, errors, idempotency, lists."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
import stripe

from checkout.testing.stripe_standin import API_VERSION
from checkout.testing.stripe_standin.pytest_plugin import RunningStandin, StandinAccount


def test_the_stand_in_serves_the_api_version_the_sdk_pins() -> None:
    assert stripe.api_version == API_VERSION


def test_live_keys_are_refused(stripe_standin: RunningStandin) -> None:
    client = stripe_standin.client("sk_live_abcdefghijklmnop")
    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.customers.list()
    assert "refuses live keys" in str(caught.value.user_message)
    assert caught.value.http_status == 401


def test_malformed_key_is_refused(stripe_standin: RunningStandin) -> None:
    with pytest.raises(stripe.AuthenticationError, match="Invalid API Key"):
        stripe_standin.client("not-a-key").v1.customers.list()


def test_publishable_key_cannot_use_secret_endpoints(standin_account: StandinAccount) -> None:
    client = standin_account.standin.client(standin_account.publishable_key)
    with pytest.raises(stripe.AuthenticationError, match="publishable API key"):
        client.v1.customers.create()


def test_unknown_parameters_are_refused_with_stripes_error_shape(
    standin_account: StandinAccount,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        standin_account.client.v1.payment_intents.create(
            params={
                "amount": 1000,
                "currency": "eur",
                "payment_method_options": {"card": {"request_3ds": "any"}},
            }  # type: ignore[typeddict-unknown-key]
        )
    error = caught.value
    assert error.code == "parameter_unknown"
    assert error.param == "payment_method_options[card][request_3ds]"
    assert error.http_status == 400
    assert error.json_body["error"]["type"] == "invalid_request_error"


def test_missing_and_malformed_parameters(standin_account: StandinAccount) -> None:
    client = standin_account.client
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.create(params={"currency": "eur"})  # type: ignore[typeddict-item]
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "amount")
    raw = _post(standin_account, "/v1/payment_intents", "amount=10.50&currency=eur")
    assert raw["error"]["code"] == "parameter_invalid_integer"


def test_amounts_below_the_currency_minimum_are_refused(standin_account: StandinAccount) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        standin_account.client.v1.payment_intents.create(params={"amount": 29, "currency": "gbp"})
    assert caught.value.code == "amount_too_small"
    pi = standin_account.client.v1.payment_intents.create(params={"amount": 30, "currency": "GBP"})
    assert (pi.amount, pi.currency) == (30, "gbp")


def test_unknown_ids_answer_resource_missing(standin_account: StandinAccount) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        standin_account.client.v1.customers.retrieve("cus_nothere")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"


def test_accounts_are_separate(stripe_standin: RunningStandin) -> None:
    one = stripe_standin.client("sk_test_account_one_x1")
    other = stripe_standin.client("sk_test_account_two_x2")
    customer = one.v1.customers.create(params={"email": "a@example.org"})
    with pytest.raises(stripe.InvalidRequestError):
        other.v1.customers.retrieve(customer.id)
    ids = (
        stripe_standin.control.account_id("sk_test_account_one_x1"),
        stripe_standin.control.account_id("sk_test_account_two_x2"),
    )
    assert ids[0].startswith("acct_")
    assert ids[0] != ids[1]


def test_idempotency_key_replays_the_first_response(standin_account: StandinAccount) -> None:
    client = standin_account.client
    params: stripe.params.PaymentIntentCreateParams = {"amount": 1500, "currency": "eur"}
    first = client.v1.payment_intents.create(params=params, options={"idempotency_key": "don-1"})
    again = client.v1.payment_intents.create(params=params, options={"idempotency_key": "don-1"})
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(client.v1.payment_intents.list().data) == 1


def test_idempotency_key_with_other_parameters_is_an_error(
    standin_account: StandinAccount,
) -> None:
    client = standin_account.client
    client.v1.customers.create(
        params={"email": "a@example.org"}, options={"idempotency_key": "donor-7"}
    )
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create(
            params={"email": "b@example.org"}, options={"idempotency_key": "donor-7"}
        )


def test_failed_validation_does_not_burn_the_idempotency_key(
    standin_account: StandinAccount,
) -> None:
    client = standin_account.client
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.create(
            params={"emali": "x"},  # type: ignore[typeddict-unknown-key]
            options={"idempotency_key": "k-1"},
        )
    created = client.v1.customers.create(
        params={"email": "x@example.org"}, options={"idempotency_key": "k-1"}
    )
    assert created.email == "x@example.org"


def test_declines_are_replayed_too(standin_account: StandinAccount) -> None:
    params: stripe.params.PaymentIntentCreateParams = {
        "amount": 1000,
        "currency": "eur",
        "confirm": True,
        "payment_method": "pm_card_chargeCustomerFail",
        "allowed_payment_method_types": ["card"],
    }
    errors = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as caught:
            standin_account.client.v1.payment_intents.create(
                params=params, options={"idempotency_key": "pi-decline"}
            )
        errors.append(caught.value)
    assert errors[0].json_body == errors[1].json_body
    assert len(standin_account.client.v1.payment_intents.list().data) == 1


def test_lists_paginate_newest_first(standin_account: StandinAccount) -> None:
    client = standin_account.client
    made = [client.v1.customers.create(params={"email": f"d{n}@example.org"}).id for n in range(5)]
    first = client.v1.customers.list(params={"limit": 2})
    assert [c.id for c in first.data] == made[:-3:-1]
    assert first.has_more is True
    rest = client.v1.customers.list(params={"limit": 10, "starting_after": first.data[-1].id})
    assert [c.id for c in rest.data] == made[2::-1]
    assert rest.has_more is False
    everything = [c.id for c in client.v1.customers.list(params={"limit": 2}).auto_paging_iter()]
    assert everything == made[::-1]


def test_customer_update_delete_and_email_filter(standin_account: StandinAccount) -> None:
    client = standin_account.client
    customer = client.v1.customers.create(
        params={"email": "d@example.org", "metadata": {"office": "DE", "x": "1"}}
    )
    updated = client.v1.customers.update(
        customer.id, params={"name": "Dana", "metadata": {"x": ""}}
    )
    assert (updated.name, updated.metadata.to_dict()) == ("Dana", {"office": "DE"})
    found = client.v1.customers.list(params={"email": "d@example.org"})
    assert [c.id for c in found.data] == [customer.id]
    deleted = client.v1.customers.delete(customer.id)
    assert deleted.deleted is True
    assert client.v1.customers.list(params={"email": "d@example.org"}).data == []


def test_expand_rejects_what_cannot_be_expanded(standin_account: StandinAccount) -> None:
    pi = standin_account.client.v1.payment_intents.create(params={"amount": 500, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError, match="cannot be expanded"):
        standin_account.client.v1.payment_intents.retrieve(pi.id, params={"expand": ["amount"]})


def _post(account: StandinAccount, path: str, body: str) -> dict[str, object]:
    """A raw form POST, for bodies the typed SDK would not send."""
    request = urllib.request.Request(  # noqa: S310
        account.standin.base_url + path,
        data=body.encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {account.secret_key}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as error:
        return dict(json.loads(error.read()))
