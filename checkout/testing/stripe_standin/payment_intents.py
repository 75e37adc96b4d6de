"""PaymentIntents: create, retrieve, update, confirm, cancel, list."""

from __future__ import annotations

import secrets
from typing import Any

from flask import request

from checkout.testing.stripe_standin import verification
from checkout.testing.stripe_standin.confirmation import CONFIRMABLE, confirm, notify
from checkout.testing.stripe_standin.customers import live_customer, merge_metadata
from checkout.testing.stripe_standin.errors import StripeError, invalid, unexpected_state
from checkout.testing.stripe_standin.events import emit
from checkout.testing.stripe_standin.lists import matches, paginate
from checkout.testing.stripe_standin.params import (
    EXPAND,
    Bool,
    Currency,
    Emptyable,
    Enum,
    Int,
    ListOf,
    Metadata,
    Node,
    Obj,
    Str,
    check_amount,
    list_schema,
)
from checkout.testing.stripe_standin.payment_methods import CURRENCIES, SERVER_DATA_SCHEMA, TYPES
from checkout.testing.stripe_standin.routing import Call, Router
from checkout.testing.stripe_standin.store import Account, new_id
from checkout.testing.stripe_standin.store import Obj as Json

router = Router()

_ACCEPTANCE = Obj(
    {
        "type": Enum("online", "offline"),
        "accepted_at": Int(0),
        "online": Obj({"ip_address": Str(), "user_agent": Str()}, required=("user_agent",)),
        "offline": Obj({}),
    },
    required=("type",),
)
MANDATE_DATA = Obj({"customer_acceptance": _ACCEPTANCE}, required=("customer_acceptance",))
_USAGE = Enum("off_session", "on_session")
_METHOD_OPTIONS = Obj(
    {
        "card": Obj(
            {
                "request_three_d_secure": Enum("any", "automatic", "challenge"),
                "setup_future_usage": Emptyable(_USAGE),
            }
        ),
        **{
            kind: Obj({"setup_future_usage": Emptyable(_USAGE)})
            for kind in ("sepa_debit", "bacs_debit", "au_becs_debit")
        },
        "acss_debit": Obj(
            {
                "mandate_options": Obj(
                    {
                        "payment_schedule": Enum("combined", "interval", "sporadic"),
                        "transaction_type": Enum("business", "personal"),
                        "interval_description": Str(),
                    }
                ),
                "setup_future_usage": Emptyable(_USAGE),
                "verification_method": Enum("automatic", "instant", "microdeposits"),
            }
        ),
        "ideal": Obj({"setup_future_usage": Emptyable(_USAGE)}),
    }
)
_SHARED: dict[str, Node] = {
    "customer": Str(),
    "description": Emptyable(Str(1000)),
    "expand": EXPAND,
    "metadata": Metadata(),
    "payment_method": Str(),
    # Card numbers never go through payment_method_data: Stripe.js creates the method first.
    "payment_method_data": SERVER_DATA_SCHEMA,
    "payment_method_options": _METHOD_OPTIONS,
    "allowed_payment_method_types": ListOf(Enum(*TYPES)),
    "receipt_email": Emptyable(Str()),
    "setup_future_usage": Emptyable(_USAGE),
    "statement_descriptor": Str(22),
    "statement_descriptor_suffix": Str(22),
}
_CONFIRM_ONLY: dict[str, Node] = {
    "confirmation_token": Str(),
    "mandate_data": MANDATE_DATA,
    "off_session": Bool(),
    "return_url": Str(),
    "use_stripe_sdk": Bool(),
}
_CREATE = Obj(
    {
        **_SHARED,
        **_CONFIRM_ONLY,
        "amount": Int(),
        "currency": Currency(),
        "automatic_payment_methods": Obj(
            {"enabled": Bool(), "allow_redirects": Enum("always", "never")}, required=("enabled",)
        ),
        "capture_method": Enum("automatic", "automatic_async"),
        "confirm": Bool(),
        "confirmation_method": Enum("automatic", "manual"),
    },
    required=("amount", "currency"),
)
_UPDATE = Obj(
    {
        **{k: v for k, v in _SHARED.items() if k != "payment_method_data"},
        "amount": Int(),
        "currency": Currency(),
    }
)
_CONFIRM = Obj(
    {
        name: _SHARED[name]
        for name in (
            "expand",
            "payment_method",
            "payment_method_data",
            "payment_method_options",
            "receipt_email",
            "setup_future_usage",
        )
    }
    | _CONFIRM_ONLY
)


