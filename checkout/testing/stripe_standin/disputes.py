"""Disputes (chargebacks, inquiries, prevented disputes, appeals, and returned bank debits),
opened and decided through the control API, answered through the API."""

from __future__ import annotations

from checkout.testing.stripe_standin.balance import DISPUTE_FEE, record
from checkout.testing.stripe_standin.customers import merge_metadata
from checkout.testing.stripe_standin.errors import invalid
from checkout.testing.stripe_standin.events import changed, emit
from checkout.testing.stripe_standin.lists import matches, paginate
from checkout.testing.stripe_standin.params import EXPAND, Bool, Metadata, Obj, Str, list_schema
from checkout.testing.stripe_standin.payment_methods import DEBITS
from checkout.testing.stripe_standin.routing import Call, Router
from checkout.testing.stripe_standin.store import Account, new_id
from checkout.testing.stripe_standin.store import Obj as Json

router = Router()
_DAY = 86_400
_OPEN = (
    "warning_needs_response",
    "warning_under_review",
    "needs_response",
    "under_review",
    "appeal_needs_response",
    "appeal_under_review",
)
#: What submitting evidence (or answering an inquiry) moves each status to.
_SUBMITTED = {
    "warning_needs_response": "warning_under_review",
    "needs_response": "under_review",
    "appeal_needs_response": "appeal_under_review",
}
#: How a dispute begins: a chargeback, an inquiry (no money moves yet), or one prevented
#: before it became a chargeback.
KINDS = ("chargeback", "inquiry", "prevented")


def open_dispute(account: Account, charge: Json, reason: str, kind: str = "chargeback") -> Json:
    """The donor's bank questions the payment (`kind` above).

    A chargeback withdraws the amount and a fee; a returned bank debit has no response period
    and is lost at once, as at Stripe. An inquiry (`warning_needs_response`) moves no money
    until it escalates (https://docs.stripe.com/disputes/how-disputes-work: "inquiries").
    `prevented` (the dispute statuses in the SDK's `Dispute.status`) is modelled as a dispute
    stopped by a prevention service such as Visa's Rapid Dispute Resolution, which returns the
    amount to the cardholder without a dispute fee; how Stripe books it is not confirmed here.
    """
    if charge["status"] != "succeeded" or charge["disputed"]:
        raise invalid(
            f"Charge {charge['id']} cannot be disputed (status {charge['status']}, "
            f"disputed {charge['disputed']}).",
            param="charge",
        )
    if kind not in KINDS:
        raise invalid(f"kind must be one of {', '.join(KINDS)}.", param="kind")
    debit = charge["payment_method_details"]["type"] in DEBITS
    dispute = _new_dispute(account, charge, reason, debit and kind == "chargeback")
    charge["disputed"] = True
    if kind == "inquiry":
        dispute["status"] = "warning_needs_response"
        emit(account, "charge.dispute.created", dispute)
        return dispute
    fee = 0 if kind == "prevented" else DISPUTE_FEE
    dispute["status"] = (
        "prevented" if kind == "prevented" else "lost" if debit else "needs_response"
    )
    _withdraw(account, dispute, fee)
    emit(account, "charge.dispute.created", dispute)
    emit(account, "charge.dispute.funds_withdrawn", dispute)
    if dispute["status"] in ("lost", "prevented"):
        emit(account, "charge.dispute.closed", dispute)
    return dispute


def _new_dispute(account: Account, charge: Json, reason: str, returned_debit: bool) -> Json:
    """The dispute object, no money moved yet."""
    now = account.now()
    return account.add(
        {
            "id": new_id("dp"),
            "object": "dispute",
            "amount": charge["amount"],
            "balance_transactions": [],
            "charge": charge["id"],
            "created": now,
            "currency": charge["currency"],
            "enhanced_eligibility_types": [],
            "evidence": {"uncategorized_text": None},
            "evidence_details": {
                "due_by": None if returned_debit else now + 7 * _DAY,
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
            "status": "needs_response",
        }
    )


def _withdraw(account: Account, dispute: Json, fee: int) -> None:
    """Take the disputed amount (and `fee`) from the balance, on the dispute's list."""
    dispute["balance_transactions"].append(
        record(
            account,
            kind="adjustment",
            amount=-dispute["amount"],
            currency=dispute["currency"],
            source=dispute["id"],
            fee=fee,
            category="dispute",
            description=f"Chargeback withdrawal for {dispute['charge']}",
        )
    )


def close_dispute(account: Account, dispute: Json, won: bool) -> Json:
    """The bank decided. A chargeback won returns the amount (the fee stays), lost keeps it
    withdrawn; an inquiry won closes (`warning_closed`), lost escalates to a chargeback."""
    if dispute["status"] not in _OPEN:
        raise invalid(
            f"Dispute {dispute['id']} is already closed ({dispute['status']}).",
            code="dispute_already_closed",
        )
    if dispute["status"].startswith("warning_"):
        return _end_inquiry(account, dispute, won)
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


def _end_inquiry(account: Account, dispute: Json, closed: bool) -> Json:
    """An inquiry closes with no money moved, or becomes a chargeback."""
    if closed:
        emit(account, "charge.dispute.closed", dispute, changed(dispute, status="warning_closed"))
        return dispute
    previous = changed(dispute, status="needs_response")
    _withdraw(account, dispute, DISPUTE_FEE)
    emit(account, "charge.dispute.updated", dispute, previous)
    emit(account, "charge.dispute.funds_withdrawn", dispute)
    return dispute


def submit_evidence(account: Account, dispute: Json) -> None:
    """The charity answers: the dispute goes under review (`submit=true`)."""
    following = _SUBMITTED.get(dispute["status"])
    if following is None:
        raise invalid(
            f"Dispute {dispute['id']} does not need a response (status {dispute['status']}).",
            code="dispute_already_closed",
        )
    dispute["evidence_details"]["has_evidence"] = True
    dispute["evidence_details"]["submission_count"] += 1
    emit(account, "charge.dispute.updated", dispute, changed(dispute, status=following))


def appeal(account: Account, dispute: Json) -> Json:
    """The cardholder's bank rejects the charity's response: pre-arbitration, an appeal
    (`appeal_needs_response`; https://docs.stripe.com/disputes/arbitration)."""
    if dispute["status"] != "under_review":
        raise invalid(
            f"Only a dispute under review can be appealed (status {dispute['status']}).",
            param="dispute",
        )
    previous = changed(dispute, status="appeal_needs_response")
    dispute["evidence_details"]["due_by"] = account.now() + 7 * _DAY
    emit(account, "charge.dispute.updated", dispute, previous)
    return dispute


@router.route("GET", "/v1/disputes/<ident>", Obj({"expand": EXPAND}))
def retrieve_dispute(call: Call) -> Json:
    """GET /v1/disputes/:id."""
    return call.account.get(call.path["ident"], "dispute")


@router.route(
    "POST",
    "/v1/disputes/<ident>",
    Obj(
        {
            "metadata": Metadata(),
            "evidence": Obj({"uncategorized_text": Str(20000)}),
            "submit": Bool(),
            "expand": EXPAND,
        }
    ),
)
def update_dispute(call: Call) -> Json:
    """POST /v1/disputes/:id: metadata, evidence (only `uncategorized_text`), `submit`."""
    dispute = call.account.get(call.path["ident"], "dispute")
    if "metadata" in call.params:
        dispute["metadata"] = merge_metadata(dispute["metadata"], call.param("metadata", {}))
    if "evidence" in call.params:
        dispute["evidence"].update(call.param("evidence"))
    if call.param("submit"):
        submit_evidence(call.account, dispute)
    else:
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
