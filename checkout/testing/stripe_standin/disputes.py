"""Disputes (chargebacks, and returned bank debits), opened and closed through the control API."""

from __future__ import annotations

from checkout.testing.stripe_standin.balance import DISPUTE_FEE, record
from checkout.testing.stripe_standin.customers import merge_metadata
from checkout.testing.stripe_standin.errors import invalid
from checkout.testing.stripe_standin.events import emit
from checkout.testing.stripe_standin.lists import matches, paginate
from checkout.testing.stripe_standin.params import EXPAND, Metadata, Obj, Str, list_schema
from checkout.testing.stripe_standin.payment_methods import DEBITS
from checkout.testing.stripe_standin.routing import Call, Router
from checkout.testing.stripe_standin.store import Account, new_id
from checkout.testing.stripe_standin.store import Obj as Json

router = Router()
_DAY = 86_400
_OPEN = ("warning_needs_response", "warning_under_review", "needs_response", "under_review")


def open_dispute(account: Account, charge: Json, reason: str) -> Json:
    """The donor's bank takes the money back: a dispute, with the amount and a fee withdrawn.

    A returned bank debit has no response period: it is lost at once, as at Stripe.
    """
    if charge["status"] != "succeeded" or charge["disputed"]:
        raise invalid(
            f"Charge {charge['id']} cannot be disputed (status {charge['status']}, "
            f"disputed {charge['disputed']}).",
            param="charge",
        )
    debit = charge["payment_method_details"]["type"] in DEBITS
    dispute_id = new_id("dp")
    withdrawn = record(
        account,
        kind="adjustment",
        amount=-charge["amount"],
        currency=charge["currency"],
        source=dispute_id,
        fee=DISPUTE_FEE,
        category="dispute",
        description=f"Chargeback withdrawal for {charge['id']}",
    )
    now = account.now()
    dispute = account.add(
        {
            "id": dispute_id,
            "object": "dispute",
            "amount": charge["amount"],
            "balance_transactions": [withdrawn],
            "charge": charge["id"],
            "created": now,
            "currency": charge["currency"],
            "enhanced_eligibility_types": [],
            "evidence": {},
            "evidence_details": {
                "due_by": None if debit else now + 7 * _DAY,
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
            },
            "is_charge_refundable": False,
            "livemode": False,
            "metadata": {},
            "network_reason_code": None,
            "payment_intent": charge["payment_intent"],
            "payment_method_details": {"type": charge["payment_method_details"]["type"]},
            "reason": reason,
            "status": "lost" if debit else "needs_response",
        }
    )
    charge["disputed"] = True
    emit(account, "charge.dispute.created", dispute)
    emit(account, "charge.dispute.funds_withdrawn", dispute)
    if debit:
        emit(account, "charge.dispute.closed", dispute)
    return dispute


def close_dispute(account: Account, dispute: Json, won: bool) -> Json:
    """The bank decided: won returns the amount (the fee stays), lost keeps it withdrawn."""
    if dispute["status"] not in _OPEN:
        raise invalid(
            f"Dispute {dispute['id']} is already closed ({dispute['status']}).",
            code="dispute_already_closed",
        )
    previous = {"status": dispute["status"]}
    dispute["status"] = "won" if won else "lost"
    if won:
        dispute["balance_transactions"].append(
            record(
                account,
                kind="adjustment",
                amount=dispute["amount"],
                currency=dispute["currency"],
                source=dispute["id"],
                category="dispute_reversal",
                description=f"Chargeback reversal for {dispute['charge']}",
            )
        )
    emit(account, "charge.dispute.closed", dispute, previous)
    if won:
        emit(account, "charge.dispute.funds_reinstated", dispute)
    return dispute


@router.route("GET", "/v1/disputes/<ident>", Obj({"expand": EXPAND}))
def retrieve_dispute(call: Call) -> Json:
    """GET /v1/disputes/:id."""
    return call.account.get(call.path["ident"], "dispute")


@router.route("POST", "/v1/disputes/<ident>", Obj({"metadata": Metadata(), "expand": EXPAND}))
def update_dispute(call: Call) -> Json:
    """POST /v1/disputes/:id: metadata (evidence is not modelled)."""
    dispute = call.account.get(call.path["ident"], "dispute")
    dispute["metadata"] = merge_metadata(dispute["metadata"], call.param("metadata", {}))
    emit(call.account, "charge.dispute.updated", dispute)
    return dispute


@router.route("POST", "/v1/disputes/<ident>/close", Obj({"expand": EXPAND}))
def accept_dispute(call: Call) -> Json:
    """POST /v1/disputes/:id/close: the charity accepts the dispute (it is lost)."""
    return close_dispute(call.account, call.account.get(call.path["ident"], "dispute"), False)


@router.route("GET", "/v1/disputes", list_schema(charge=Str(), payment_intent=Str()))
def list_disputes(call: Call) -> Json:
    """GET /v1/disputes, by charge or PaymentIntent."""
    rows = [
        d
        for d in call.account.all("dispute")
        if matches(d, charge=call.param("charge"), payment_intent=call.param("payment_intent"))
    ]
    return paginate(call, rows, "/v1/disputes")
