"""How money settles at the stand-in, as Stripe documents it: asynchronous capture, bank debits
booked at submission and reversed when they fail, and conversion into the settlement currency."""

from __future__ import annotations

import stripe

from checkout.testing.stripe_standin.pytest_plugin import StandinAccount

MANDATE = {
    "customer_acceptance": {
        "type": "online",
        "online": {"ip_address": "192.0.2.1", "user_agent": "pytest"},
    }
}


def _card(
    account: StandinAccount, amount: int = 5000, currency: str = "eur"
) -> stripe.PaymentIntent:
    return account.client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": currency,
            "confirm": True,
            "payment_method": "pm_card_visa",
            "allowed_payment_method_types": ["card"],
        }
    )


def _sepa(account: StandinAccount, iban: str) -> stripe.PaymentIntent:
    method = account.client.v1.payment_methods.create(
        params={
            "type": "sepa_debit",
            "sepa_debit": {"iban": iban},
            "billing_details": {"name": "D", "email": "d@example.org"},
        }
    )
    return account.client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "eur",
            "allowed_payment_method_types": ["sepa_debit"],
            "confirm": True,
            "payment_method": method.id,
            "mandate_data": MANDATE,
        }
    )


def _events(account: StandinAccount, kind: str) -> list[stripe.Event]:
    return account.client.v1.events.list(params={"type": kind}).data


def test_a_card_charge_is_booked_after_its_capture_with_charge_updated(
    standin_account: StandinAccount,
) -> None:
    client = standin_account.client
    intent = _card(standin_account)
    charge_id = str(intent.latest_charge)
    assert intent.status == "succeeded"
    assert client.v1.charges.retrieve(charge_id).balance_transaction is None
    [succeeded] = _events(standin_account, "charge.succeeded")
    assert succeeded.data.object["balance_transaction"] is None
    assert _events(standin_account, "charge.updated") == []
    assert client.v1.balance_transactions.list().data == []

    # Time brings it (capture_seconds later), or a test asks for it at once.
    standin_account.control.advance_clock(standin_account.secret_key, 61)
    [updated] = _events(standin_account, "charge.updated")
    transaction_id = updated.data.object["balance_transaction"]
    assert transaction_id and updated.data.previous_attributes is not None
    assert updated.data.previous_attributes["balance_transaction"] is None
    transaction = client.v1.balance_transactions.retrieve(transaction_id)
    assert (transaction.type, transaction.source, transaction.fee) == ("charge", charge_id, 100)


def test_synchronous_capture_is_booked_at_once(standin_account: StandinAccount) -> None:
    intent = standin_account.client.v1.payment_intents.create(
        params={
            "amount": 5000,
            "currency": "eur",
            "confirm": True,
            "capture_method": "automatic",
            "payment_method": "pm_card_visa",
            "allowed_payment_method_types": ["card"],
        }
    )
    charge = standin_account.client.v1.charges.retrieve(str(intent.latest_charge))
    assert charge.balance_transaction is not None
    assert standin_account.control.complete_captures(standin_account.secret_key) == []


def test_a_failed_debit_is_booked_at_submission_and_reversed(
    standin_account: StandinAccount,
) -> None:
    client, key = standin_account.client, standin_account.secret_key
    intent = _sepa(standin_account, "DE62370400440532013001")
    charge = client.v1.charges.retrieve(str(intent.latest_charge))
    assert (intent.status, charge.status) == ("processing", "pending")
    assert isinstance(charge.balance_transaction, str)
    booked = client.v1.balance_transactions.retrieve(charge.balance_transaction)
    assert (booked.type, booked.amount, booked.fee, booked.status) == (
        "payment",
        2000,
        35,
        "pending",
    )
    assert charge.failure_balance_transaction is None

    standin_account.control.settle_debits(key)
    charge = client.v1.charges.retrieve(
        charge.id, params={"expand": ["failure_balance_transaction"]}
    )
    assert charge.status == "failed"
    reversal = charge.failure_balance_transaction
    assert isinstance(reversal, stripe.BalanceTransaction)
    assert (reversal.type, reversal.reporting_category) == (
        "payment_failure_refund",
        "charge_failure",
    )
    assert (reversal.amount, reversal.fee, reversal.net) == (-2000, -35, -1965)
    assert reversal.source == charge.id
    pair = client.v1.balance_transactions.list(params={"source": charge.id}).data
    assert sum(t.net for t in pair) == 0


def test_a_settled_debit_keeps_its_submission_booking(standin_account: StandinAccount) -> None:
    client, key = standin_account.client, standin_account.secret_key
    intent = _sepa(standin_account, "DE89370400440532013000")
    booked = client.v1.charges.retrieve(str(intent.latest_charge)).balance_transaction
    standin_account.control.settle_debits(key)
    charge = client.v1.charges.retrieve(str(intent.latest_charge))
    assert (charge.status, charge.balance_transaction) == ("succeeded", booked)
    assert charge.failure_balance_transaction is None
    assert len(client.v1.balance_transactions.list(params={"source": charge.id}).data) == 1


