"""Every pair of states, from a table: allowed, ignored as stale, or impossible."""

from __future__ import annotations

import itertools

import pytest

from checkout.donations.states import (
    STAGE,
    TRANSITIONS,
    ImpossibleTransition,
    Status,
    decide,
    reachable,
)

S = Status
APPLY, IGNORE, RAISE = "apply", "ignore", "raise"

# The expected outcome of every (current, target) pair, written out by hand. Rows: current.
EXPECTED: dict[Status, dict[Status, str]] = {
    S.DRAFT: {
        S.DRAFT: IGNORE,
        S.PENDING: APPLY,
        S.PROCESSING: APPLY,
        S.SUCCEEDED: APPLY,
        S.FAILED: APPLY,
        S.CANCELED: APPLY,
        S.PARTIALLY_REFUNDED: APPLY,
        S.REFUNDED: APPLY,
        S.DISPUTED: APPLY,
        S.WON: APPLY,
        S.LOST: APPLY,
    },
    S.PENDING: {
        S.DRAFT: IGNORE,
        S.PENDING: IGNORE,
        S.PROCESSING: APPLY,
        S.SUCCEEDED: APPLY,
        S.FAILED: APPLY,
        S.CANCELED: APPLY,
        S.PARTIALLY_REFUNDED: APPLY,
        S.REFUNDED: APPLY,
        S.DISPUTED: APPLY,
        S.WON: APPLY,
        S.LOST: APPLY,
    },
    # processing -> pending: a debit failed and the donor is confirming another method.
    S.PROCESSING: {
        S.DRAFT: IGNORE,
        S.PENDING: APPLY,
        S.PROCESSING: IGNORE,
        S.SUCCEEDED: APPLY,
        S.FAILED: APPLY,
        S.CANCELED: APPLY,
        S.PARTIALLY_REFUNDED: APPLY,
        S.REFUNDED: APPLY,
        S.DISPUTED: APPLY,
        S.WON: APPLY,
        S.LOST: APPLY,
    },
    S.FAILED: {
        S.DRAFT: IGNORE,
        S.PENDING: APPLY,
        S.PROCESSING: APPLY,
        S.SUCCEEDED: APPLY,
        S.FAILED: IGNORE,
        S.CANCELED: APPLY,
        S.PARTIALLY_REFUNDED: APPLY,
        S.REFUNDED: APPLY,
        S.DISPUTED: APPLY,
        S.WON: APPLY,
        S.LOST: APPLY,
    },
    S.SUCCEEDED: {
        S.DRAFT: IGNORE,
        S.PENDING: IGNORE,
        S.PROCESSING: IGNORE,
        S.SUCCEEDED: IGNORE,
        S.FAILED: IGNORE,
        S.CANCELED: RAISE,
        S.PARTIALLY_REFUNDED: APPLY,
        S.REFUNDED: APPLY,
        S.DISPUTED: APPLY,
        S.WON: APPLY,
        S.LOST: APPLY,
    },
    S.CANCELED: {
        S.DRAFT: IGNORE,
        S.PENDING: IGNORE,
        S.PROCESSING: IGNORE,
        S.SUCCEEDED: RAISE,
        S.FAILED: IGNORE,
        S.CANCELED: IGNORE,
        S.PARTIALLY_REFUNDED: RAISE,
        S.REFUNDED: RAISE,
        S.DISPUTED: RAISE,
        S.WON: RAISE,
        S.LOST: RAISE,
    },
    S.PARTIALLY_REFUNDED: {
        S.DRAFT: IGNORE,
        S.PENDING: IGNORE,
        S.PROCESSING: IGNORE,
        S.SUCCEEDED: IGNORE,
        S.FAILED: IGNORE,
        S.CANCELED: IGNORE,
        S.PARTIALLY_REFUNDED: APPLY,
        S.REFUNDED: APPLY,
        S.DISPUTED: APPLY,
        S.WON: APPLY,
        S.LOST: APPLY,
    },
    S.DISPUTED: {
        S.DRAFT: IGNORE,
        S.PENDING: IGNORE,
        S.PROCESSING: IGNORE,
        S.SUCCEEDED: IGNORE,
        S.FAILED: IGNORE,
        S.CANCELED: IGNORE,
        S.PARTIALLY_REFUNDED: APPLY,
        S.REFUNDED: APPLY,
        S.DISPUTED: IGNORE,
        S.WON: APPLY,
        S.LOST: APPLY,
    },
    S.REFUNDED: {
        S.DRAFT: IGNORE,
        S.PENDING: IGNORE,
        S.PROCESSING: IGNORE,
        S.SUCCEEDED: IGNORE,
        S.FAILED: IGNORE,
        S.CANCELED: IGNORE,
        S.PARTIALLY_REFUNDED: IGNORE,
        S.REFUNDED: IGNORE,
        S.DISPUTED: IGNORE,
        S.WON: RAISE,
        S.LOST: RAISE,
    },
    # won -> disputed/lost: after a partial refund a charge can be disputed again.
    S.WON: {
        S.DRAFT: IGNORE,
        S.PENDING: IGNORE,
        S.PROCESSING: IGNORE,
        S.SUCCEEDED: IGNORE,
        S.FAILED: IGNORE,
        S.CANCELED: IGNORE,
        S.PARTIALLY_REFUNDED: APPLY,
        S.REFUNDED: APPLY,
        S.DISPUTED: APPLY,
        S.WON: IGNORE,
        S.LOST: APPLY,
    },
    S.LOST: {
        S.DRAFT: IGNORE,
        S.PENDING: IGNORE,
        S.PROCESSING: IGNORE,
        S.SUCCEEDED: IGNORE,
        S.FAILED: IGNORE,
        S.CANCELED: IGNORE,
        S.PARTIALLY_REFUNDED: IGNORE,
        S.REFUNDED: RAISE,
        S.DISPUTED: IGNORE,
        S.WON: RAISE,
        S.LOST: IGNORE,
    },
}

