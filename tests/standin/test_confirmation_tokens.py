"""ConfirmationTokens and server-side confirmation, through the real stripe SDK over HTTP."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import stripe

from checkout.testing.stripe_standin.confirmation_tokens import LIFETIME_SECONDS
from checkout.testing.stripe_standin.pytest_plugin import RunningStandin, StandinAccount
from tests.standin.test_subscriptions import _subscribe

CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}
HOLDER = {"name": "Dana Donor", "email": "dana@example.org"}


def _test_token(account: StandinAccount, **params: Any) -> stripe.ConfirmationToken:
    """A token made by the SDK's test helper (the secret key)."""
    return account.client.v1.test_helpers.confirmation_tokens.create(params=params)  # type: ignore[arg-type]


def _sepa_token(account: StandinAccount) -> stripe.ConfirmationToken:
    """A SEPA Direct Debit token for a succeeding IBAN, made by the test helper."""
    return _test_token(
        account,
        payment_method_data={
            "type": "sepa_debit",
            "sepa_debit": {"iban": "DE89370400440532013000"},
            "billing_details": HOLDER,
        },
    )


def _browser_token(account: StandinAccount, **params: Any) -> stripe.StripeObject:
    """A token made as Stripe.js makes it: POST /v1/confirmation_tokens with the pk."""
    browser = account.standin.client(account.publishable_key)
    response = browser.raw_request("post", "/v1/confirmation_tokens", **params)
    assert response.code == 200, response.body
    return browser.deserialize(response, api_mode="V1")


def _pay(account: StandinAccount, token: str, **params: Any) -> stripe.PaymentIntent:
    """Create and confirm a €20 PaymentIntent with the token, as our server will."""
    return account.client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "eur",
            "allowed_payment_method_types": ["card", "sepa_debit", "ideal"],
            "confirm": True,
            "confirmation_token": token,
            **params,
        }  # type: ignore[typeddict-item]
    )


# --- the object -----------------------------------------------------------------------------


def test_test_helper_token_previews_the_card(standin_account: StandinAccount) -> None:
    token = _test_token(standin_account, payment_method="pm_card_visa", return_url="https://x.test")
    assert re.fullmatch(r"ctoken_\w+", token.id)
    assert (token.object, token.livemode, token.use_stripe_sdk) == (
        "confirmation_token",
        False,
        True,
    )
    assert token.expires_at == token.created + LIFETIME_SECONDS == token.created + 12 * 3600
    assert (token.payment_intent, token.setup_intent, token.mandate_data) == (None, None, None)
    assert token.return_url == "https://x.test"
    preview = token.payment_method_preview
    assert preview is not None
    assert preview.type == "card"
    card = preview.card
    assert card is not None
    assert (card.brand, card.last4, card.exp_month, card.funding, card.country) == (
        "visa",
        "4242",
        12,
        "credit",
        "US",
    )
    assert card.exp_year > 2000
    assert card.fingerprint


def test_retrieve_needs_the_secret_key(standin_account: StandinAccount) -> None:
    token = _test_token(standin_account, payment_method="pm_card_visa")
    again = standin_account.client.v1.confirmation_tokens.retrieve(token.id)
    assert again.to_dict() == token.to_dict()
    browser = standin_account.standin.client(standin_account.publishable_key)
    with pytest.raises(stripe.AuthenticationError):
        browser.v1.confirmation_tokens.retrieve(token.id)


def test_stripe_js_token_takes_the_card_number_and_keeps_it_out_of_the_answer(
    standin_account: StandinAccount,
) -> None:
    token = _browser_token(
        standin_account,
        payment_method_data={"type": "card", "card": CARD, "billing_details": HOLDER},
        return_url="https://x.test/back",
    )
    assert "4242424242424242" not in json.dumps(token.to_dict())
    preview = token["payment_method_preview"]
    assert preview["billing_details"]["name"] == "Dana Donor"
    assert (preview["card"]["last4"], preview["card"]["exp_year"]) == ("4242", 2040)


def test_the_test_helper_refuses_raw_card_numbers(standin_account: StandinAccount) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _test_token(standin_account, payment_method_data={"type": "card", "card": CARD})
    assert caught.value.code == "parameter_unknown"