def test_a_gift_in_another_currency_settles_converted(standin_account: StandinAccount) -> None:
    client, key = standin_account.client, standin_account.secret_key
    standin_account.control.configure_account(key, default_currency="usd")
    intent = _card(standin_account, 5000, "eur")
    standin_account.control.complete_captures(key)
    charge = client.v1.charges.retrieve(
        str(intent.latest_charge), params={"expand": ["balance_transaction"]}
    )
    assert (charge.amount, charge.currency) == (5000, "eur")  # what the donor was charged
    transaction = charge.balance_transaction
    assert isinstance(transaction, stripe.BalanceTransaction)
    # 50.00 EUR x 1.085 = 54.25 USD; the fee is on the settled amount: 1.5 % + 25 = 106.
    assert (transaction.currency, transaction.amount) == ("usd", 5425)
    assert str(transaction.exchange_rate) == "1.085"
    assert (transaction.fee, transaction.net) == (106, 5425 - 106)
    refund = client.v1.refunds.create(
        params={"payment_intent": intent.id, "amount": 1000, "expand": ["balance_transaction"]}
    )
    back = refund.balance_transaction
    assert isinstance(back, stripe.BalanceTransaction)
    assert (back.currency, back.amount, str(back.exchange_rate)) == ("usd", -1085, "1.085")


def test_a_gift_in_the_settlement_currency_is_not_converted(
    standin_account: StandinAccount,
) -> None:
    key = standin_account.secret_key
    standin_account.control.configure_account(key, default_currency="usd")
    _card(standin_account, 5000, "usd")
    standin_account.control.complete_captures(key)
    [transaction] = standin_account.client.v1.balance_transactions.list().data
    assert (transaction.currency, transaction.amount, transaction.exchange_rate) == (
        "usd",
        5000,
        None,
    )


def _settled_sepa(account: StandinAccount) -> stripe.PaymentIntent:
    intent = _sepa(account, "DE89370400440532013000")
    account.control.settle_debits(account.secret_key)
    return intent


def test_a_debit_refund_is_pending_until_the_bank_returns_it(
    standin_account: StandinAccount,
) -> None:
    client, key = standin_account.client, standin_account.secret_key
    intent = _settled_sepa(standin_account)
    refund = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refund.status == "pending"
    booked = client.v1.balance_transactions.retrieve(str(refund.balance_transaction))
    assert (booked.type, booked.amount) == ("refund", -2000)
    assert standin_account.control.settle_refunds(key) == [refund.id]
    assert client.v1.refunds.retrieve(refund.id).status == "succeeded"
    [updated] = _events(standin_account, "charge.refund.updated")
    assert updated.data.object["status"] == "succeeded"
    assert updated.data.previous_attributes is not None
    assert updated.data.previous_attributes["status"] == "pending"


def test_a_failed_debit_refund_returns_the_money_to_the_balance(
    standin_account: StandinAccount,
) -> None:
    client, key = standin_account.client, standin_account.secret_key
    intent = _settled_sepa(standin_account)
    refund = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert client.v1.charges.retrieve(str(intent.latest_charge)).amount_refunded == 2000
    standin_account.control.settle_refunds(key, fail=True)
    failed = client.v1.refunds.retrieve(
        refund.id, params={"expand": ["failure_balance_transaction"]}
    )
    assert (failed.status, failed.failure_reason) == ("failed", "declined")
    reversal = failed.failure_balance_transaction
    assert isinstance(reversal, stripe.BalanceTransaction)
    assert (reversal.type, reversal.amount, reversal.reporting_category) == (
        "refund_failure",
        2000,
        "refund_failure",
    )
    charge = client.v1.charges.retrieve(str(intent.latest_charge))
    assert (charge.amount_refunded, charge.refunded) == (0, False)
    kinds = {e.type for e in client.v1.events.list(params={"limit": 100}).data}
    assert {"refund.failed", "charge.refund.updated", "refund.updated"} <= kinds


def test_a_refund_on_card_5126_succeeds_then_fails(standin_account: StandinAccount) -> None:
    client, key = standin_account.client, standin_account.secret_key
    intent = client.v1.payment_intents.create(
        params={
            "amount": 3000,
            "currency": "eur",
            "confirm": True,
            "payment_method": "pm_card_refundFail",
            "allowed_payment_method_types": ["card"],
        }
    )
    refund = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refund.status == "succeeded"
    standin_account.control.advance_clock(key, 181)
    assert client.v1.refunds.retrieve(refund.id).status == "failed"
    [updated] = _events(standin_account, "charge.refund.updated")
    assert updated.data.object["status"] == "failed"


def test_the_demo_settles_each_office_in_its_default_currency() -> None:
    import os

    from checkout.testing.stripe_standin.demo import demo_environment, offices, register_offices
    from checkout.testing.stripe_standin.server import build

    standin = build()
    register_offices(standin.store, "http://127.0.0.1:5000/webhooks/stripe/{office}")
    keys = demo_environment(os.environ)
    settled = {
        office.code: standin.store.account(
            keys[office.stripe.secret_key_env].split("_", 2)[2]
        ).default_currency
        for office in offices()
    }
    assert settled == {
        "DE": "eur",
        "NL": "eur",
        "UK": "gbp",
        "CA": "cad",
        "AU": "aud",
        "INT": "usd",
    }
    accounts = [
        standin.store.account(keys[office.stripe.secret_key_env].split("_", 2)[2])
        for office in offices()
    ]
    assert all(account.automatic_payouts for account in accounts)  # paid out daily
