"""The one state machine for donations and payments.

draft -> pending -> processing -> succeeded | failed | canceled
succeeded -> partially_refunded | refunded | disputed -> won | lost

A failed payment may be tried again on the same PaymentIntent (another card, another debit), so
failed leads back to pending, processing or succeeded. Every move is checked here: a move the
machine does not know raises; a move to a state the record has already passed (an old event
arriving after a newer one) is stale and ignored.

Money can also come back, and those moves look stale: a refund can fail after it was made (a
bank debit's refund stays pending for days), so refunded leads back to partially_refunded or
succeeded, and partially_refunded to succeeded; a dispute can end without a chargeback (an
inquiry that closed, one prevented before it began), so disputed leads back to succeeded.
They are taken only when the caller read them from the charge as it is now (`settled=True`,
`RETURNS`); an old event's state never takes them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from enum import StrEnum

log = logging.getLogger(__name__)


class Status(StrEnum):
    """Where a donation or payment stands."""

    DRAFT = "draft"
    PENDING = "pending"  # created at Stripe, waiting for the donor to confirm
    PROCESSING = "processing"  # a bank debit was submitted; settles in a few days
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # declined or returned; may be tried again
    CANCELED = "canceled"  # abandoned or cancelled; final
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    DISPUTED = "disputed"  # a chargeback (or a SEPA/Bacs return) is open
    WON = "won"  # the dispute ended in the charity's favour
    LOST = "lost"  # the dispute ended against it: the money is gone


S = Status

TRANSITIONS: Mapping[Status, frozenset[Status]] = {
    S.DRAFT: frozenset({S.PENDING}),
    S.PENDING: frozenset({S.PROCESSING, S.SUCCEEDED, S.FAILED, S.CANCELED}),
    S.PROCESSING: frozenset({S.SUCCEEDED, S.FAILED, S.CANCELED}),
    S.FAILED: frozenset({S.PENDING, S.PROCESSING, S.SUCCEEDED, S.CANCELED}),
    S.SUCCEEDED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED}),
    S.PARTIALLY_REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED}),
    S.DISPUTED: frozenset({S.WON, S.LOST}),
    S.WON: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.REFUNDED: frozenset(),
    S.LOST: frozenset(),
    S.CANCELED: frozenset(),
}

#: Moves back that only the charge's present state can justify (see the module docstring).
RETURNS: Mapping[Status, frozenset[Status]] = {
    S.REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.SUCCEEDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.SUCCEEDED}),
    S.DISPUTED: frozenset({S.SUCCEEDED}),
}

#: How far along the life of a gift each state is. Moving to a lower stage is stale: the
#: record already reflects something that happened later.
STAGE: Mapping[Status, int] = {
    S.DRAFT: 0,
    S.PENDING: 1,
    S.FAILED: 1,
    S.PROCESSING: 2,
    S.CANCELED: 3,
    S.SUCCEEDED: 3,
    S.PARTIALLY_REFUNDED: 4,
    S.DISPUTED: 4,
    S.REFUNDED: 5,
    S.WON: 5,
    S.LOST: 5,
}

#: States in which the charity holds the money, so a receipt stands.
MONEY_KEPT = frozenset({S.SUCCEEDED, S.PARTIALLY_REFUNDED, S.DISPUTED, S.WON})


class ImpossibleTransition(ValueError):
    """A move the state machine does not allow: a bug, or an event we do not understand."""

    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"cannot move from {current} to {target}")
        self.current = current
        self.target = target


def reachable(current: Status, target: Status) -> bool:
    """Whether `target` can follow `current` through one or more allowed moves.

    More than one move happens when an event was missed or comes late: a refund seen before
    the payment's success still means the payment succeeded first.
    """
    seen, frontier = {current}, [current]
    while frontier:
        state = frontier.pop()
        for following in TRANSITIONS[state]:
            if following == target:
                return True
            if following not in seen:
                seen.add(following)
                frontier.append(following)
    return False


def decide(current: Status, target: Status, *, settled: bool = False) -> bool:
    """True to move `current` to `target`; False to ignore (nothing new, or stale); else raise.

    `settled`: `target` was read from the charge as it is now, so money that came back (a
    failed refund, a dispute that ended without a chargeback) moves the record back too.
    """
    if settled and target in RETURNS.get(current, frozenset()):
        return True
    if target == current and target not in TRANSITIONS[current]:
        return False
    if reachable(current, target):
        return True
    if STAGE[target] < STAGE[current]:
        log.info("stale transition %s -> %s ignored", current, target)
        return False
    raise ImpossibleTransition(current, target)
