"""Refunds, full and partial, from the API or from the "dashboard" (the control API); bank
debit refunds stay pending for days and may fail."""

from __future__ import annotations

from checkout.testing.stripe_standin.balance import record
from checkout.testing.stripe_standin.customers import merge_metadata
from checkout.testing.stripe_standin.errors import invalid
from checkout.testing.stripe_standin.events import changed, emit
from checkout.testing.stripe_standin.lists import matches, paginate
from checkout.testing.stripe_standin.params import (
    EXPAND,
    Enum,
    Int,
    Metadata,
    Obj,
    Str,
    list_schema,
    major_units,
)
from checkout.testing.stripe_standin.payment_methods import DEBITS
from checkout.testing.stripe_standin.routing import Call, Router
from checkout.testing.stripe_standin.store import Account, new_id
from checkout.testing.stripe_standin.store import Obj as Json

router = Router()
REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def charge_of(account: Account, ident: str, param: str = "charge") -> Json:
    """The charge named directly or through its PaymentIntent's latest charge."""
    if ident.startswith("pi_"):
        intent = account.get(ident, "payment_intent", param)
        if not intent["latest_charge"]:
            raise invalid(
                f"This PaymentIntent ({ident}) does not have a successful charge to refund.",
                param=param,
                code="charge_not_refundable",
            )
        ident = intent["latest_charge"]
    return account.get(ident, "charge", param)


def refund(
    account: Account, charge: Json, amount: int | None, reason: str | None, metadata: dict[str, str]
) -> Json:
    """Refund `amount` (default: what is left) of a succeeded charge.

    The refund's balance transaction is booked at once. A bank debit's refund stays
    `pending` until the bank returns the money (`settle_due`); a card's succeeds at once,
    except Stripe's test card 4000 0000 0000 5126, whose refund "begins as succeeded" and
    fails a while later (`fail_later`).
    """
    _check_refundable(charge)
    remaining = charge["amount"] - charge["amount_refunded"]
    amount = remaining if amount is None else amount
    if amount <= 0 or amount > remaining:
        raise invalid(
            f"Refund amount ({major_units(amount, charge['currency'])} "
            f"{charge['currency']}) is greater than unrefunded amount on charge "
            f"({major_units(remaining, charge['currency'])} {charge['currency']})",
            param="amount",
            code="amount_too_large",
        )
    refund_id = new_id("re")
    booked = record(
        account,
        kind="refund",
        amount=-amount,
        currency=charge["currency"],
        source=refund_id,
        category="refund",
        description="REFUND FOR CHARGE",
    )
    method = account.get(charge["payment_method"], "payment_method")
    debit = method["type"] in DEBITS
    created = account.add(
        {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": booked["id"],
            "charge": charge["id"],
            "created": account.now(),
            "currency": charge["currency"],
            "description": None,
            "destination_details": None,
            "failure_balance_transaction": None,
            "failure_reason": None,
            "metadata": merge_metadata({}, metadata),
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "pending" if debit else "succeeded",
            "transfer_reversal": None,
            "_settle_at": account.now() + account.debit_settle_seconds
            if debit or method.get("_refund_fails")
            else None,
            "_fails": bool(method.get("_refund_fails")),
        }
    )
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    emit(account, "refund.created", created)
    emit(account, "charge.refunded", charge, previous)
    return created


def settle_due(account: Account, *, fail: bool | None = None, all_now: bool = False) -> list[str]:
    """Refunds whose time has come end: pending ones succeed (or fail, if told or if their
    card's refunds fail), a test card's succeeded one fails. The ids of those that ended."""
    now = account.now()
    due = [
        r
        for r in reversed(account.all("refund"))
        if r.get("_settle_at") is not None and (all_now or r["_settle_at"] <= now)
    ]
    for found in due:
        found["_settle_at"] = None
        if fail or (fail is None and found["_fails"]):
            fail_refund(account, found)
        else:
            _update(account, found, status="succeeded")
    return [r["id"] for r in due]


