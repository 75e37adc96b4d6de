"""ConfirmationTokens: the payment details Stripe.js collects, for a server to confirm with.

Stripe (stripe 16.1.0, `stripe/_confirmation_token.py`): "ConfirmationTokens help transport
client side data collected by Stripe JS over to your server for confirming a PaymentIntent or
SetupIntent. If the confirmation is successful, values present on the ConfirmationToken are
written onto the Intent." Guides: https://docs.stripe.com/payments/finalize-payments-on-the-server
and https://docs.stripe.com/payments/payment-element/migration-ct.

Three routes: `POST /v1/confirmation_tokens` is what `stripe.createConfirmationToken` calls
with the publishable key (raw card numbers allowed, as for payment methods); the SDK's
`test_helpers.confirmation_tokens.create` posts `ConfirmationTokenCreateParams` to
`/v1/test_helpers/confirmation_tokens` with the secret key; `GET /v1/confirmation_tokens/:id`
needs the secret key. The PaymentMethod is made only when an intent is confirmed with the
token ("payment_method_preview: Payment details collected by the Payment Element, used to
create a PaymentMethod when a PaymentIntent or SetupIntent is confirmed with this
ConfirmationToken").
"""

from __future__ import annotations

from typing import Any

from flask import request

from checkout.testing.stripe_standin.errors import StripeError, invalid
from checkout.testing.stripe_standin.params import (
    ADDRESS,
    EXPAND,
    Emptyable,
    Enum,
    Int,
    Node,
    Obj,
    Str,
)
from checkout.testing.stripe_standin.payment_methods import (
    DATA_SCHEMA,
    DEBITS,
    SERVER_DATA_SCHEMA,
    billing_details,
    details_from_data,
    resolve,
    store_method,
)
from checkout.testing.stripe_standin.routing import Call, Router
from checkout.testing.stripe_standin.store import Account, new_id, public
from checkout.testing.stripe_standin.store import Obj as Json

router = Router()

#: The SDK's docstring of `expires_at` gives no lifetime ("Time at which this
#: ConfirmationToken expires and can no longer be used to confirm a PaymentIntent or
#: SetupIntent"); the API reference's example object
#: (https://docs.stripe.com/api/confirmation_tokens/retrieve) has expires_at - created = 43200,
#: twelve hours. Not confirmed against Stripe itself.
LIFETIME_SECONDS = 12 * 60 * 60

_SHIPPING = Obj(
    {"address": ADDRESS, "name": Str(), "phone": Emptyable(Str())}, required=("address", "name")
)
_OPTIONS = Obj(
    {
        "card": Obj(
            {
                "installments": Obj(
                    {
                        "plan": Obj(
                            {
                                "count": Int(1),
                                "interval": Enum("month"),
                                "type": Enum("bonus", "fixed_count", "revolving"),
                            },
                            required=("type",),
                        )
                    },
                    required=("plan",),
                )
            }
        )
    }
)
_FIELDS: dict[str, Node] = {
    "expand": EXPAND,
    "payment_method": Str(),
    "payment_method_data": SERVER_DATA_SCHEMA,
    "payment_method_options": _OPTIONS,
    "return_url": Str(),
    "setup_future_usage": Enum("off_session", "on_session"),
    "shipping": _SHIPPING,
}
#: What Stripe.js sends: the same, and card numbers typed into the Payment Element.
_STRIPE_JS = Obj({**_FIELDS, "payment_method_data": DATA_SCHEMA})


@router.route("POST", "/v1/confirmation_tokens", _STRIPE_JS, publishable=True)
def create_from_stripe_js(call: Call) -> Json:
    """POST /v1/confirmation_tokens: `stripe.createConfirmationToken` with the publishable key."""
    return create_token(call.account, call.params, call.publishable)


@router.route("POST", "/v1/test_helpers/confirmation_tokens", Obj(_FIELDS))
def create_test_token(call: Call) -> Json:
    """POST /v1/test_helpers/confirmation_tokens: "Creates a test mode Confirmation Token
    server side for your integration tests" (the SDK's docstring)."""
    return create_token(call.account, call.params, call.publishable)


@router.route("GET", "/v1/confirmation_tokens/<ident>", Obj({"expand": EXPAND}))
def retrieve_token(call: Call) -> Json:
    """GET /v1/confirmation_tokens/:id, with the secret key."""
    return call.account.get(call.path["ident"], "confirmation_token")


def create_token(account: Account, params: dict[str, Any], publishable: bool) -> Json:
    """A new, unused ConfirmationToken for the payment details in `params`."""
    reference, preview = _method_of(account, params, publishable)
    now = account.now()
    return account.add(
        {
            "id": new_id("ctoken"),
            "object": "confirmation_token",
            "created": now,
            "expires_at": now + LIFETIME_SECONDS,
            "livemode": False,
            "mandate_data": _mandate_data(preview["type"]),
            "metadata": None,
            "payment_intent": None,
            "payment_method_options": params.get("payment_method_options"),
            "payment_method_preview": preview,
            "return_url": params.get("return_url"),
            "setup_future_usage": params.get("setup_future_usage"),
            "setup_intent": None,
            "shipping": _shipping(params.get("shipping")),
            # "Defaults to `true` on ConfirmationToken" (the SDK's docstring of use_stripe_sdk).
            "use_stripe_sdk": True,
            "_method": reference,
        }
    )