def test_card_fingerprint_is_per_card_and_per_account(
    standin_account: StandinAccount, stripe_standin: RunningStandin
) -> None:
    def fingerprint(account: StandinAccount, number: str) -> str:
        data = {"type": "card", "card": {**CARD, "number": number}}
        token = _browser_token(account, payment_method_data=data)
        return str(token["payment_method_preview"]["card"]["fingerprint"])

    other = StandinAccount(
        standin_account.secret_key + "x",
        standin_account.publishable_key + "x",
        stripe_standin.client(standin_account.secret_key + "x"),
        stripe_standin,
    )
    first = fingerprint(standin_account, "4242424242424242")
    assert fingerprint(standin_account, "4242 4242 4242 4242") == first
    assert fingerprint(standin_account, "4000000000009995") != first
    assert fingerprint(other, "4242424242424242") != first
    helper = _test_token(standin_account, payment_method="pm_card_visa")
    assert helper.payment_method_preview is not None
    assert helper.payment_method_preview.card is not None
    assert helper.payment_method_preview.card.fingerprint == first


def test_a_debit_token_carries_the_mandate_accepted_by_its_creator(
    standin_account: StandinAccount,
) -> None:
    token = _sepa_token(standin_account)
    assert token.mandate_data is not None
    acceptance = token.mandate_data.customer_acceptance
    assert acceptance.type == "online"
    assert acceptance.online is not None
    assert acceptance.online.ip_address == "127.0.0.1"
    assert str(acceptance.online.user_agent).startswith("Stripe/v1 PythonBindings/")
    preview = token.payment_method_preview
    assert preview is not None
    assert preview.sepa_debit is not None
    assert (preview.sepa_debit.last4, preview.sepa_debit.bank_code) == ("3000", "37040044")
    assert (preview.sepa_debit.country, bool(preview.sepa_debit.fingerprint)) == ("DE", True)


def test_the_token_answers_only_fields_the_sdk_knows(standin_account: StandinAccount) -> None:
    token = _browser_token(
        standin_account,
        payment_method_data={"type": "card", "card": CARD, "billing_details": HOLDER},
        shipping={"name": "Dana Donor", "address": {"line1": "Hauptstr. 1", "country": "DE"}},
    ).to_dict()
    fields = {k for k in stripe.ConfirmationToken.__annotations__ if k.islower()}
    assert set(token) == fields
    _assert_known(token, stripe.ConfirmationToken, "")
    debit = _sepa_token(standin_account).to_dict()
    _assert_known(debit, stripe.ConfirmationToken, "")


def _assert_known(value: dict[str, Any], owner: type, path: str) -> None:
    """Every key of `value` is an attribute of the SDK class; nested hashes recursively."""
    for key, item in value.items():
        assert key in owner.__annotations__, f"{path}{key} is not in the SDK's {owner.__name__}"
        nested = getattr(owner, "".join(w.capitalize() for w in key.split("_")), None)
        if isinstance(item, dict) and isinstance(nested, type):
            _assert_known(item, nested, f"{path}{key}.")


# --- confirming with a token ----------------------------------------------------------------


def test_card_token_confirms_and_is_recorded_on_the_token(standin_account: StandinAccount) -> None:
    token = _browser_token(standin_account, payment_method_data={"type": "card", "card": CARD})
    intent = _pay(standin_account, str(token["id"]))
    assert intent.status == "succeeded"
    client = standin_account.client
    method = client.v1.payment_methods.retrieve(str(intent.payment_method))
    assert method.card is not None
    assert method.card.fingerprint == token["payment_method_preview"]["card"]["fingerprint"]
    assert client.v1.confirmation_tokens.retrieve(str(token["id"])).payment_intent == intent.id
    attempts = standin_account.control.payment_attempts(standin_account.secret_key)
    assert (attempts.total, attempts.succeeded) == (1, 1)


def test_declined_token_payment_answers_402_with_the_decline_code(
    standin_account: StandinAccount,
) -> None:
    token = _test_token(standin_account, payment_method="pm_card_chargeDeclinedInsufficientFunds")
    with pytest.raises(stripe.CardError) as caught:
        _pay(standin_account, token.id)
    assert caught.value.http_status == 402
    assert (caught.value.code, caught.value.error.decline_code) == (
        "card_declined",
        "insufficient_funds",
    )
    attempts = standin_account.control.payment_attempts(standin_account.secret_key)
    assert (attempts.total, attempts.failed) == (1, 1)


