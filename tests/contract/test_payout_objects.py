"""The stand-in's payout and balance transaction objects, as finance reads them, against
Stripe's own description: the fields of the stripe SDK's typed resource classes, and the
example objects of the public stripe/openapi repository (tests/contract/data, its source
noted there)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import stripe

from checkout.testing.stripe_standin.pytest_plugin import StandinAccount

FIXTURES = json.loads(
    (Path(__file__).parent / "data" / "stripe_openapi_payout_fixtures.json").read_text()
)
DAY = 86_400


def _kind(value: Any) -> str:
    """A JSON value's type, ints and floats apart (amounts are integers, rates decimals)."""
    return type(value).__name__


@pytest.fixture
def paid_out(standin_account: StandinAccount) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A reconciled payout of a card payment, and its balance transactions, as raw JSON."""
    client, key = standin_account.client, standin_account.secret_key
    client.v1.payment_intents.create(
        params={
            "amount": 5000,
            "currency": "eur",
            "confirm": True,
            "payment_method": "pm_card_visa",
            "allowed_payment_method_types": ["card"],
        }
    )
    standin_account.control.complete_captures(key)
    standin_account.control.advance_clock(key, 3 * DAY)
    payout_id = standin_account.control.payout(key)
    standin_account.control.advance_clock(key, 3 * DAY)
    payout = client.v1.payouts.retrieve(payout_id).to_dict()
    lines = client.v1.balance_transactions.list(params={"payout": payout_id}).data
    return payout, [line.to_dict() for line in lines]


@pytest.mark.parametrize("name", ["payout", "balance_transaction"])
def test_the_openapi_examples_have_only_fields_the_sdk_types(name: str) -> None:
    sdk_class = {"payout": stripe.Payout, "balance_transaction": stripe.BalanceTransaction}[name]
    assert set(FIXTURES[name]) <= set(sdk_class.__annotations__)


def test_a_standin_payout_has_the_example_payouts_fields_and_types(paid_out) -> None:
    payout, _lines = paid_out
    example = FIXTURES["payout"]
    assert set(payout) == set(example)
    assert set(payout) <= set(stripe.Payout.__annotations__)
    for field, value in example.items():
        if value is not None and payout[field] is not None:
            assert _kind(payout[field]) == _kind(value), field
    assert (payout["status"], payout["reconciliation_status"]) == ("paid", "completed")


def test_standin_balance_transactions_have_the_examples_fields_and_types(paid_out) -> None:
    payout, lines = paid_out
    example = FIXTURES["balance_transaction"]
    assert {line["type"] for line in lines} == {"charge", "payout"}
    for line in lines:
        assert set(line) == set(example), line["type"]
        assert set(line) <= set(stripe.BalanceTransaction.__annotations__)
        for field, value in example.items():
            if value is not None and line[field] is not None:
                assert _kind(line[field]) == _kind(value), field
    own = next(line for line in lines if line["type"] == "payout")
    assert (own["id"], own["amount"]) == (payout["balance_transaction"], -payout["amount"])
