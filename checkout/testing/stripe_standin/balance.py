"""Balance and balance transactions, with a simple, documented fee model (payouts: payouts.py)."""

from __future__ import annotations

from collections import defaultdict

from checkout.testing.stripe_standin.currency import settle
from checkout.testing.stripe_standin.events import emit
from checkout.testing.stripe_standin.lists import matches, paginate
from checkout.testing.stripe_standin.params import EXPAND, Obj, Str, list_schema
from checkout.testing.stripe_standin.routing import Call, Router
from checkout.testing.stripe_standin.store import Account, new_id
from checkout.testing.stripe_standin.store import Obj as Json

router = Router()
_DAY = 86_400

#: Fee per payment method type: (basis points, fixed minor units, cap in minor units or None).
#: A deterministic stand-in for Stripe's pricing, so reconciliation has a fee and a net.
FEES: dict[str, tuple[int, int, int | None]] = {
    "card": (150, 25, None),
    "sepa_debit": (0, 35, None),
    "bacs_debit": (100, 20, 200),
    "au_becs_debit": (100, 30, 350),
    "acss_debit": (100, 40, 500),
    "ideal": (0, 29, None),
}
#: Days until funds become available: cards settle faster than bank debits.
AVAILABLE_AFTER_DAYS = {"card": 2}
DEBIT_AVAILABLE_AFTER_DAYS = 5
#: The fee Stripe takes for a dispute, in the charge's minor units.
DISPUTE_FEE = 1500


def fee_for(method_type: str, amount: int) -> int:
    """The stand-in's processing fee for a payment of `amount`, rounded half up."""
    basis_points, fixed, cap = FEES[method_type]
    fee = (amount * basis_points + 5_000) // 10_000 + fixed
    return min(fee, cap) if cap is not None else fee


