"""Refunds, disputes, the balance and payouts, as finance reconciliation will read them."""

from __future__ import annotations

import pytest
import stripe

from checkout.testing.stripe_standin.control import ControlError
from checkout.testing.stripe_standin.pytest_plugin import StandinAccount

DAY = 86_400


def _paid(account: StandinAccount, amount: int = 5000) -> stripe.PaymentIntent:
    """A succeeded €50 card payment."""
    return account.client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "eur",
            "confirm": True,
            "payment_method": "pm_card_visa",
            "allowed_payment_method_types": ["card"],
        }
    )


def test_partial_then_full_refund(standin_account: StandinAccount) -> None:
    client = standin_account.client
    pi = _paid(standin_account)
    partial = client.v1.refunds.create(
        params={"payment_intent": pi.id, "amount": 2000, "reason": "requested_by_customer"}
    )
    assert (partial.status, partial.amount, partial.charge) == ("succeeded", 2000, pi.latest_charge)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 3001})
    assert too_much.value.code == "amount_too_large"
    rest = client.v1.refunds.create(params={"charge": str(pi.latest_charge)})
    assert rest.amount == 3000
    charge = client.v1.charges.retrieve(str(pi.latest_charge), params={"expand": ["refunds"]})
    assert (charge.amount_refunded, charge.refunded) == (5000, True)
    assert charge.refunds is not None
    assert len(charge.refunds.data) == 2
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": pi.id})
    assert again.value.code == "charge_already_refunded"
    refunded = client.v1.events.list(params={"type": "charge.refunded"}).data
    assert [e.data.object["amount_refunded"] for e in refunded] == [5000, 2000]


def test_dashboard_refund_has_no_request(standin_account: StandinAccount) -> None:
    pi = _paid(standin_account)
    refund_id = standin_account.control.dashboard_refund(standin_account.secret_key, pi.id, 1000)
    assert standin_account.client.v1.refunds.retrieve(refund_id).amount == 1000
    [event] = standin_account.client.v1.events.list(params={"type": "refund.created"}).data
    assert event.request is not None
    assert event.request.id is None


def test_a_processing_debit_cannot_be_refunded(standin_account: StandinAccount) -> None:
    client = standin_account.client
    method = client.v1.payment_methods.create(
        params={
            "type": "sepa_debit",
            "sepa_debit": {"iban": "DE89370400440532013000"},
            "billing_details": {"name": "D", "email": "d@example.org"},
        }
    )
    pi = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "eur",
            "allowed_payment_method_types": ["sepa_debit"],
            "confirm": True,
            "payment_method": method.id,
            "mandate_data": {
                "customer_acceptance": {
                    "type": "online",
                    "online": {"ip_address": "192.0.2.1", "user_agent": "t"},
                }
            },
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create(params={"payment_intent": pi.id})
    assert caught.value.code == "charge_not_refundable"


@pytest.mark.parametrize(
    ("won", "net_total"), [(True, 5000 - 100 - 1500), (False, 5000 - 100 - 5000 - 1500)]
)
def test_dispute_withdraws_and_maybe_reinstates(
    standin_account: StandinAccount, won: bool, net_total: int
) -> None:
    client, key = standin_account.client, standin_account.secret_key
    pi = _paid(standin_account)
    dispute_id = standin_account.control.open_dispute(key, pi.id)
    dispute = client.v1.disputes.retrieve(dispute_id)
    assert (dispute.status, dispute.amount, dispute.charge) == (
        "needs_response",
        5000,
        pi.latest_charge,
    )
    assert client.v1.charges.retrieve(str(pi.latest_charge)).disputed is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"payment_intent": pi.id})
    assert standin_account.control.close_dispute(key, dispute_id, won) == ("won" if won else "lost")
    transactions = client.v1.balance_transactions.list(params={"limit": 100}).data
    assert sum(t.net for t in transactions) == net_total
    types = [e.type for e in client.v1.events.list(params={"type": "charge.dispute.*"}).data]
    assert types[0] == ("charge.dispute.funds_reinstated" if won else "charge.dispute.closed")


def test_payout_lists_its_balance_transactions(standin_account: StandinAccount) -> None:
    client, key = standin_account.client, standin_account.secret_key
    first, second = _paid(standin_account, 5000), _paid(standin_account, 2000)
    client.v1.refunds.create(params={"payment_intent": second.id, "amount": 500})
    with pytest.raises(ControlError):  # card funds are pending for two days
        standin_account.control.payout(key)
    standin_account.control.advance_clock(key, 3 * DAY)
    balance = client.v1.balance.retrieve()
    assert balance.available[0].amount == 5000 - 100 + 2000 - 55 - 500
    payout_id = standin_account.control.payout(key)
    payout = client.v1.payouts.retrieve(payout_id)
    assert (payout.status, payout.amount) == ("paid", balance.available[0].amount)
    listed = client.v1.balance_transactions.list(
        params={"payout": payout_id, "expand": ["data.source"]}
    )
    by_type = sorted((t.type, t.net) for t in listed.data)
    assert by_type == [
        ("charge", 1945),
        ("charge", 4900),
        ("payout", -payout.amount),
        ("refund", -500),
    ]
    sources = {t.source.id for t in listed.data if t.type == "charge"}  # type: ignore[union-attr]
    assert sources == {first.latest_charge, second.latest_charge}
    assert client.v1.balance.retrieve().available[0].amount == 0


def test_revoked_mandate_is_reported(standin_account: StandinAccount) -> None:
    client = standin_account.client
    method = client.v1.payment_methods.create(
        params={
            "type": "sepa_debit",
            "sepa_debit": {"iban": "DE89370400440532013000"},
            "billing_details": {"name": "D", "email": "d@example.org"},
        }
    )
    pi = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "eur",
            "allowed_payment_method_types": ["sepa_debit"],
            "confirm": True,
            "payment_method": method.id,
            "mandate_data": {
                "customer_acceptance": {
                    "type": "online",
                    "online": {"ip_address": "192.0.2.1", "user_agent": "t"},
                }
            },
        }
    )
    charge = client.v1.charges.retrieve(str(pi.latest_charge))
    mandate = charge.payment_method_details.sepa_debit.mandate  # type: ignore[union-attr]
    standin_account.control.revoke_mandate(standin_account.secret_key, str(mandate))
    assert client.v1.mandates.retrieve(str(mandate)).status == "inactive"
    assert client.v1.events.list(params={"type": "mandate.updated"}).data