def _method_of(account: Account, params: dict[str, Any], publishable: bool) -> tuple[Json, Json]:
    """How to make the PaymentMethod at confirmation, and its preview."""
    given, data = params.get("payment_method"), params.get("payment_method_data")
    if given and data:
        raise invalid(
            "You may only specify one of these parameters: payment_method, payment_method_data.",
            param="payment_method_data",
        )
    if data:
        details = details_from_data(account, data, publishable)
        return {"data": data, "details": details}, _preview(
            data["type"], billing_details(data.get("billing_details", {})), public(details)
        )
    if not given:
        raise invalid(
            "Missing required param: payment_method_data.",
            param="payment_method_data",
            code="parameter_missing",
        )
    method = resolve(account, given)
    preview = _preview(method["type"], public(method["billing_details"]), method[method["type"]])
    preview["customer"] = method["customer"]
    return {"payment_method": method["id"]}, preview


def _preview(kind: str, billing: Json, details: Json) -> Json:
    """`payment_method_preview`: the PaymentMethod-to-be, in the SDK's PaymentMethodPreview."""
    return {
        "allow_redisplay": "unspecified",
        "billing_details": billing,
        "customer": None,
        "customer_account": None,
        "type": kind,
        kind: dict(details),
    }


def _mandate_data(kind: str) -> Json | None:
    """A debit's mandate, accepted online by whoever made the token (its address and browser).

    The ConfirmationToken carries `mandate_data.customer_acceptance.online` (ip_address,
    user_agent) in the SDK; Stripe.js has no parameter for it, so it comes from the request.
    """
    if kind not in DEBITS:
        return None
    return {
        "customer_acceptance": {
            "online": {
                "ip_address": request.remote_addr,
                "user_agent": request.headers.get("User-Agent"),
            },
            "type": "online",
        }
    }


def _shipping(shipping: dict[str, Any] | None) -> Json | None:
    """The token's `shipping` hash with every field present."""
    if shipping is None:
        return None
    address = shipping["address"] or {}
    return {
        "address": {
            k: address.get(k) for k in ("city", "country", "line1", "line2", "postal_code", "state")
        },
        "name": shipping["name"],
        "phone": shipping.get("phone"),
    }


def redeem(account: Account, params: dict[str, Any], publishable: bool) -> tuple[Json, Json]:
    """The token named in `params`, and the confirm parameters with its values filled in.

    The SDK's docstring of `confirmation_token`: "If the provided ConfirmationToken contains
    properties that are also being provided in this request, such as `payment_method`, then
    the values in this request will take precedence." The caller marks the token used once
    the PaymentMethod is accepted for the intent (`mark_used`).
    """
    if publishable:
        raise StripeError(
            400,
            "The local Stripe stand-in takes confirmation_token only from your server, with "
            "the secret key.",
            code="secret_key_required",
            param="confirmation_token",
        )
    token = account.get(params["confirmation_token"], "confirmation_token", "confirmation_token")
    _check_usable(account, token)
    merged = {k: v for k, v in params.items() if k != "confirmation_token"}
    if "payment_method" not in merged and "payment_method_data" not in merged:
        merged["payment_method"] = _make_method(account, token["_method"])["id"]
    for name in ("return_url", "setup_future_usage", "mandate_data", "use_stripe_sdk"):
        if token[name] is not None:
            merged.setdefault(name, token[name])
    return token, merged


def _check_usable(account: Account, token: Json) -> None:
    """Refuse a token that confirmed an intent before, or whose time is up."""
    used_for = token["payment_intent"] or token["setup_intent"]
    if used_for:
        raise StripeError(
            400,
            f"This ConfirmationToken has already been used to confirm {used_for}. Create a new "
            "ConfirmationToken with Stripe.js to try again.",
            code="token_already_used",
            param="confirmation_token",
        )
    if token["expires_at"] <= account.now():
        raise StripeError(
            400,
            "This ConfirmationToken has expired and can no longer be used to confirm a "
            "PaymentIntent or SetupIntent. Create a new one with Stripe.js.",
            param="confirmation_token",
        )


def _make_method(account: Account, reference: Json) -> Json:
    """The PaymentMethod the token describes: an existing one, or made from its data now."""
    if "payment_method" in reference:
        return account.get(reference["payment_method"], "payment_method", "confirmation_token")
    return store_method(account, reference["data"], reference["details"])


def mark_used(token: Json, intent: Json) -> None:
    """Record the intent the token confirmed: `payment_intent` is null until then."""
    token["payment_intent"] = intent["id"]