def create_intent(account: Account, params: dict[str, Any]) -> Json:
    """A new PaymentIntent from validated parameters (used by the API and by invoices)."""
    amount, currency = params["amount"], params["currency"]
    check_amount(amount, currency)
    types, automatic = _method_types(params, currency)
    if params.get("customer"):
        live_customer(account, params["customer"])
    intent_id = new_id("pi")
    intent = account.add(
        {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_details": {"tip": {}},
            "amount_received": 0,
            "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": automatic,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": params.get("capture_method", "automatic_async"),
            "client_secret": f"{intent_id}_secret_{secrets.token_urlsafe(18).replace('-', 'x')}",
            "confirmation_method": params.get("confirmation_method", "automatic"),
            "created": account.now(),
            "currency": currency,
            "customer": params.get("customer"),
            "description": params.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": merge_metadata({}, params.get("metadata", {})),
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": None,
            "payment_method_configuration_details": None,
            "payment_method_options": {
                kind: dict(params.get("payment_method_options", {}).get(kind, {})) for kind in types
            },
            "payment_method_types": types,
            "processing": None,
            "receipt_email": params.get("receipt_email"),
            "review": None,
            "setup_future_usage": params.get("setup_future_usage"),
            "shipping": None,
            "source": None,
            "statement_descriptor": params.get("statement_descriptor"),
            "statement_descriptor_suffix": params.get("statement_descriptor_suffix"),
            "status": "requires_payment_method",
            "transfer_data": None,
            "transfer_group": None,
            "_invoice": params.get("_invoice"),
        }
    )
    emit(account, "payment_intent.created", intent)
    return intent


def _method_types(params: dict[str, Any], currency: str) -> tuple[list[str], Json | None]:
    """The intent's payment method types: those allowed that fit the currency.

    Current API versions take `allowed_payment_method_types` and answer the compatible ones
    in `payment_method_types`; without it, automatic payment methods pick every type the
    stand-in knows that fits the currency.
    """
    if "allowed_payment_method_types" in params and "automatic_payment_methods" in params:
        raise invalid(
            "You may only specify one of these parameters: "
            "allowed_payment_method_types, automatic_payment_methods.",
            param="automatic_payment_methods",
        )
    allowed = params.get("allowed_payment_method_types")
    fitting = [
        k for k in (allowed or TYPES) if CURRENCIES[k] is None or currency in (CURRENCIES[k] or ())
    ]
    if not fitting:
        raise invalid(
            f"None of the allowed payment method types ({', '.join(allowed or [])}) "
            f"can be used with the currency {currency}.",
            param="allowed_payment_method_types",
            code="payment_intent_invalid_parameter",
        )
    automatic = None if allowed else {"allow_redirects": "always", "enabled": True}
    return list(dict.fromkeys(fitting)), automatic


def confirm_or_raise(
    account: Account, intent: Json, params: dict[str, Any], publishable: bool
) -> Json:
    """Confirm and answer the intent, or raise the decline (after recording it)."""
    error = confirm(account, intent, params, publishable, request.remote_addr or "127.0.0.1")
    if error is not None:
        raise error
    return intent


@router.route("POST", "/v1/payment_intents", _CREATE)
def create_payment_intent(call: Call) -> Json:
    """POST /v1/payment_intents (with `confirm=true` it is confirmed at once)."""
    params = dict(call.params)
    if params.get("confirmation_token") and not params.get("confirm"):
        raise invalid(
            "confirmation_token can only be passed when confirm is true.",
            param="confirmation_token",
        )
    intent = create_intent(call.account, params)
    if params.get("payment_method") and not params.get("confirm"):
        intent["payment_method"] = _attachable(call.account, params["payment_method"])
        intent["status"] = "requires_confirmation"
    if params.get("confirm"):
        return confirm_or_raise(call.account, intent, params, call.publishable)
    return intent


def _attachable(account: Account, ident: str) -> str:
    """The id of the PaymentMethod `ident`, made from a `pm_card_*` alias if need be."""
    from checkout.testing.stripe_standin.payment_methods import resolve

    return str(resolve(account, ident)["id"])


@router.route("GET", "/v1/payment_intents/<ident>", Obj({"expand": EXPAND}), publishable=True)
def retrieve_payment_intent(call: Call) -> Json:
    """GET /v1/payment_intents/:id (Stripe.js: with the pk and the client secret)."""
    return _intent(call)


