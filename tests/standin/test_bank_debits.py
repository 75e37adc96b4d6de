"""Canadian pre-authorised debits (mandate terms, bank verification) and Bacs mandates at the
stand-in, as Stripe documents them."""

from __future__ import annotations

import urllib.parse
import urllib.request
from typing import Any

import pytest
import stripe

from checkout.testing.stripe_standin.pytest_plugin import StandinAccount

MANDATE = {
    "customer_acceptance": {
        "type": "online",
        "online": {"ip_address": "192.0.2.1", "user_agent": "pytest"},
    }
}
TERMS = {"payment_schedule": "sporadic", "transaction_type": "personal"}
BILLING = {"name": "Dana Roe", "email": "dana@example.org"}


def _acss_method(account: StandinAccount, number: str = "000123456789") -> str:
    return account.client.v1.payment_methods.create(
        params={
            "type": "acss_debit",
            "acss_debit": {
                "institution_number": "000",
                "transit_number": "11000",
                "account_number": number,
            },
            "billing_details": BILLING,
        }
    ).id


def _acss_intent(account: StandinAccount, method: str, **options: Any) -> stripe.PaymentIntent:
    return account.client.v1.payment_intents.create(
        params={
            "amount": 2500,
            "currency": "cad",
            "allowed_payment_method_types": ["acss_debit"],
            "payment_method_options": {"acss_debit": options},  # type: ignore[typeddict-item]
            "confirm": True,
            "payment_method": method,
            "mandate_data": MANDATE,
        }
    )


def test_acss_needs_the_mandate_terms(standin_account: StandinAccount) -> None:
    method = _acss_method(standin_account)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _acss_intent(standin_account, method)
    assert caught.value.param == (
        "payment_method_options[acss_debit][mandate_options][payment_schedule]"
    )
    with pytest.raises(stripe.InvalidRequestError) as interval:
        _acss_intent(
            standin_account,
            method,
            mandate_options={"payment_schedule": "interval", "transaction_type": "personal"},
        )
    assert interval.value.param == (
        "payment_method_options[acss_debit][mandate_options][interval_description]"
    )


def test_acss_verified_instantly_is_submitted_with_its_terms(
    standin_account: StandinAccount,
) -> None:
    client = standin_account.client
    intent = _acss_intent(standin_account, _acss_method(standin_account), mandate_options=TERMS)
    assert intent.status == "processing"
    charge = client.v1.charges.retrieve(str(intent.latest_charge))
    details = charge.payment_method_details
    assert details is not None and details.acss_debit is not None
    mandate = client.v1.mandates.retrieve(str(details.acss_debit.mandate))
    terms = mandate.payment_method_details.acss_debit
    assert terms is not None
    assert (terms.payment_schedule, terms.transaction_type) == ("sporadic", "personal")


def test_acss_micro_deposits_hold_the_payment_until_verified(
    standin_account: StandinAccount,
) -> None:
    client, key = standin_account.client, standin_account.secret_key
    intent = _acss_intent(
        standin_account,
        _acss_method(standin_account),
        mandate_options=TERMS,
        verification_method="microdeposits",
    )
    assert intent.status == "requires_action"
    assert intent.next_action is not None
    assert intent.next_action.type == "verify_with_microdeposits"
    waiting = intent.next_action.verify_with_microdeposits
    assert waiting is not None
    assert waiting.arrival_date > standin_account.control.now(key)
    assert intent.latest_charge is None  # nothing debited yet
    with pytest.raises(stripe.InvalidRequestError) as wrong:
        client.v1.payment_intents.verify_microdeposits(intent.id, params={"amounts": [10, 20]})
    assert wrong.value.code == "payment_method_microdeposit_verification_amounts_mismatch"
    verified = client.v1.payment_intents.verify_microdeposits(
        intent.id, params={"amounts": [32, 45]}
    )
    assert verified.status == "processing"
    standin_account.control.settle_debits(key)
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_the_hosted_verification_page_verifies(standin_account: StandinAccount) -> None:
    intent = _acss_intent(
        standin_account, _acss_method(standin_account, "000999999999"), mandate_options=TERMS
    )
    assert intent.status == "requires_action"  # this test account cannot be verified instantly
    assert intent.next_action is not None and intent.next_action.verify_with_microdeposits
    url = intent.next_action.verify_with_microdeposits.hosted_verification_url
    with urllib.request.urlopen(url) as page:  # noqa: S310 - the stand-in on loopback
        assert "Verify your bank account" in page.read().decode()
    secret = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["client_secret"][0]
    form = urllib.parse.urlencode({"client_secret": secret, "first": "32", "second": "45"})
    with urllib.request.urlopen(url, data=form.encode()) as answer:  # noqa: S310
        assert "verified" in answer.read().decode()
    assert standin_account.client.v1.payment_intents.retrieve(intent.id).status == "processing"