def fail_refund(account: Account, found: Json) -> None:
    """The money could not be returned: it is back in the balance, and off the charge.

    "Status of the refund. This can be `pending`, `requires_action`, `succeeded`, `failed`,
    or `canceled`"; `failure_balance_transaction`: "After the refund fails, this balance
    transaction describes the adjustment made on your account balance that reverses the
    initial balance transaction"; `failure_reason` (the SDK's docstrings of `Refund`;
    https://docs.stripe.com/refunds#failed-refunds). That the charge's `amount_refunded`
    drops again is the stand-in's reading, not confirmed (see the README).
    """
    reversal = record(
        account,
        kind="refund_failure",
        amount=found["amount"],
        currency=found["currency"],
        source=found["id"],
        category="refund_failure",
        description="REFUND FAILURE",
    )
    _update(
        account,
        found,
        status="failed",
        failure_reason="declined",
        failure_balance_transaction=reversal["id"],
    )
    emit(account, "refund.failed", found)
    charge = account.get(found["charge"], "charge")
    previous = changed(
        charge,
        amount_refunded=charge["amount_refunded"] - found["amount"],
        refunded=False,
    )
    emit(account, "charge.updated", charge, previous)


def _update(account: Account, found: Json, **updates: object) -> None:
    """Change a refund and announce it: `refund.updated` and `charge.refund.updated`."""
    previous = changed(found, **updates)
    emit(account, "refund.updated", found, previous)
    emit(account, "charge.refund.updated", found, previous)


def _check_refundable(charge: Json) -> None:
    """Refuse refunds Stripe refuses: unpaid, already refunded, or charged back."""
    if charge["status"] != "succeeded":
        raise invalid(
            f"Charge {charge['id']} has a status of {charge['status']} and cannot be refunded.",
            param="charge",
            code="charge_not_refundable",
        )
    if charge["refunded"]:
        raise invalid(
            f"Charge {charge['id']} has already been refunded.",
            param="charge",
            code="charge_already_refunded",
        )
    if charge["disputed"]:
        raise invalid(
            f"Charge {charge['id']} has been charged back; cannot issue a refund.",
            param="charge",
            code="charge_disputed",
        )


@router.route(
    "POST",
    "/v1/refunds",
    Obj(
        {
            "charge": Str(),
            "payment_intent": Str(),
            "amount": Int(),
            "reason": Enum(*REASONS),
            "metadata": Metadata(),
            "expand": EXPAND,
        }
    ),
)
def create_refund(call: Call) -> Json:
    """POST /v1/refunds with `payment_intent` or `charge`, optionally `amount`."""
    charge_id, intent_id = call.param("charge"), call.param("payment_intent")
    if bool(charge_id) == bool(intent_id):
        raise invalid(
            "One of the following params should be provided for this request: "
            "payment_intent or charge.",
            param="payment_intent",
        )
    charge = charge_of(
        call.account, charge_id or intent_id, "charge" if charge_id else "payment_intent"
    )
    return refund(
        call.account, charge, call.param("amount"), call.param("reason"), call.param("metadata", {})
    )


@router.route("GET", "/v1/refunds/<ident>", Obj({"expand": EXPAND}))
def retrieve_refund(call: Call) -> Json:
    """GET /v1/refunds/:id."""
    return call.account.get(call.path["ident"], "refund")


@router.route("POST", "/v1/refunds/<ident>", Obj({"metadata": Metadata(), "expand": EXPAND}))
def update_refund(call: Call) -> Json:
    """POST /v1/refunds/:id: metadata only, as at Stripe."""
    found = call.account.get(call.path["ident"], "refund")
    found["metadata"] = merge_metadata(found["metadata"], call.param("metadata", {}))
    emit(call.account, "refund.updated", found)
    return found


@router.route("GET", "/v1/refunds", list_schema(charge=Str(), payment_intent=Str()))
def list_refunds(call: Call) -> Json:
    """GET /v1/refunds, by charge or PaymentIntent."""
    rows = [
        r
        for r in call.account.all("refund")
        if matches(r, charge=call.param("charge"), payment_intent=call.param("payment_intent"))
    ]
    return paginate(call, rows, "/v1/refunds")