@router.route("POST", "/v1/payment_intents/<ident>", _UPDATE)
def update_payment_intent(call: Call) -> Json:
    """POST /v1/payment_intents/:id: only before it is paid or processing."""
    intent = _intent(call)
    if intent["status"] not in CONFIRMABLE:
        raise unexpected_state(
            f"You cannot update this PaymentIntent because it has a status of {intent['status']}."
        )
    params = {k: v for k, v in call.params.items() if k != "expand"}
    amount = int(params["amount"] if "amount" in params else intent["amount"])
    currency = str(params["currency"] if "currency" in params else intent["currency"])
    check_amount(amount, currency)
    if "allowed_payment_method_types" in params or "currency" in params:
        allowed = params.get("allowed_payment_method_types", intent["allowed_payment_method_types"])
        merged = {"allowed_payment_method_types": allowed} if allowed else {}
        params["payment_method_types"], _auto = _method_types(merged, currency)
    if "metadata" in params:
        params["metadata"] = merge_metadata(intent["metadata"], params["metadata"])
    if params.get("payment_method"):
        params["payment_method"] = _attachable(call.account, params["payment_method"])
    previous = {k: intent.get(k) for k in params if intent.get(k) != params[k]}
    intent.update(params)
    emit(call.account, "payment_intent.updated", intent, previous)
    return intent


@router.route("POST", "/v1/payment_intents/<ident>/confirm", _CONFIRM, publishable=True)
def confirm_payment_intent(call: Call) -> Json:
    """POST /v1/payment_intents/:id/confirm (Stripe.js confirms with the client secret)."""
    return confirm_or_raise(call.account, _intent(call), call.params, call.publishable)


@router.route(
    "POST",
    "/v1/payment_intents/<ident>/cancel",
    Obj(
        {
            "cancellation_reason": Enum(
                "abandoned", "duplicate", "fraudulent", "requested_by_customer"
            ),
            "expand": EXPAND,
        }
    ),
)
def cancel_payment_intent(call: Call) -> Json:
    """POST /v1/payment_intents/:id/cancel."""
    intent = _intent(call)
    if intent["status"] not in CONFIRMABLE:
        raise unexpected_state(
            f"You cannot cancel this PaymentIntent because it has a status of "
            f"{intent['status']}. Only a PaymentIntent with one of the following statuses may "
            "be canceled: requires_payment_method, requires_capture, requires_confirmation, "
            "requires_action, processing."
        )
    if intent.get("_invoice"):
        raise invalid(
            "You cannot cancel this PaymentIntent because it was created by an invoice.",
            code="payment_intent_unexpected_state",
        )
    cancel(call.account, intent, call.param("cancellation_reason"))
    return intent


def cancel(account: Account, intent: Json, reason: str | None) -> None:
    """Cancel `intent` (by the API, or when its invoice is voided)."""
    intent.update(
        status="canceled", canceled_at=account.now(), cancellation_reason=reason, next_action=None
    )
    emit(account, "payment_intent.canceled", intent)
    notify(account, intent, "canceled")


@router.route(
    "POST",
    "/v1/payment_intents/<ident>/verify_microdeposits",
    Obj({"amounts": ListOf(Int(1, 100), 2), "descriptor_code": Str(6), "expand": EXPAND}),
    publishable=True,
)
def verify_microdeposits(call: Call) -> Json:
    """POST /v1/payment_intents/:id/verify_microdeposits (Stripe.js: with the client secret);
    verification.py checks what the donor entered."""
    intent = _intent(call)
    verification.verify(call.account, intent, call.param("amounts"), call.param("descriptor_code"))
    return intent


@router.route("GET", "/v1/payment_intents", list_schema(customer=Str()))
def list_payment_intents(call: Call) -> Json:
    """GET /v1/payment_intents, optionally by customer."""
    rows = [
        i for i in call.account.all("payment_intent") if matches(i, customer=call.param("customer"))
    ]
    return paginate(call, rows, "/v1/payment_intents")


def _intent(call: Call) -> Json:
    """The intent in the path; a publishable key must also show its client secret."""
    intent = call.account.get(call.path["ident"], "payment_intent")
    if call.publishable and call.param("client_secret") != intent["client_secret"]:
        raise StripeError(
            400,
            "The client_secret provided does not match the client_secret associated with "
            "the PaymentIntent.",
            code="payment_intent_invalid_parameter",
            param="client_secret",
        )
    return intent
