"""Subscriptions: `default_incomplete` with a confirmation secret, renewals on the clock."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from checkout.testing.stripe_standin.pytest_plugin import StandinAccount

DAY = 86_400


def _subscribe(
    account: StandinAccount, types: list[str] | None = None, **extra: Any
) -> stripe.Subscription:
    """A monthly €15 subscription as the gateway creates it."""
    client = account.client
    customer = client.v1.customers.create(params={"email": "m@example.org"})
    product = client.v1.products.create(params={"name": "Monthly gift"})
    return client.v1.subscriptions.create(
        params={
            "customer": customer.id,
            "items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "product": product.id,
                        "unit_amount": 1500,
                        "recurring": {"interval": "month"},
                    }
                }
            ],
            "payment_behavior": "default_incomplete",
            "payment_settings": {
                "save_default_payment_method": "on_subscription",
                "payment_method_types": types or ["card"],
            },  # type: ignore[typeddict-item]
            "expand": ["latest_invoice.confirmation_secret"],
            "metadata": {"plan": "7"},
            **extra,
        }
    )


def _confirm_first_invoice(
    account: StandinAccount, sub: stripe.Subscription, method: str = "pm_card_visa", **extra: Any
) -> str:
    """Confirm the first invoice's intent with the publishable key, as the page does."""
    invoice = sub.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert invoice.confirmation_secret is not None
    secret = invoice.confirmation_secret.client_secret
    intent_id = secret.split("_secret_")[0]
    browser = account.standin.client(account.publishable_key)
    browser.v1.payment_intents.confirm(
        intent_id,
        params={  # type: ignore[typeddict-unknown-key]
            "client_secret": secret,
            "payment_method": method,
            **extra,
        },
    )
    return intent_id


def test_default_incomplete_then_confirmed_becomes_active(
    standin_account: StandinAccount,
) -> None:
    sub = _subscribe(standin_account)
    assert sub.status == "incomplete"
    item = sub["items"].data[0]
    assert item.current_period_end > item.current_period_start
    assert sub.latest_invoice.confirmation_secret.type == "payment_intent"  # type: ignore[union-attr]
    intent_id = _confirm_first_invoice(standin_account, sub)
    client = standin_account.client
    active = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert active.status == "active"
    assert active.default_payment_method is not None
    invoice = active.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert (invoice.status, invoice.amount_paid, invoice.billing_reason) == (
        "paid",
        1500,
        "subscription_create",
    )
    assert invoice.parent is not None
    assert invoice.parent.subscription_details is not None
    assert invoice.parent.subscription_details.subscription == sub.id
    payments = client.v1.invoice_payments.list(params={"invoice": str(invoice.id)})
    assert payments.data[0].payment.payment_intent == intent_id
    types = [e.type for e in client.v1.events.list(params={"limit": 100}).data]
    assert {"invoice.paid", "customer.subscription.updated"} <= set(types)


def test_clock_renews_and_the_saved_card_pays(standin_account: StandinAccount) -> None:
    sub = _subscribe(standin_account)
    _confirm_first_invoice(standin_account, sub)
    control, key = standin_account.control, standin_account.secret_key
    control.advance_to_next_renewal(key)
    invoices = standin_account.client.v1.invoices.list(params={"subscription": sub.id})
    assert [(i.billing_reason, i.status) for i in invoices.data] == [
        ("subscription_cycle", "paid"),
        ("subscription_create", "paid"),
    ]
    renewed = standin_account.client.v1.subscriptions.retrieve(sub.id)
    assert renewed["items"].data[0].current_period_start == (
        sub["items"].data[0].current_period_end
    )
    paid = standin_account.client.v1.events.list(params={"type": "invoice.paid"})
    assert len(paid.data) == 2


def test_failed_renewal_makes_the_subscription_past_due(
    standin_account: StandinAccount,
) -> None:
    client = standin_account.client
    sub = _subscribe(standin_account)
    _confirm_first_invoice(standin_account, sub)
    # The donor then switches to a card that attaches but fails every charge (…0341).
    method = client.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": str(sub.customer)}
    )
    client.v1.subscriptions.update(sub.id, params={"default_payment_method": method.id})
    standin_account.control.advance_to_next_renewal(standin_account.secret_key)
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    failed = client.v1.events.list(params={"type": "invoice.payment_failed"})
    assert len(failed.data) == 1
    latest = client.v1.invoices.list(params={"subscription": sub.id}).data[0]
    assert (latest.status, latest.attempt_count) == ("open", 1)


def test_renewal_that_needs_3ds_asks_for_action(standin_account: StandinAccount) -> None:
    sub = _subscribe(standin_account)
    _confirm_first_invoice(standin_account, sub, "pm_card_authenticationRequired")
    invoice = sub.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert invoice.confirmation_secret is not None
    intent = invoice.confirmation_secret.client_secret.split("_secret_")[0]
    standin_account.control.authenticate(standin_account.secret_key, intent)
    standin_account.control.advance_to_next_renewal(standin_account.secret_key)
    events = standin_account.client.v1.events.list(
        params={"type": "invoice.payment_action_required"}
    )
    assert len(events.data) == 2  # the first payment and the renewal