def test_3ds_card_token_needs_the_sdk_in_the_page(standin_account: StandinAccount) -> None:
    token = _test_token(
        standin_account,
        payment_method="pm_card_authenticationRequiredOnSetup",
        return_url="https://checkout.test/thanks",
    )
    intent = _pay(standin_account, token.id)
    assert intent.status == "requires_action"
    assert intent.next_action is not None
    assert intent.next_action.type == "use_stripe_sdk"
    assert standin_account.control.payment_attempts(standin_account.secret_key).total == 0
    assert standin_account.control.authenticate(standin_account.secret_key, intent.id) == (
        "succeeded"
    )


def test_sepa_token_is_processing_under_the_tokens_mandate(
    standin_account: StandinAccount,
) -> None:
    token = _sepa_token(standin_account)
    intent = _pay(standin_account, token.id)
    assert intent.status == "processing"
    client = standin_account.client
    charge = client.v1.charges.retrieve(str(intent.latest_charge))
    assert charge.payment_method_details is not None
    assert charge.payment_method_details.sepa_debit is not None
    mandate = client.v1.mandates.retrieve(str(charge.payment_method_details.sepa_debit.mandate))
    assert token.mandate_data is not None
    assert mandate.customer_acceptance.online is not None
    assert (
        mandate.customer_acceptance.online.to_dict()
        == (token.mandate_data.customer_acceptance.online or {}).to_dict()
    )
    attempts = standin_account.control.payment_attempts(standin_account.secret_key)
    assert (attempts.total, attempts.submitted) == (1, 1)


def test_a_token_confirms_once(standin_account: StandinAccount) -> None:
    token = _test_token(standin_account, payment_method="pm_card_chargeDeclined")
    with pytest.raises(stripe.CardError):
        _pay(standin_account, token.id)  # a decline uses the token too
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _pay(standin_account, token.id)
    assert (caught.value.code, caught.value.param) == ("token_already_used", "confirmation_token")
    assert standin_account.control.payment_attempts(standin_account.secret_key).total == 1


def test_a_token_expires_after_twelve_hours(standin_account: StandinAccount) -> None:
    early = _test_token(standin_account, payment_method="pm_card_visa")
    late = _test_token(standin_account, payment_method="pm_card_visa")
    control, key = standin_account.control, standin_account.secret_key
    control.advance_clock(key, LIFETIME_SECONDS - 5)
    assert _pay(standin_account, early.id).status == "succeeded"
    control.advance_clock(key, 5)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _pay(standin_account, late.id)
    assert caught.value.param == "confirmation_token"
    assert "expired" in str(caught.value.user_message)


def test_an_unknown_token_is_missing(standin_account: StandinAccount) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _pay(standin_account, "ctoken_nope")
    assert (caught.value.code, caught.value.param) == ("resource_missing", "confirmation_token")


def test_the_requests_values_take_precedence_over_the_tokens(
    standin_account: StandinAccount,
) -> None:
    token = _test_token(
        standin_account,
        payment_method_data={"type": "ideal"},
        return_url="https://token.test/back",
    )
    intent = _pay(standin_account, token.id, return_url="https://request.test/back")
    assert intent.next_action is not None
    assert intent.next_action.redirect_to_url is not None
    assert intent.next_action.redirect_to_url.return_url == "https://request.test/back"
    plain = _test_token(
        standin_account, payment_method_data={"type": "ideal"}, return_url="https://token.test/back"
    )
    from_token = _pay(standin_account, plain.id)
    assert from_token.next_action is not None
    assert from_token.next_action.redirect_to_url is not None
    assert from_token.next_action.redirect_to_url.return_url == "https://token.test/back"
    sepa = _sepa_token(standin_account)
    by_card = _pay(standin_account, sepa.id, payment_method="pm_card_visa")
    assert by_card.status == "succeeded"