PAIRS = list(itertools.product(Status, Status))


def test_the_table_covers_every_pair() -> None:
    assert {(a, b) for a in EXPECTED for b in EXPECTED[a]} == set(PAIRS)


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=lambda s: str(s))
def test_every_transition(current: Status, target: Status) -> None:
    expected = EXPECTED[current][target]
    if expected == RAISE:
        with pytest.raises(ImpossibleTransition):
            decide(current, target)
    else:
        assert decide(current, target) is (expected == APPLY)


def test_every_state_has_a_stage_and_a_row() -> None:
    assert set(STAGE) == set(Status) == set(TRANSITIONS)


def test_final_states_lead_nowhere() -> None:
    for final in (S.REFUNDED, S.LOST, S.CANCELED):
        assert not any(reachable(final, other) for other in Status)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.REFUNDED, S.SUCCEEDED),  # the refund failed: the money is kept after all
        (S.REFUNDED, S.PARTIALLY_REFUNDED),  # one of two refunds failed
        (S.PARTIALLY_REFUNDED, S.SUCCEEDED),
        (S.DISPUTED, S.SUCCEEDED),  # an inquiry closed without a chargeback
    ],
)
def test_money_that_came_back_moves_back_only_when_read_from_the_charge(
    current: Status, target: Status
) -> None:
    assert decide(current, target, settled=True)
    assert not decide(current, target)  # from an old event: stale, ignored


def test_a_settled_read_still_refuses_what_cannot_happen() -> None:
    with pytest.raises(ImpossibleTransition):
        decide(S.LOST, S.WON, settled=True)
    assert not decide(S.LOST, S.SUCCEEDED, settled=True)


def test_a_refund_seen_before_success_passes_through_success() -> None:
    assert reachable(S.PENDING, S.REFUNDED)
    assert decide(S.PENDING, S.REFUNDED)
