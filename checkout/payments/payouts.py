"""A payout Stripe says is reconciled: fill in what our payments lack from its transactions.

`payout.paid` says the money should be at the bank; only once the payout's
`reconciliation_status` is `completed` ("you can use the Balance Transactions API to list all
balance transactions that are paid out in this payout": the SDK's docstring of
`Payout.reconciliation_status`; the event `payout.reconciliation_completed`) is the list of
its balance transactions whole. So `payout.paid` is only stored, and the reconciliation waits
for that event. Here it back-fills each payment's balance transaction, fee, net and exchange
rate where a `charge.updated` never reached us, and a failed debit's reversal. Reconciling
the payout itself (totals, exceptions, journals) is the finance feature's: it registers a
listener here (`on_payout`), which every payout event calls, so payments import no finance.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.donations.models import Donation, Payment
from checkout.payments.gateway import BalanceLine, PayoutState

#: Told of a payout as Stripe has it now, with its balance transactions once they are complete
#: (`payout.reconciliation_completed`), else None.
PayoutListener = Callable[[Session, str, PayoutState, list[BalanceLine] | None], None]
_LISTENERS: list[PayoutListener] = []

#: Balance transaction types that book a payment, and the one that reverses a failed debit.
BOOKING_TYPES = frozenset({"charge", "payment"})
FAILURE_TYPE = "payment_failure_refund"


def fill_from_payout(session: Session, office: str, lines: list[BalanceLine]) -> int:
    """Record on our payments what the payout's lines say and they lack; how many changed."""
    by_charge = {line.source_id: line for line in lines if line.type in BOOKING_TYPES}
    failures = {line.source_id: line for line in lines if line.type == FAILURE_TYPE}
    charges = [charge for charge in {*by_charge, *failures} if charge]
    if not charges:
        return 0
    payments = session.scalars(
        select(Payment)
        .join(Donation, Payment.donation_id == Donation.id)
        .where(Payment.stripe_charge_id.in_(charges), Donation.office_code == office)
    ).all()
    changed = 0
    for payment in payments:
        booking, failure = (
            by_charge.get(payment.stripe_charge_id),
            failures.get(payment.stripe_charge_id),
        )
        if booking is not None and payment.stripe_balance_transaction_id is None:
            _record_booking(payment, booking)
            changed += 1
        if failure is not None and payment.stripe_failure_balance_transaction_id is None:
            payment.stripe_failure_balance_transaction_id = failure.balance.id
            changed += 1
    return changed


def _record_booking(payment: Payment, line: BalanceLine) -> None:
    payment.stripe_balance_transaction_id = line.balance.id
    payment.fee_minor, payment.net_minor = line.balance.fee_minor, line.balance.net_minor
    payment.settlement_currency = line.balance.currency
    payment.exchange_rate = line.balance.exchange_rate


def on_payout(listener: PayoutListener) -> PayoutListener:
    """Register `listener` for every payout event (as outbox handlers are registered)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def announce(
    session: Session, office: str, payout: PayoutState, lines: list[BalanceLine] | None
) -> bool:
    """Tell every registered listener of the payout; False when none listens."""
    for listener in _LISTENERS:
        listener(session, office, payout, lines)
    return bool(_LISTENERS)