def test_only_the_server_confirms_with_a_token(standin_account: StandinAccount) -> None:
    token = _test_token(standin_account, payment_method="pm_card_visa")
    intent = standin_account.client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "eur", "allowed_payment_method_types": ["card"]}  # type: ignore[typeddict-item]
    )
    browser = standin_account.standin.client(standin_account.publishable_key)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        browser.v1.payment_intents.confirm(
            intent.id,
            params={"client_secret": intent.client_secret, "confirmation_token": token.id},  # type: ignore[typeddict-unknown-key]
        )
    assert caught.value.param == "confirmation_token"
    with pytest.raises(stripe.InvalidRequestError, match="confirm is true"):
        standin_account.client.v1.payment_intents.create(
            params={"amount": 2000, "currency": "eur", "confirmation_token": token.id}
        )


def test_first_invoice_of_a_subscription_is_confirmed_with_a_token(
    standin_account: StandinAccount,
) -> None:
    client = standin_account.client
    subscription = _subscribe(standin_account)
    invoice = subscription.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert invoice.confirmation_secret is not None
    intent_id = invoice.confirmation_secret.client_secret.split("_secret_")[0]
    token = _browser_token(standin_account, payment_method_data={"type": "card", "card": CARD})
    paid = client.v1.payment_intents.confirm(
        intent_id, params={"confirmation_token": str(token["id"])}
    )
    assert paid.status == "succeeded"
    active = client.v1.subscriptions.retrieve(subscription.id)
    assert active.status == "active"
    assert active.default_payment_method == paid.payment_method


# --- manual confirmation --------------------------------------------------------------------


def test_manual_intent_refuses_the_publishable_key(standin_account: StandinAccount) -> None:
    intent = standin_account.client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "eur",
            "allowed_payment_method_types": ["card"],  # type: ignore[typeddict-item]
            "confirmation_method": "manual",
            "payment_method": "pm_card_visa",
        }
    )
    assert (intent.confirmation_method, intent.status) == ("manual", "requires_confirmation")
    browser = standin_account.standin.client(standin_account.publishable_key)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        browser.v1.payment_intents.confirm(
            intent.id,
            params={"client_secret": intent.client_secret},  # type: ignore[typeddict-unknown-key]
        )
    assert caught.value.code == "secret_key_required"
    assert standin_account.control.payment_attempts(standin_account.secret_key).total == 0
    confirmed = standin_account.client.v1.payment_intents.confirm(intent.id)
    assert confirmed.status == "succeeded"


@pytest.mark.parametrize(
    ("approve", "after"), [(True, "requires_confirmation"), (False, "requires_payment_method")]
)
def test_manual_intent_returns_to_requires_confirmation_after_3ds(
    standin_account: StandinAccount, approve: bool, after: str
) -> None:
    token = _test_token(standin_account, payment_method="pm_card_authenticationRequiredOnSetup")
    intent = _pay(standin_account, token.id, confirmation_method="manual")
    assert intent.status == "requires_action"
    control, key = standin_account.control, standin_account.secret_key
    assert control.authenticate(key, intent.id, succeed=approve) == after
    assert control.payment_attempts(key).total == 0
    if approve:
        confirmed = standin_account.client.v1.payment_intents.confirm(intent.id)
        assert confirmed.status == "succeeded"
        assert control.payment_attempts(key, payment_intent=intent.id).succeeded == 1


def test_payment_attempts_count_each_money_movement(standin_account: StandinAccount) -> None:
    client, control, key = (
        standin_account.client,
        standin_account.control,
        standin_account.secret_key,
    )
    paid = _pay(standin_account, _test_token(standin_account, payment_method="pm_card_visa").id)
    for alias in ("pm_card_chargeDeclined", "pm_card_chargeDeclinedLostCard"):
        with pytest.raises(stripe.CardError):
            client.v1.payment_intents.confirm(
                client.v1.payment_intents.create(
                    params={
                        "amount": 2000,
                        "currency": "eur",
                        "allowed_payment_method_types": ["card"],
                    }  # type: ignore[typeddict-item]
                ).id,
                params={"payment_method": alias},
            )
    counted = control.payment_attempts(key)
    assert (counted.total, counted.succeeded, counted.failed, counted.submitted) == (3, 1, 2, 0)
    assert control.payment_attempts(key, payment_intent=paid.id).total == 1
