"""Charges (one per payment attempt) and debit mandates."""

from __future__ import annotations

from typing import Any

from checkout.testing.stripe_standin.events import emit
from checkout.testing.stripe_standin.expand import includable
from checkout.testing.stripe_standin.lists import list_object, matches, paginate
from checkout.testing.stripe_standin.params import EXPAND, Obj, Str, list_schema
from checkout.testing.stripe_standin.routing import Call, Router
from checkout.testing.stripe_standin.store import Account, new_id, public
from checkout.testing.stripe_standin.store import Obj as Json

router = Router()

_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "lost_card": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "authentication_required": "Your card was declined. This transaction requires authentication.",
    "debit_not_authorized": "The customer has notified their bank that this payment was "
    "unauthorized.",
}


def failure_message(code: str | None) -> str:
    """The customer-facing message Stripe gives for a decline or failure code."""
    return _MESSAGES.get(code or "", "Your payment was declined.")


def create_charge(
    account: Account, intent: Json, method: Json, status: str, failure: str | None = None
) -> Json:
    """A charge for `intent` paid with `method`, in `status` (succeeded, pending, failed)."""
    succeeded = status == "succeeded"
    charge = account.add(
        {
            "id": new_id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"] if succeeded else 0,
            "amount_refunded": 0,
            "application": None,
            "application_fee": None,
            "application_fee_amount": None,
            "balance_transaction": None,
            "billing_details": public(method["billing_details"]),
            "calculated_statement_descriptor": "STANDIN* DONATION",
            "captured": succeeded,
            "created": account.now(),
            "currency": intent["currency"],
            "customer": intent["customer"],
            "description": intent["description"],
            "disputed": False,
            "failure_balance_transaction": None,
            "failure_code": _failure_code(failure, method) if status == "failed" else None,
            "failure_message": failure_message(failure) if status == "failed" else None,
            "fraud_details": {},
            "livemode": False,
            "metadata": dict(intent["metadata"]),
            "on_behalf_of": None,
            "outcome": outcome(status, failure),
            "paid": succeeded,
            "payment_intent": intent["id"],
            "payment_method": method["id"],
            "payment_method_details": method_details(account, intent, method),
            "receipt_email": intent["receipt_email"],
            "receipt_number": None,
            "receipt_url": None,
            "refunded": False,
            "review": None,
            "shipping": None,
            "source": None,
            "source_transfer": None,
            "statement_descriptor": intent["statement_descriptor"],
            "statement_descriptor_suffix": intent["statement_descriptor_suffix"],
            "status": status,
            "transfer_data": None,
            "transfer_group": None,
            # Every charge is one attempt to move money; the control API counts them by
            # how each attempt began (succeeded, failed, or pending for a submitted debit).
            "_attempt": status,
        }
    )
    intent["latest_charge"] = charge["id"]
    return charge


def _failure_code(failure: str | None, method: Json) -> str:
    """Cards fail with `card_declined` (the decline code says why); debits with the reason."""
    return "card_declined" if method["type"] == "card" else failure or "generic_decline"


def outcome(status: str, failure: str | None) -> Json:
    """The charge's `outcome` hash."""
    if status == "failed":
        return {
            "network_status": "declined_by_network",
            "reason": failure,
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined",
        }
    return {
        "network_status": "approved_by_network",
        "reason": None,
        "risk_level": "normal",
        "risk_score": 20,
        "seller_message": "Payment complete.",
        "type": "authorized",
    }


def method_details(account: Account, intent: Json, method: Json) -> Json:
    """`payment_method_details` of a charge: the method's public hash, plus mandate or 3DS."""
    kind = method["type"]
    details: dict[str, Any] = dict(public(method[kind]))
    if kind == "card":
        details = {
            key: details.get(key)
            for key in (
                "brand",
                "checks",
                "country",
                "exp_month",
                "exp_year",
                "fingerprint",
                "funding",
                "last4",
                "wallet",
            )
        }
        details["network"] = details["brand"]
        details["three_d_secure"] = (
            {"authenticated": True, "result": "authenticated", "version": "2.2.0"}
            if intent.get("_authenticated")
            else None
        )
    else:
        details["mandate"] = intent.get("_mandate")
    details.pop("generated_from", None)
    return {"type": kind, kind: details}


