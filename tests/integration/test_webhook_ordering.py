"""Webhooks in any order and any number of times end where delivery in Stripe's order ends.

Each scenario makes its events once, on a fresh stand-in account (a real gift through the
wizard, then the stand-in's own confirmations, settlements, renewals, refunds and disputes).
Hypothesis then chooses orders and duplicates; every delivery runs inside a savepoint of the
test's transaction that is rolled back afterwards, so each example starts from the same rows.

Our handlers re-fetch each object, whose state at the stand-in is already the final one: that
is the design ("re-fetch so order does not matter"). What this proves is that no order or
repetition raises, double-counts a payment, stores an event twice or leaves a state behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select

from checkout.db import get_database
from checkout.donations.models import Donation, Payment, RecurringPlan
from checkout.payments.models import StripeEvent
from tests.money_support import app_on_account
from tests.payments_support import Office, client_secret, pay

WEBHOOK_SECRET = "whsec_ordering_tests"
SEPA_MANDATE = {
    "customer_acceptance": {
        "type": "online",
        "online": {"ip_address": "127.0.0.1", "user_agent": "pytest"},
    }
}

Snapshot = dict[str, Any]


@dataclass
class World:
    """One scenario's app (bound to the test's transaction) and its fresh Stripe account."""

    app: Flask
    client: FlaskClient
    office: Office
    account: Any  # StandinAccount

    @property
    def key(self) -> str:
        return str(self.account.secret_key)

    def confirm(self, client_secret: str, **params: Any) -> None:
        intent = client_secret.split("_secret_")[0]
        self.office.client.v1.payment_intents.confirm(intent, params=params)

    def charge_of(self, client_secret: str) -> str:
        intent = client_secret.split("_secret_")[0]
        charge = self.office.client.v1.payment_intents.retrieve(intent).latest_charge
        assert isinstance(charge, str)
        return charge


# --- scenarios: drive the Stripe side once, and say what the in-order result must be ---------


def card_success(world: World) -> None:
    world.confirm(
        client_secret(pay(world.client, "DE", method="card")), payment_method="pm_card_visa"
    )
    world.account.control.complete_captures(world.key)  # charge.updated: the fee is known


def expect_card_success(state: Snapshot) -> None:
    assert state["donation"] == "succeeded"
    [payment] = state["payments"]
    assert payment["status"] == "succeeded"
    assert payment["fee_minor"] > 0
    assert payment["net_minor"] == payment["amount_minor"] - payment["fee_minor"]
    assert payment["receipt_due"]


def sepa(world: World, fail: bool) -> None:
    secret = client_secret(pay(world.client, "DE", method="sepa_debit"))
    method = world.office.client.v1.payment_methods.create(
        params={
            "type": "sepa_debit",
            "sepa_debit": {"iban": "DE89370400440532013000"},
            "billing_details": {"name": "Alex Doe", "email": "alex@example.org"},
        }
    )
    world.confirm(secret, payment_method=method.id, mandate_data=SEPA_MANDATE)
    settled = world.account.control.settle_debits(world.key, fail=fail)
    assert settled == [secret.split("_secret_")[0]]


def expect_sepa_settled(state: Snapshot) -> None:
    assert state["donation"] == "succeeded"
    [payment] = state["payments"]
    assert (payment["status"], payment["fee_minor"]) == ("succeeded", 35)
    assert payment["receipt_due"]


def expect_sepa_failed(state: Snapshot) -> None:
    assert state["donation"] == "failed"
    assert all(p["status"] == "failed" and not p["receipt_due"] for p in state["payments"])


def monthly_with_failed_renewal(world: World) -> None:
    secret = client_secret(
        pay(
            world.client,
            "UK",
            method="card",
            frequency="monthly",
            amount="other",
            other_amount="10",
        )
    )
    world.confirm(secret, payment_method="pm_card_visa")
    stripe = world.office.client.v1
    [subscription] = stripe.subscriptions.list().data
    # 4000 0000 0000 0341 attaches, then every charge is declined: the renewal fails.
    failing = stripe.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": str(subscription.customer)}
    )
    stripe.subscriptions.update(subscription.id, params={"default_payment_method": failing.id})
    world.account.control.advance_to_next_renewal(world.key)
    assert stripe.subscriptions.retrieve(subscription.id).status == "past_due"


def expect_monthly_with_failed_renewal(state: Snapshot) -> None:
    assert state["plan"]["status"] == "past_due"
    assert state["donation"] == "succeeded"
    [payment] = state["payments"]  # the first month only: the renewal was not paid
    assert (payment["status"], payment["amount_minor"]) == ("succeeded", 1000)
    assert payment["invoice"]


def refunded_in_two_steps(world: World) -> None:
    secret = client_secret(pay(world.client, "DE", method="card"))
    world.confirm(secret, payment_method="pm_card_visa")
    world.account.control.dashboard_refund(world.key, world.charge_of(secret), amount=500)
    world.account.control.dashboard_refund(world.key, world.charge_of(secret))


def expect_refunded(state: Snapshot) -> None:
    assert state["donation"] == "refunded"
    [payment] = state["payments"]
    assert payment["status"] == "refunded"
    assert payment["refunded_minor"] == payment["amount_minor"]


def disputed(world: World, won: bool) -> None:
    secret = client_secret(pay(world.client, "DE", method="card"))
    world.confirm(secret, payment_method="pm_card_visa")
    dispute = world.account.control.open_dispute(world.key, world.charge_of(secret))
    world.account.control.close_dispute(world.key, dispute, won=won)


def expect_dispute(outcome: str) -> Callable[[Snapshot], None]:
    def check(state: Snapshot) -> None:
        assert state["donation"] == outcome
        [payment] = state["payments"]
        assert payment["status"] == outcome

    return check


SCENARIOS: dict[str, tuple[str, Callable[[World], None], Callable[[Snapshot], None]]] = {
    "card succeeds": ("DE", card_success, expect_card_success),
    "sepa settles": ("DE", lambda w: sepa(w, fail=False), expect_sepa_settled),
    "sepa fails": ("DE", lambda w: sepa(w, fail=True), expect_sepa_failed),
    "monthly renewal fails": (
        "UK",
        monthly_with_failed_renewal,
        expect_monthly_with_failed_renewal,
    ),
    "refund partial then full": ("DE", refunded_in_two_steps, expect_refunded),
    "dispute won": ("DE", lambda w: disputed(w, won=True), expect_dispute("won")),
    "dispute lost": ("DE", lambda w: disputed(w, won=False), expect_dispute("lost")),
}


# --- delivery into a fresh state, and what we compare ------------------------------------


@st.composite
def orders(draw: st.DrawFn, count: int) -> list[int]:
    """A permutation of range(count) with some events repeated at chosen places."""
    order = list(draw(st.permutations(range(count))))
    repeats = draw(
        st.lists(st.tuples(st.integers(0, count - 1), st.integers(0, count)), max_size=count)
    )
    for event, where in repeats:
        order.insert(min(where, len(order)), event)
    return order


def snapshot(connection: Connection, donation_id: int, event_ids: list[str]) -> Snapshot:
    """Everything the events may change, read straight from the test's connection."""
    payments = connection.execute(
        select(Payment.__table__)
        .where(Payment.donation_id == donation_id)
        .order_by(Payment.stripe_invoice_id, Payment.stripe_payment_intent_id)
    ).mappings()
    plan = (
        connection.execute(
            select(RecurringPlan.__table__).where(RecurringPlan.donation_id == donation_id)
        )
        .mappings()
        .one_or_none()
    )
    stored = connection.execute(
        select(StripeEvent.event_id, StripeEvent.outcome)
        .where(StripeEvent.event_id.in_(event_ids))
        .order_by(StripeEvent.event_id)
    )
    return {
        "donation": connection.scalar(select(Donation.status).where(Donation.id == donation_id)),
        "payments": [
            {
                "status": p["status"],
                "amount_minor": p["amount_minor"],
                "refunded_minor": p["refunded_minor"],
                "fee_minor": p["fee_minor"],
                "net_minor": p["net_minor"],
                "intent": p["stripe_payment_intent_id"],
                "charge": p["stripe_charge_id"],
                "invoice": p["stripe_invoice_id"],
                "balance": p["stripe_balance_transaction_id"],
                "paid_at": p["paid_at"],
                "receipt_due": p["receipt_due_at"] is not None,
            }
            for p in payments
        ],
        "plan": None
        if plan is None
        else {
            "status": plan["status"],
            "period_end": plan["current_period_end"],
            "canceled": plan["canceled_at"] is not None,
        },
        "stored_events": [tuple(row) for row in stored],
    }


