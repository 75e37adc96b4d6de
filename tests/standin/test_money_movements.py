"""Refunds, disputes, the balance and payouts, as finance reconciliation will read them."""

from __future__ import annotations

import pytest
import stripe

from checkout.testing.stripe_standin.control import ControlError
from checkout.testing.stripe_standin.pytest_plugin import StandinAccount

DAY = 86_400


def _paid(account: StandinAccount, amount: int = 5000) -> stripe.PaymentIntent:
    """A succeeded €50 card payment, its asynchronous capture completed."""
    intent = account.client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "eur",
            "confirm": True,
            "payment_method": "pm_card_visa",
            "allowed_payment_method_types": ["card"],
        }
    )
    assert account.control.complete_captures(account.secret_key) == [intent.latest_charge]
    return intent


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


def test_payout_lists_its_balance_transactions_once_reconciled(
    standin_account: StandinAccount,
) -> None:
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
    now = standin_account.control.now(key)
    assert (payout.status, payout.amount) == ("pending", balance.available[0].amount)
    assert payout.arrival_date > now  # "Date that you can expect the payout to arrive"
    assert payout.reconciliation_status == "in_progress"

    def listed() -> list[stripe.BalanceTransaction]:
        return client.v1.balance_transactions.list(
            params={"payout": payout_id, "expand": ["data.source"]}
        ).data

    assert [t.type for t in listed()] == ["payout"]  # incomplete until reconciled
    standin_account.control.advance_clock(key, payout.arrival_date - now)
    payout = client.v1.payouts.retrieve(payout_id)
    assert (payout.status, payout.reconciliation_status) == ("paid", "in_progress")
    assert [t.type for t in listed()] == ["payout"]
    standin_account.control.advance_clock(key, 3600)
    assert client.v1.payouts.retrieve(payout_id).reconciliation_status == "completed"
    types = [e.type for e in client.v1.events.list(params={"type": "payout.*"}).data][::-1]
    assert types.index("payout.paid") < types.index("payout.reconciliation_completed")
    assert sorted((t.type, t.net) for t in listed()) == [
        ("charge", 1945),
        ("charge", 4900),
        ("payout", -payout.amount),
        ("refund", -500),
    ]
    sources = {t.source.id for t in listed() if t.type == "charge"}  # type: ignore[union-attr]
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


def test_an_inquiry_moves_no_money_until_it_escalates(standin_account: StandinAccount) -> None:
    client, key = standin_account.client, standin_account.secret_key
    pi = _paid(standin_account)
    dispute_id = standin_account.control.open_dispute(key, pi.id, "general", kind="inquiry")
    dispute = client.v1.disputes.retrieve(dispute_id)
    assert (dispute.status, dispute.balance_transactions) == ("warning_needs_response", [])
    answered = client.v1.disputes.update(
        dispute_id, params={"evidence": {"uncategorized_text": "A donation."}, "submit": True}
    )
    assert answered.status == "warning_under_review"
    assert standin_account.control.close_dispute(key, dispute_id, won=False) == "needs_response"
    [withdrawal] = client.v1.disputes.retrieve(dispute_id).balance_transactions
    assert (withdrawal.amount, withdrawal.fee) == (-5000, 1500)


def test_an_inquiry_can_close_without_a_chargeback(standin_account: StandinAccount) -> None:
    client, key = standin_account.client, standin_account.secret_key
    pi = _paid(standin_account)
    dispute_id = standin_account.control.open_dispute(key, pi.id, "general", kind="inquiry")
    assert standin_account.control.close_dispute(key, dispute_id, won=True) == "warning_closed"
    assert sum(t.net for t in client.v1.balance_transactions.list().data) == 5000 - 100


def test_a_prevented_dispute_returns_the_amount_without_a_fee(
    standin_account: StandinAccount,
) -> None:
    client, key = standin_account.client, standin_account.secret_key
    pi = _paid(standin_account)
    dispute = client.v1.disputes.retrieve(
        standin_account.control.open_dispute(key, pi.id, kind="prevented")
    )
    assert dispute.status == "prevented"
    [withdrawal] = dispute.balance_transactions
    assert (withdrawal.amount, withdrawal.fee) == (-5000, 0)
    closed = [e.type for e in client.v1.events.list(params={"type": "charge.dispute.closed"}).data]
    assert closed == ["charge.dispute.closed"]


def test_an_appeal_keeps_the_dispute_open_until_decided(standin_account: StandinAccount) -> None:
    client, key = standin_account.client, standin_account.secret_key
    pi = _paid(standin_account)
    dispute_id = standin_account.control.open_dispute(key, pi.id)
    assert client.v1.disputes.update(dispute_id, params={"submit": True}).status == "under_review"
    assert standin_account.control.appeal_dispute(key, dispute_id) == "appeal_needs_response"
    resubmitted = client.v1.disputes.update(dispute_id, params={"submit": True})
    assert resubmitted.status == "appeal_under_review"
    assert standin_account.control.close_dispute(key, dispute_id, won=True) == "won"
    assert [t.amount for t in client.v1.disputes.retrieve(dispute_id).balance_transactions] == [
        -5000,
        5000,
    ]


# --- automatic payouts, and payouts listed by creation time ---------------------------------


def test_an_account_with_automatic_payouts_pays_out_its_available_balance_daily(
    standin_account: StandinAccount,
) -> None:
    client, key = standin_account.client, standin_account.secret_key
    standin_account.control.configure_account(key, automatic_payouts=True)
    _paid(standin_account)
    standin_account.control.advance_clock(key, DAY)
    assert client.v1.payouts.list().data == []  # the card's funds are not available yet
    standin_account.control.advance_clock(key, 2 * DAY)
    [payout] = client.v1.payouts.list().data
    available = client.v1.balance.retrieve().available[0].amount
    assert (payout.automatic, payout.status, available) == (True, "in_transit", 0)
    events = [e.type for e in client.v1.events.list(params={"type": "payout.*"}).data]
    assert events[::-1] == ["payout.created", "payout.updated"]  # made, then submitted
    standin_account.control.advance_clock(key, 3 * DAY)  # nothing new to pay out
    assert [p.id for p in client.v1.payouts.list().data] == [payout.id]


def test_payouts_are_listed_by_creation_time(standin_account: StandinAccount) -> None:
    client, key = standin_account.client, standin_account.secret_key
    _paid(standin_account)
    standin_account.control.advance_clock(key, 3 * DAY)
    older = standin_account.control.payout(key)
    _paid(standin_account, 7000)
    standin_account.control.advance_clock(key, 3 * DAY)
    newer = standin_account.control.payout(key)
    created = client.v1.payouts.retrieve(newer).created
    listed = client.v1.payouts.list(params={"created": {"gte": created}}).data
    assert [p.id for p in listed] == [newer]
    before = client.v1.payouts.list(params={"created": {"lt": created}}).data
    assert [p.id for p in before] == [older]