def test_three_wrong_tries_fail_the_payment(standin_account: StandinAccount) -> None:
    client = standin_account.client
    intent = _acss_intent(
        standin_account,
        _acss_method(standin_account),
        mandate_options=TERMS,
        verification_method="microdeposits",
    )
    for _ in range(3):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.payment_intents.verify_microdeposits(
                intent.id, params={"descriptor_code": "SM0000"}
            )
    assert caught.value.code == "payment_method_microdeposit_verification_attempts_exceeded"
    failed = client.v1.payment_intents.retrieve(intent.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error is not None
    assert failed.last_payment_error.code == caught.value.code


def test_a_subscriptions_acss_mandate_debits_at_its_interval(
    standin_account: StandinAccount,
) -> None:
    client = standin_account.client
    customer = client.v1.customers.create(params={"email": "dana@example.org"})
    subscription = client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [
                {
                    "price_data": {
                        "currency": "cad",
                        "product": client.v1.products.create(params={"name": "Gift"}).id,
                        "unit_amount": 3000,
                        "recurring": {"interval": "month"},
                    }
                }
            ],
            "payment_behavior": "default_incomplete",
            "payment_settings": {
                "payment_method_types": ["acss_debit"],
                "payment_method_options": {
                    "acss_debit": {"mandate_options": {"transaction_type": "personal"}}
                },
            },
            "expand": ["latest_invoice.confirmation_secret"],
        }
    )
    invoice = subscription.latest_invoice
    assert isinstance(invoice, stripe.Invoice) and invoice.confirmation_secret is not None
    intent_id = invoice.confirmation_secret.client_secret.split("_secret_")[0]
    confirmed = client.v1.payment_intents.confirm(
        intent_id,
        params={"payment_method": _acss_method(standin_account), "mandate_data": MANDATE},
    )
    assert confirmed.status == "processing"
    charge = client.v1.charges.retrieve(str(confirmed.latest_charge))
    assert charge.payment_method_details is not None
    assert charge.payment_method_details.acss_debit is not None
    mandate = client.v1.mandates.retrieve(str(charge.payment_method_details.acss_debit.mandate))
    terms = mandate.payment_method_details.acss_debit
    assert terms is not None
    assert (terms.payment_schedule, terms.interval_description) == ("interval", "every 1 month")


def _bacs(account: StandinAccount, number: str) -> stripe.PaymentIntent:
    method = account.client.v1.payment_methods.create(
        params={
            "type": "bacs_debit",
            "bacs_debit": {"sort_code": "108800", "account_number": number},
            "billing_details": BILLING,
        }
    )
    return account.client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "gbp",
            "allowed_payment_method_types": ["bacs_debit"],
            "confirm": True,
            "payment_method": method.id,
            "mandate_data": MANDATE,
        }
    )


def _mandate(account: StandinAccount, intent: stripe.PaymentIntent) -> stripe.Mandate:
    charge = account.client.v1.charges.retrieve(str(intent.latest_charge))
    assert charge.payment_method_details is not None
    assert charge.payment_method_details.bacs_debit is not None
    return account.client.v1.mandates.retrieve(
        str(charge.payment_method_details.bacs_debit.mandate)
    )


def test_a_bacs_mandate_is_pending_until_the_bank_accepts_it(
    standin_account: StandinAccount,
) -> None:
    intent = _bacs(standin_account, "00012345")
    mandate = _mandate(standin_account, intent)
    assert intent.status == "processing"
    assert mandate.status == "pending"
    assert mandate.payment_method_details.bacs_debit is not None
    assert mandate.payment_method_details.bacs_debit.network_status == "pending"
    standin_account.control.settle_debits(standin_account.secret_key)
    mandate = _mandate(standin_account, intent)
    assert mandate.status == "active"
    assert mandate.payment_method_details.bacs_debit is not None
    assert mandate.payment_method_details.bacs_debit.network_status == "accepted"
    kinds = [e.type for e in standin_account.client.v1.events.list().data][::-1]
    assert kinds.index("mandate.updated") < kinds.index("payment_intent.succeeded")


def test_a_refused_bacs_mandate_fails_its_first_debit(standin_account: StandinAccount) -> None:
    intent = _bacs(standin_account, "93333335")
    standin_account.control.settle_debits(standin_account.secret_key)
    mandate = _mandate(standin_account, intent)
    assert mandate.status == "inactive"
    assert mandate.payment_method_details.bacs_debit is not None
    assert mandate.payment_method_details.bacs_debit.network_status == "refused"
    failed = standin_account.client.v1.payment_intents.retrieve(intent.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error is not None
    assert failed.last_payment_error.code == "debit_not_authorized"