def delivered(
    connection: Connection, office: Office, events: list[dict[str, Any]], donation_id: int
) -> Snapshot:
    """Deliver `events` in this order into a savepoint; the state they left; roll back."""
    savepoint = connection.begin_nested()
    try:
        statuses = office.deliver(events)
        assert set(statuses) == {200}, statuses
        return snapshot(connection, donation_id, [e["id"] for e in events])
    finally:
        savepoint.rollback()


@pytest.fixture
def make_world(connection, database_url, standin_account) -> Iterator[Any]:
    apps: list[Flask] = []

    def make(code: str) -> World:
        app = app_on_account(code, standin_account, WEBHOOK_SECRET, connection, database_url)
        apps.append(app)
        office = Office(code, app, standin_account.client, WEBHOOK_SECRET)
        return World(app, app.test_client(), office, standin_account)

    yield make
    for app in apps:
        get_database(app).engine.dispose()


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_any_order_and_repetition_ends_as_in_order_delivery(
    scenario: str, make_world, connection: Connection
) -> None:
    code, drive, expect = SCENARIOS[scenario]
    world = make_world(code)
    drive(world)  # the Stripe side, once per scenario
    donation_id = connection.scalar(select(Donation.id).order_by(Donation.id.desc()))
    assert donation_id is not None
    events = world.office.all_events()
    assert len(events) >= 3, [e["type"] for e in events]

    in_order = delivered(connection, world.office, events, donation_id)
    expect(in_order)
    assert len(in_order["stored_events"]) == len(events)

    @settings(max_examples=15, deadline=None, database=None)
    @given(orders(len(events)))
    def any_order(order: list[int]) -> None:
        shuffled = [events[i] for i in order]
        assert delivered(connection, world.office, shuffled, donation_id) == in_order

    any_order()