def settle_charge(account: Account, charge: Json, failure: str | None) -> None:
    """Move a pending debit charge to succeeded or failed (reversing what was booked at
    submission), with its event."""
    from checkout.testing.stripe_standin.balance import reverse_failed_debit

    if failure is None:
        charge.update(
            status="succeeded",
            paid=True,
            captured=True,
            amount_captured=charge["amount"],
            outcome=outcome("succeeded", None),
        )
        emit(account, "charge.succeeded", charge)
    else:
        charge.update(
            status="failed",
            failure_code=failure,
            failure_message=failure_message(failure),
            outcome=outcome("failed", failure),
        )
        reverse_failed_debit(account, charge)
        emit(account, "charge.failed", charge)


def create_mandate(
    account: Account, method: Json, acceptance: dict[str, Any], terms: Json | None = None
) -> Json:
    """A multi-use mandate for a debit PaymentMethod (`terms`: an ACSS mandate's schedule and
    transaction type).

    Active at once, except Bacs: "The status of the mandate on the Bacs network. Can be one of
    `pending`, `revoked`, `refused`, or `accepted`" (the SDK's docstring of
    `Mandate.PaymentMethodDetails.BacsDebit.network_status`); a new Bacs mandate is `pending`
    until the donor's bank accepts it, when its first debit settles (`settle_mandate`).
    """
    online = acceptance.get("online", {})
    bacs = method["type"] == "bacs_debit"
    details: dict[str, Any] = {"reference": new_id("STANDIN", 10).upper(), "url": None}
    if bacs:
        details.update(
            display_name="IJM STAND-IN",
            network_status="pending",
            revocation_reason=None,
            service_user_number="000000",
        )
    mandate = account.add(
        {
            "id": new_id("mandate"),
            "object": "mandate",
            "customer_acceptance": {
                "accepted_at": acceptance.get("accepted_at", account.now()),
                "online": {
                    "ip_address": online.get("ip_address"),
                    "user_agent": online.get("user_agent"),
                }
                if acceptance["type"] == "online"
                else None,
                "type": acceptance["type"],
            },
            "livemode": False,
            "multi_use": {},
            "on_behalf_of": None,
            "payment_method": method["id"],
            "payment_method_details": {
                "type": method["type"],
                method["type"]: {**details, **(terms or {})},
            },
            "status": "pending" if bacs else "active",
            "type": "multi_use",
        }
    )
    method["_mandate"] = mandate["id"]
    return mandate


def settle_mandate(account: Account, mandate: Json, refused: bool) -> None:
    """A pending Bacs mandate is accepted (active) or refused (inactive) by the donor's bank."""
    if mandate["status"] != "pending":
        return
    details = mandate["payment_method_details"]["bacs_debit"]
    previous = {
        "status": "pending",
        "payment_method_details": public(mandate["payment_method_details"]),
    }
    details["network_status"] = "refused" if refused else "accepted"
    mandate["status"] = "inactive" if refused else "active"
    emit(account, "mandate.updated", mandate, previous)


@includable("charge", "refunds")
def _charge_refunds(account: Account, charge: Json) -> Json:
    """Charge.refunds, included only when expanded in current API versions."""
    rows = [r for r in account.all("refund") if r["charge"] == charge["id"]]
    return list_object(rows, f"/v1/charges/{charge['id']}/refunds")


@router.route("GET", "/v1/charges/<ident>", Obj({"expand": EXPAND}))
def retrieve_charge(call: Call) -> Json:
    """GET /v1/charges/:id."""
    return call.account.get(call.path["ident"], "charge")


@router.route("GET", "/v1/charges", list_schema(customer=Str(), payment_intent=Str()))
def list_charges(call: Call) -> Json:
    """GET /v1/charges, by customer or PaymentIntent."""
    rows = [
        c
        for c in call.account.all("charge")
        if matches(c, customer=call.param("customer"), payment_intent=call.param("payment_intent"))
    ]
    return paginate(call, rows, "/v1/charges")


@router.route("GET", "/v1/mandates/<ident>", Obj({"expand": EXPAND}))
def retrieve_mandate(call: Call) -> Json:
    """GET /v1/mandates/:id."""
    return call.account.get(call.path["ident"], "mandate")


def revoke_mandate(account: Account, mandate: Json) -> None:
    """The donor revoked the mandate at their bank: it turns inactive (`mandate.updated`)."""
    previous = {"status": mandate["status"]}
    mandate["status"] = "inactive"
    emit(account, "mandate.updated", mandate, previous)
