"""The stand-in's clock: per-account time that tests move forward, and what time brings.

Each account's time is the wall clock plus an offset. A tick settles bank debits whose time
has come, books card charges whose asynchronous capture completed, ends pending (or failing)
refunds, renews subscriptions whose period ended, expires unpaid `default_incomplete`
subscriptions, makes pending funds available and moves payouts along (in transit, paid,
reconciled). The server ticks every account once a second in the background; moving the clock
ticks at once, so the control call answers after the consequences.
"""

from __future__ import annotations

import threading

from checkout.testing.stripe_standin import balance, payouts, refunds, subscriptions
from checkout.testing.stripe_standin.confirmation import due_debits, settle
from checkout.testing.stripe_standin.errors import invalid
from checkout.testing.stripe_standin.store import Account, Store


def tick(account: Account) -> None:
    """Apply everything that is due at the account's current time."""
    for intent in due_debits(account):
        settle(account, intent)
    balance.book_captures(account)
    refunds.settle_due(account)
    subscriptions.renew_due(account)
    subscriptions.expire_incomplete(account)
    balance.refresh(account)
    payouts.advance(account)


def advance(account: Account, seconds: int) -> int:
    """Move the account's time forward and apply what became due; return the new time."""
    if seconds < 0:
        raise invalid("The clock only moves forward.", param="seconds")
    account.clock_offset += seconds
    tick(account)
    return account.now()


def advance_to_next_renewal(account: Account) -> int:
    """Move time to just past the earliest end of an active subscription's period."""
    ends = [
        subscriptions.period_end(s)
        for s in account.all("subscription")
        if s["status"] in ("active", "past_due")
    ]
    if not ends:
        raise invalid("No active subscription to renew in this account.")
    return advance(account, max(0, min(ends) - account.now()) + 1)


class Ticker(threading.Thread):
    """Ticks every account once a second, so debits settle in the demo without a test."""

    def __init__(self, store: Store, interval: float = 1.0) -> None:
        super().__init__(name="standin-clock", daemon=True)
        self.store = store
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        """Tick until stopped."""
        while not self.stopping.wait(self.interval):
            with self.store.lock:
                for account in list(self.store.accounts.values()):
                    tick(account)

    def stop(self) -> None:
        """Ask the thread to finish."""
        self.stopping.set()
