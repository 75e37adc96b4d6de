"""Refunds, full and partial, from the API or from the "dashboard" (the control API)."""

from __future__ import annotations

from checkout.testing.stripe_standin.balance import record
from checkout.testing.stripe_standin.customers import merge_metadata
from checkout.testing.stripe_standin.errors import invalid
from checkout.testing.stripe_standin.events import emit
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
    """Refund `amount` (default: what is left) of a succeeded charge."""
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
            "metadata": merge_metadata({}, metadata),
            "payment_intent": charge["payment_intent"],
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
    )
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    emit(account, "refund.created", created)
    emit(account, "charge.refunded", charge, previous)
    return created


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
