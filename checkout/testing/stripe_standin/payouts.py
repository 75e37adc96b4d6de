"""Payouts: the available balance on its way to the office's bank, reconciled afterwards.

Sources (the SDK's docstrings in `stripe/_payout.py`): a payout "is `pending` until it's
submitted to the bank, when it becomes `in_transit`. The status changes to `paid` if the
transaction succeeds"; `arrival_date` is the "date that you can expect the payout to arrive
in the bank"; `reconciliation_status`: "If `completed`, you can use the Balance Transactions
API to list all balance transactions that are paid out in this payout"; the event
`payout.reconciliation_completed` says so (https://docs.stripe.com/api/events/types).

So here a payout is made `pending` with an arrival date two days ahead and reconciliation
`in_progress`; the next tick submits it (`in_transit`); at the arrival date it is `paid`, and
an hour of stand-in time later its reconciliation completes. Until then, listing balance
transactions with `payout=` answers only the payout's own transaction: a reconciliation run
at `payout.paid` finds the list incomplete. That Stripe completes reconciliation after
`paid` (rather than before) is the stand-in's choice of the harder order (see the README).
"""

from __future__ import annotations

from checkout.testing.stripe_standin.balance import record, totals
from checkout.testing.stripe_standin.errors import invalid
from checkout.testing.stripe_standin.events import changed, emit
from checkout.testing.stripe_standin.lists import matches, paginate
from checkout.testing.stripe_standin.params import EXPAND, Enum, Int, Obj, list_schema
from checkout.testing.stripe_standin.routing import Call, Router
from checkout.testing.stripe_standin.store import Account, new_id
from checkout.testing.stripe_standin.store import Obj as Json

router = Router()
_DAY = 86_400
#: Days from a payout's creation to its arrival at the bank.
ARRIVAL_DAYS = 2
#: Stand-in seconds from a payout's arrival until its reconciliation completes.
RECONCILE_SECONDS = 3_600


def pay_out(account: Account, currency: str | None) -> Json:
    """Pay the available balance of one currency into a new, pending payout."""
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
            "arrival_date": (now // _DAY + ARRIVAL_DAYS) * _DAY,
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
            "payout_method": None,
            "reconciliation_status": "in_progress",
            "reversed_by": None,
            "source_type": "card",
            "statement_descriptor": None,
            "status": "pending",
            # Stripe's trace id from the bank: not offered for the stand-in's pretend bank.
            "trace_id": {"status": "unsupported", "value": None},
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
    return payout


def pay_out_daily(account: Account) -> list[Json]:
    """An account with automatic payouts pays out each currency's available balance once a
    stand-in day ("Stripe automatically pays out your available balance on a daily
    schedule": https://docs.stripe.com/payouts#payout-schedule); the payouts made."""
    today = account.now() // _DAY
    if not account.automatic_payouts or account.last_payout_day == today:
        return []
    account.last_payout_day = today
    available, _pending = totals(account)
    return [
        _make_payout(account, code, amount)
        for code, amount in sorted(available.items())
        if amount > 0
    ]


def advance(account: Account) -> None:
    """Move payouts along as time passes: made daily (automatic payouts), submitted, paid on
    arrival, then reconciled."""
    pay_out_daily(account)
    now = account.now()
    for payout in reversed(account.all("payout")):
        if payout["status"] == "pending":
            emit(account, "payout.updated", payout, changed(payout, status="in_transit"))
        if payout["status"] == "in_transit" and payout["arrival_date"] <= now:
            previous = changed(payout, status="paid")
            emit(account, "payout.updated", payout, previous)
            emit(account, "payout.paid", payout, previous)
        if (
            payout["status"] == "paid"
            and payout["reconciliation_status"] == "in_progress"
            and payout["arrival_date"] + RECONCILE_SECONDS <= now
        ):
            previous = changed(payout, reconciliation_status="completed")
            emit(account, "payout.updated", payout, previous)
            emit(account, "payout.reconciliation_completed", payout, previous)


def fail(account: Account, payout: Json, code: str) -> Json:
    """The bank returned the payout: it is `failed` with a `failure_code`, and a
    `payout_failure` balance transaction (its `failure_balance_transaction`: "If the payout
    fails or cancels, this is the ID of the balance transaction that reverses the initial
    balance transaction", the SDK's docstring) puts the amount back into the balance."""
    if payout["status"] in ("failed", "canceled"):
        raise invalid(f"Payout {payout['id']} has {payout['status']} already.", param="payout")
    reversal = record(
        account,
        kind="payout_failure",
        amount=payout["amount"],
        currency=payout["currency"],
        source=payout["id"],
        category="payout_reversal",
        description="STRIPE PAYOUT FAILURE",
    )
    previous = changed(
        payout,
        status="failed",
        failure_code=code,
        failure_message="The bank account has been closed.",
        failure_balance_transaction=reversal["id"],
        reconciliation_status="not_applicable",
    )
    emit(account, "payout.updated", payout, previous)
    emit(account, "payout.failed", payout, previous)
    return payout


@router.route("GET", "/v1/payouts/<ident>", Obj({"expand": EXPAND}))
def retrieve_payout(call: Call) -> Json:
    """GET /v1/payouts/:id."""
    return call.account.get(call.path["ident"], "payout")


@router.route(
    "GET",
    "/v1/payouts",
    list_schema(
        status=Enum("canceled", "failed", "paid", "pending", "in_transit"),
        created=Obj({"gt": Int(), "gte": Int(), "lt": Int(), "lte": Int()}),
    ),
)
def list_payouts(call: Call) -> Json:
    """GET /v1/payouts, optionally by status and creation time (`created[gte]`, ...)."""
    created = call.param("created") or {}
    rows = [
        p
        for p in call.account.all("payout")
        if matches(p, status=call.param("status")) and _created_within(p["created"], created)
    ]
    return paginate(call, rows, "/v1/payouts")


def _created_within(created: int, bounds: dict[str, int]) -> bool:
    """Whether `created` is within Stripe's range filter (gt, gte, lt, lte)."""
    return (
        created > bounds.get("gt", created - 1)
        and created >= bounds.get("gte", created)
        and created < bounds.get("lt", created + 1)
        and created <= bounds.get("lte", created)
    )