def test_sepa_subscription_renews_through_settlement(standin_account: StandinAccount) -> None:
    sub = _subscribe(standin_account, ["sepa_debit"])
    method = standin_account.client.v1.payment_methods.create(
        params={
            "type": "sepa_debit",
            "sepa_debit": {"iban": "DE89370400440532013000"},
            "billing_details": {"name": "M", "email": "m@example.org"},
        }
    )
    _confirm_first_invoice(
        standin_account,
        sub,
        method.id,
        mandate_data={
            "customer_acceptance": {
                "type": "online",
                "online": {"ip_address": "198.51.100.1", "user_agent": "pytest"},
            }
        },
    )
    key = standin_account.secret_key
    assert standin_account.client.v1.subscriptions.retrieve(sub.id).status == "incomplete"
    standin_account.control.settle_debits(key)
    assert standin_account.client.v1.subscriptions.retrieve(sub.id).status == "active"
    standin_account.control.advance_to_next_renewal(key)
    latest = standin_account.client.v1.invoices.list(params={"subscription": sub.id}).data[0]
    assert latest.status == "open"
    standin_account.control.settle_debits(key)
    latest = standin_account.client.v1.invoices.retrieve(str(latest.id))
    assert latest.status == "paid"


def test_unpaid_default_incomplete_expires(standin_account: StandinAccount) -> None:
    sub = _subscribe(standin_account)
    standin_account.control.advance_clock(standin_account.secret_key, 23 * 3600 + 5)
    expired = standin_account.client.v1.subscriptions.retrieve(
        sub.id, params={"expand": ["latest_invoice"]}
    )
    assert expired.status == "incomplete_expired"
    assert expired.latest_invoice.status == "void"  # type: ignore[union-attr]


def test_cancel_now_and_at_period_end(standin_account: StandinAccount) -> None:
    client, key = standin_account.client, standin_account.secret_key
    now_sub = _subscribe(standin_account)
    _confirm_first_invoice(standin_account, now_sub)
    canceled = client.v1.subscriptions.cancel(now_sub.id)
    assert canceled.status == "canceled"
    assert canceled.canceled_at is not None
    later = _subscribe(standin_account)
    _confirm_first_invoice(standin_account, later)
    asked_at = standin_account.control.now(key)
    asked = client.v1.subscriptions.update(later.id, params={"cancel_at_period_end": True})
    period_end = asked["items"].data[0].current_period_end
    # Still active and debiting until then, but canceled_at is already the request's time.
    assert (asked.status, asked.cancel_at) == ("active", period_end)
    assert asked.canceled_at is not None and asked_at <= asked.canceled_at <= asked_at + 2
    standin_account.control.advance_clock(key, 32 * DAY)
    ended = client.v1.subscriptions.retrieve(later.id)
    assert (ended.status, ended.canceled_at, ended.ended_at) == (
        "canceled",
        asked.canceled_at,
        period_end,
    )
    deleted = client.v1.events.list(params={"type": "customer.subscription.deleted"})
    assert len(deleted.data) == 2


def test_amount_change_through_items(standin_account: StandinAccount) -> None:
    sub = _subscribe(standin_account)
    _confirm_first_invoice(standin_account, sub)
    item = sub["items"].data[0]
    product = item.price.product
    standin_account.client.v1.subscriptions.update(
        sub.id,
        params={
            "proration_behavior": "none",
            "items": [
                {
                    "id": item.id,
                    "price_data": {
                        "currency": "eur",
                        "product": str(product),
                        "unit_amount": 2500,
                        "recurring": {"interval": "month"},
                    },
                }
            ],
        },
    )
    standin_account.control.advance_to_next_renewal(standin_account.secret_key)
    latest = standin_account.client.v1.invoices.list(params={"subscription": sub.id}).data[0]
    assert latest.amount_paid == 2500


def test_the_first_invoice_offers_only_the_subscriptions_method_types(
    standin_account: StandinAccount,
) -> None:
    subscription = _subscribe(standin_account, types=["sepa_debit"])
    invoice = subscription.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert invoice.confirmation_secret is not None
    intent_id = invoice.confirmation_secret.client_secret.split("_secret_")[0]
    intent = standin_account.client.v1.payment_intents.retrieve(intent_id)
    assert intent.payment_method_types == ["sepa_debit"]


def test_deleting_a_customer_cancels_its_subscriptions_as_stripe_documents(
    standin_account: StandinAccount,
) -> None:
    client = standin_account.client
    sub = _subscribe(standin_account)
    _confirm_first_invoice(standin_account, sub)
    customer = str(sub.customer)

    deleted = client.v1.customers.delete(customer)

    assert deleted.to_dict() == {"id": customer, "object": "customer", "deleted": True}
    assert client.v1.subscriptions.retrieve(sub.id).status == "canceled"
    types = [e.type for e in client.v1.events.list(params={"limit": 3}).data]
    assert types[:2] == ["customer.deleted", "customer.subscription.deleted"]
    assert client.v1.customers.retrieve(customer).to_dict()["deleted"] is True
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.customers.delete(customer)
    assert (refused.value.http_status, refused.value.code) == (404, "resource_missing")
