"""Balance, balance transactions (with a simple, documented fee model) and payouts."""

from __future__ import annotations

from collections import defaultdict

from checkout.testing.stripe_standin.errors import invalid
from checkout.testing.stripe_standin.events import emit
from checkout.testing.stripe_standin.lists import matches, paginate
from checkout.testing.stripe_standin.params import EXPAND, Enum, Obj, Str, list_schema
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
    fee: int = 0,
    category: str,
    description: str | None = None,
    days: int = 0,
) -> Json:
    """Book a balance transaction; it becomes available `days` days from today (UTC)."""
    now = account.now()
    fee_details = (
        [
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ]
        if fee
        else []
    )
    return account.add(
        {
            "id": new_id("txn"),
            "object": "balance_transaction",
            "amount": amount,
            "available_on": (now // _DAY + days) * _DAY,
            "balance_type": "payments",
            "created": now,
            "currency": currency,
            "description": description,
            "exchange_rate": None,
            "fee": fee,
            "fee_details": fee_details,
            "net": amount - fee,
            "reporting_category": category,
            "source": source,
            "status": "available" if days == 0 else "pending",
            "type": kind,
            "_payout": None,
        }
    )


def record_charge(account: Account, charge: Json) -> Json:
    """Book a succeeded charge: amount, fee by method type, available in a few days."""
    method_type = charge["payment_method_details"]["type"]
    transaction = record(
        account,
        kind="charge" if method_type == "card" else "payment",
        amount=charge["amount"],
        currency=charge["currency"],
        source=charge["id"],
        fee=fee_for(method_type, charge["amount"]),
        category="charge",
        description=charge["description"],
        days=AVAILABLE_AFTER_DAYS.get(method_type, DEBIT_AVAILABLE_AFTER_DAYS),
    )
    charge["balance_transaction"] = transaction["id"]
    return transaction


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


def pay_out(account: Account, currency: str | None) -> Json:
    """Pay the available balance of one currency into a new, paid payout."""
    available, _pending = totals(account)
    positive = {code: amount for code, amount in available.items() if amount > 0}
    if currency is None and len(positive) > 1:
        raise invalid(
            f"Several currencies are available ({', '.join(sorted(positive))}): name one.",
            param="currency",
        )
    code = currency or next(iter(positive), None)
    if code is None or positive.get(code, 0) <= 0:
        raise invalid(
            "There is no available balance to pay out.",
            param="currency",
            code="balance_insufficient",
        )
    return _make_payout(account, code, positive[code])


def _make_payout(account: Account, currency: str, amount: int) -> Json:
    """Create the payout and tie every available, unpaid transaction of `currency` to it."""
    now = account.now()
    payout = account.add(
        {
            "id": new_id("po"),
            "object": "payout",
            "amount": amount,
            "application_fee": None,
            "application_fee_amount": None,
            "arrival_date": now,
            "automatic": True,
            "balance_transaction": None,
            "created": now,
            "currency": currency,
            "description": "STRIPE PAYOUT",
            "destination": f"ba_{account.id[5:]}",
            "failure_balance_transaction": None,
            "failure_code": None,
            "failure_message": None,
            "livemode": False,
            "metadata": {},
            "method": "standard",
            "original_payout": None,
            "reconciliation_status": "completed",
            "reversed_by": None,
            "source_type": "card",
            "statement_descriptor": None,
            "status": "pending",
            "type": "bank_account",
        }
    )
    for transaction in account.all("balance_transaction"):
        if (transaction["currency"], transaction["status"], transaction["_payout"]) == (
            currency,
            "available",
            None,
        ):
            transaction["_payout"] = payout["id"]
    own = record(
        account,
        kind="payout",
        amount=-amount,
        currency=currency,
        source=payout["id"],
        category="payout",
        description="STRIPE PAYOUT",
    )
    own["_payout"] = payout["id"]
    payout["balance_transaction"] = own["id"]
    emit(account, "payout.created", payout)
    payout["status"] = "paid"
    emit(account, "payout.paid", payout, {"status": "pending"})
    return payout


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
    """GET /v1/balance_transactions, by payout, source, type or currency."""
    refresh(call.account)
    payout = call.param("payout")
    if payout:
        call.account.get(payout, "payout", "payout")
    rows = [
        t
        for t in call.account.all("balance_transaction")
        if matches(
            t,
            _payout=payout,
            source=call.param("source"),
            type=call.param("type"),
            currency=call.param("currency"),
        )
    ]
    return paginate(call, rows, "/v1/balance_transactions")


@router.route("GET", "/v1/payouts/<ident>", Obj({"expand": EXPAND}))
def retrieve_payout(call: Call) -> Json:
    """GET /v1/payouts/:id."""
    return call.account.get(call.path["ident"], "payout")


@router.route(
    "GET",
    "/v1/payouts",
    list_schema(status=Enum("canceled", "failed", "paid", "pending", "in_transit")),
)
def list_payouts(call: Call) -> Json:
    """GET /v1/payouts, optionally by status."""
    rows = [p for p in call.account.all("payout") if matches(p, status=call.param("status"))]
    return paginate(call, rows, "/v1/payouts")
