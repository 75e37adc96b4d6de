"""The stand-in pauses a subscription's collection as Stripe does with `pause_collection`:
while paused, each period's invoice is voided and nothing is charged; "" resumes."""

from __future__ import annotations

from checkout.testing.stripe_standin.pytest_plugin import StandinAccount
from tests.standin.test_subscriptions import _confirm_first_invoice, _subscribe


def test_a_paused_plan_skips_its_renewals_until_resumed(standin_account: StandinAccount) -> None:
    client, control, key = (
        standin_account.client,
        standin_account.control,
        standin_account.secret_key,
    )
    sub = _subscribe(standin_account)
    _confirm_first_invoice(standin_account, sub)
    paused = client.v1.subscriptions.update(
        sub.id, params={"pause_collection": {"behavior": "void"}}
    )
    assert paused.pause_collection is not None and paused.pause_collection.behavior == "void"
    control.advance_to_next_renewal(key)
    invoices = client.v1.invoices.list(params={"subscription": sub.id}).data
    assert [(i.billing_reason, i.status) for i in invoices] == [
        ("subscription_cycle", "void"),
        ("subscription_create", "paid"),
    ]
    resumed = client.v1.subscriptions.update(sub.id, params={"pause_collection": ""})
    assert resumed.pause_collection is None and resumed.status == "active"
    control.advance_to_next_renewal(key)
    latest = client.v1.invoices.list(params={"subscription": sub.id}).data[0]
    assert (latest.billing_reason, latest.status) == ("subscription_cycle", "paid")


def test_an_unknown_pause_behaviour_is_refused(standin_account: StandinAccount) -> None:
    import pytest
    import stripe

    sub = _subscribe(standin_account)
    with pytest.raises(stripe.InvalidRequestError, match="pause_collection"):
        standin_account.client.v1.subscriptions.update(
            sub.id,
            params={"pause_collection": {"behavior": "sometimes"}},  # type: ignore[typeddict-item]
        )