def record(
    account: Account,
    *,
    kind: str,
    amount: int,
    currency: str,
    source: str,
    category: str,
    fee: int = 0,
    fee_type: str | None = None,
    description: str | None = None,
    days: int = 0,
) -> Json:
    """Book a balance transaction of `amount` (in the charge's currency, converted into the
    account's settlement currency); it becomes available `days` days from today (UTC).

    `fee` is in the settlement currency; `fee_type` instead takes the processing fee of that
    payment method type on the settled amount.
    """
    now = account.now()
    settled = settle(account, amount, currency)
    if fee_type is not None:
        fee = fee_for(fee_type, settled.amount)
    return account.add(
        {
            "id": new_id("txn"),
            "object": "balance_transaction",
            "amount": settled.amount,
            "available_on": (now // _DAY + days) * _DAY,
            "balance_type": "payments",
            "created": now,
            "currency": settled.currency,
            "description": description,
            "exchange_rate": float(settled.exchange_rate) if settled.exchange_rate else None,
            "fee": fee,
            "fee_details": _fee_details(fee, settled.currency),
            "net": settled.amount - fee,
            "reporting_category": category,
            "source": source,
            "status": "available" if days == 0 else "pending",
            "type": kind,
            "_payout": None,
        }
    )


def _fee_details(fee: int, currency: str) -> list[Json]:
    """A transaction's `fee_details`: Stripe's processing fee, or a refund of it."""
    if not fee:
        return []
    return [
        {
            "amount": fee,
            "application": None,
            "currency": currency,
            "description": "Stripe processing fees",
            "type": "stripe_fee",
        }
    ]


def record_charge(account: Account, charge: Json) -> Json:
    """Book a charge: amount, fee by method type, available in a few days.

    A card charge is booked when its asynchronous capture completes (`capture_later`); a bank
    debit when it is submitted (its charge still `pending`), so a failed debit is reversed by
    a second transaction (`reverse_failed_debit`).
    """
    method_type = charge["payment_method_details"]["type"]
    transaction = record(
        account,
        kind="charge" if method_type == "card" else "payment",
        amount=charge["amount"],
        currency=charge["currency"],
        source=charge["id"],
        fee_type=method_type,
        category="charge",
        description=charge["description"],
        days=AVAILABLE_AFTER_DAYS.get(method_type, DEBIT_AVAILABLE_AFTER_DAYS),
    )
    charge["balance_transaction"] = transaction["id"]
    return transaction


def capture_later(account: Account, intent: Json, charge: Json) -> None:
    """A succeeded charge's balance transaction: at once for `capture_method=automatic`, else
    after the account's capture delay, announced by `charge.updated`.

    "For all payments, the balance_transaction is null on [...] the attached Charge object of
    the API response, charge.succeeded webhook, payment_intent.succeeded webhook"; "listen for
    the `charge.updated` event to know when the balance transaction becomes available"
    (https://docs.stripe.com/payments/payment-intents/asynchronous-capture; asynchronous
    capture is the default at the pinned API version).
    """
    if intent["capture_method"] == "automatic":
        record_charge(account, charge)
        return
    charge["_book_at"] = account.now() + account.capture_seconds


def book_captures(account: Account, *, all_now: bool = False) -> list[str]:
    """Book the balance transactions whose capture completed (or every waiting one, `all_now`);
    each charge then emits `charge.updated`. The ids of the charges booked."""
    now = account.now()
    due = [
        charge
        for charge in reversed(account.all("charge"))
        if charge.get("_book_at") is not None and (all_now or charge["_book_at"] <= now)
    ]
    for charge in due:
        charge["_book_at"] = None
        record_charge(account, charge)
        emit(account, "charge.updated", charge, {"balance_transaction": None})
    return [charge["id"] for charge in due]


def reverse_failed_debit(account: Account, charge: Json) -> Json:
    """A debit booked at submission failed: a `payment_failure_refund` takes back its net.

    The charge's `failure_balance_transaction` is "the balance transaction that describes the
    reversal of the balance on your account due to payment failure" (the SDK's docstring of
    `Charge.failure_balance_transaction`); `payment_failure_refund` is its type in the SDK's
    `BalanceTransaction.type` list. Whether Stripe returns its fee with the reversal, or adds
    a failure fee, is not confirmed here (the README's checklist).
    """
    booked = account.get(charge["balance_transaction"], "balance_transaction")
    reversal = record(
        account,
        kind="payment_failure_refund",
        amount=-charge["amount"],
        currency=charge["currency"],
        source=charge["id"],
        fee=-booked["fee"],
        category="charge_failure",
        description=f"Failed debit {charge['id']}",
    )
    charge["failure_balance_transaction"] = reversal["id"]
    return reversal


def refresh(account: Account) -> None:
    """Make pending transactions available once their `available_on` has passed."""
    now = account.now()
    for transaction in account.all("balance_transaction"):
        if transaction["status"] == "pending" and transaction["available_on"] <= now:
            transaction["status"] = "available"


def totals(account: Account) -> tuple[dict[str, int], dict[str, int]]:
    """Available and pending balance per currency."""
    refresh(account)
    available: dict[str, int] = defaultdict(int)
    pending: dict[str, int] = defaultdict(int)
    for transaction in account.all("balance_transaction"):
        bucket = available if transaction["status"] == "available" else pending
        bucket[transaction["currency"]] += transaction["net"]
    return dict(available), dict(pending)


@router.route("GET", "/v1/balance", Obj({"expand": EXPAND}))
def retrieve_balance(call: Call) -> Json:
    """GET /v1/balance."""
    available, pending = totals(call.account)
    currencies = sorted(set(available) | set(pending)) or ["eur"]
    return {
        "object": "balance",
        "available": [
            {
                "amount": available.get(c, 0),
                "currency": c,
                "source_types": {"card": available.get(c, 0)},
            }
            for c in currencies
        ],
        "livemode": False,
        "pending": [
            {
                "amount": pending.get(c, 0),
                "currency": c,
                "source_types": {"card": pending.get(c, 0)},
            }
            for c in currencies
        ],
    }


@router.route("GET", "/v1/balance_transactions/<ident>", Obj({"expand": EXPAND}))
def retrieve_balance_transaction(call: Call) -> Json:
    """GET /v1/balance_transactions/:id."""
    refresh(call.account)
    return call.account.get(call.path["ident"], "balance_transaction")


@router.route(
    "GET",
    "/v1/balance_transactions",
    list_schema(payout=Str(), source=Str(), type=Str(), currency=Str()),
)
def list_balance_transactions(call: Call) -> Json:
    """GET /v1/balance_transactions, by payout, source, type or currency.

    By payout, the list is complete only once the payout's reconciliation has (payouts.py).
    """
    refresh(call.account)
    payout = call.param("payout")
    found = call.account.get(payout, "payout", "payout") if payout else None
    rows = [
        t
        for t in call.account.all("balance_transaction")
        if (found is None or _listed_in(found, t))
        and matches(
            t, source=call.param("source"), type=call.param("type"), currency=call.param("currency")
        )
    ]
    return paginate(call, rows, "/v1/balance_transactions")


def _listed_in(payout: Json, transaction: Json) -> bool:
    """Whether listing with `payout=` shows `transaction` yet: in full once reconciled, only
    the payout's own transaction before ("If `completed`, you can use the Balance
    Transactions API to list all balance transactions that are paid out in this payout": the
    SDK's docstring of `Payout.reconciliation_status`)."""
    if transaction["_payout"] != payout["id"]:
        return False
    return bool(
        payout["reconciliation_status"] == "completed" or transaction["source"] == payout["id"]
    )
