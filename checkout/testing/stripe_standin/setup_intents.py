"""SetupIntents: save a card or bank account for later payments, without charging it.

Stripe (stripe 16.1.0, `stripe/_setup_intent.py`): "A SetupIntent guides you through the
process of setting up and saving a customer's payment credentials for future payments." The
routes are create (with `confirm=true` and a `confirmation_token`, as the donor portal's
server confirms), retrieve (Stripe.js: the publishable key and the client secret), update,
confirm, cancel and list. A successful setup attaches the PaymentMethod to the customer and
readies it for off-session use; a debit gets its mandate from `mandate_data` (the token's);
a card that wants 3-D Secure leaves the intent in `requires_action` with the stand-in's
authentication page (pages.py), which Stripe.js shows in its dialog (`handleNextAction`); a
card that is always declined fails the setup (402, `last_setup_error`), one declined only on charge
(4000 0000 0000 0341) sets up fine. Events: setup_intent.created, .requires_action,
.succeeded, .setup_failed, .canceled.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from flask import request

from checkout.testing.stripe_standin import confirmation_tokens
from checkout.testing.stripe_standin.charges import create_mandate
from checkout.testing.stripe_standin.customers import live_customer, merge_metadata
from checkout.testing.stripe_standin.errors import StripeError, invalid, unexpected_state
from checkout.testing.stripe_standin.events import emit
from checkout.testing.stripe_standin.lists import matches, paginate
from checkout.testing.stripe_standin.params import (
    EXPAND,
    Bool,
    Emptyable,
    Enum,
    ListOf,
    Metadata,
    Node,
    Obj,
    Str,
    list_schema,
)
from checkout.testing.stripe_standin.payment_intents import MANDATE_DATA
from checkout.testing.stripe_standin.payment_methods import (
    DEBITS,
    SERVER_DATA_SCHEMA,
    TYPES,
    attach,
    create_from_data,
    resolve,
)
from checkout.testing.stripe_standin.routing import Call, Router
from checkout.testing.stripe_standin.store import Account, new_id, public
from checkout.testing.stripe_standin.store import Obj as Json

router = Router()
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
#: iDEAL saves a SEPA debit at Stripe (a bank redirect): not needed, refused loudly.
_SETUP_TYPES = tuple(kind for kind in TYPES if kind != "ideal")

_SHARED: dict[str, Node] = {
    "allowed_payment_method_types": ListOf(Enum(*_SETUP_TYPES)),
    "customer": Str(),
    "description": Emptyable(Str(1000)),
    "expand": EXPAND,
    "metadata": Metadata(),
    "payment_method": Str(),
}
_CONFIRM_FIELDS: dict[str, Node] = {
    "confirmation_token": Str(),
    "mandate_data": MANDATE_DATA,
    "payment_method": Str(),
    "payment_method_data": SERVER_DATA_SCHEMA,
    "return_url": Str(),
    "use_stripe_sdk": Bool(),
}
_CREATE = Obj(
    {
        **_SHARED,
        **_CONFIRM_FIELDS,
        "confirm": Bool(),
        "usage": Enum("off_session", "on_session"),
    }
)
_CONFIRM = Obj({"expand": EXPAND, **_CONFIRM_FIELDS})


@router.route("POST", "/v1/setup_intents", _CREATE)
def create_setup_intent(call: Call) -> Json:
    """POST /v1/setup_intents (with `confirm=true` it is confirmed at once)."""
    account, params = call.account, dict(call.params)
    if params.get("confirmation_token") and not params.get("confirm"):
        raise invalid(
            "confirmation_token can only be passed when confirm is true.",
            param="confirmation_token",
        )
    if params.get("customer"):
        live_customer(account, params["customer"])
    intent = _new_intent(account, params)
    emit(account, "setup_intent.created", intent)
    if params.get("confirm"):
        _confirm_or_raise(account, intent, params, call.publishable)
    elif params.get("payment_method"):
        intent.update(
            payment_method=resolve(account, params["payment_method"])["id"],
            status="requires_confirmation",
        )
    return intent


def _new_intent(account: Account, params: dict[str, Any]) -> Json:
    """The SetupIntent object, every field of the SDK's SetupIntent present."""
    intent_id = new_id("seti")
    types = list(dict.fromkeys(params.get("allowed_payment_method_types") or ["card"]))
    return account.add(
        {
            "id": intent_id,
            "object": "setup_intent",
            "application": None,
            "attach_to_self": None,
            "automatic_payment_methods": None,
            "cancellation_reason": None,
            "client_secret": f"{intent_id}_secret_{secrets.token_urlsafe(18).replace('-', 'x')}",
            "created": account.now(),
            "customer": params.get("customer"),
            "customer_account": None,
            "description": params.get("description"),
            "excluded_payment_method_types": None,
            "flow_directions": None,
            "last_setup_error": None,
            "latest_attempt": None,
            "livemode": False,
            "mandate": None,
            "metadata": merge_metadata({}, params.get("metadata", {})),
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": None,
            "payment_method_configuration_details": None,
            "payment_method_options": {kind: {} for kind in types},
            "payment_method_types": types,
            "single_use_mandate": None,
            "status": "requires_payment_method",
            "usage": params.get("usage", "off_session"),
        }
    )


@router.route("GET", "/v1/setup_intents/<ident>", Obj({"expand": EXPAND}), publishable=True)
def retrieve_setup_intent(call: Call) -> Json:
    """GET /v1/setup_intents/:id (Stripe.js: with the pk and the client secret)."""
    return _intent(call)


@router.route("POST", "/v1/setup_intents/<ident>", Obj(_SHARED))
def update_setup_intent(call: Call) -> Json:
    """POST /v1/setup_intents/:id: only before it succeeded."""
    intent = _intent(call)
    if intent["status"] not in CONFIRMABLE:
        raise _setup_state(intent, "update")
    params = {k: v for k, v in call.params.items() if k != "expand"}
    if "metadata" in params:
        params["metadata"] = merge_metadata(intent["metadata"], params["metadata"])
    if "allowed_payment_method_types" in params:
        params["payment_method_types"] = list(
            dict.fromkeys(params.pop("allowed_payment_method_types"))
        )
    if params.get("payment_method"):
        params["payment_method"] = resolve(call.account, params["payment_method"])["id"]
        params["status"] = "requires_confirmation"
    if params.get("customer"):
        live_customer(call.account, params["customer"])
    intent.update(params)
    return intent


@router.route("POST", "/v1/setup_intents/<ident>/confirm", _CONFIRM, publishable=True)
def confirm_setup_intent(call: Call) -> Json:
    """POST /v1/setup_intents/:id/confirm."""
    intent = _intent(call)
    _confirm_or_raise(call.account, intent, dict(call.params), call.publishable)
    return intent


@router.route(
    "POST",
    "/v1/setup_intents/<ident>/cancel",
    Obj(
        {
            "cancellation_reason": Enum("abandoned", "duplicate", "requested_by_customer"),
            "expand": EXPAND,
        }
    ),
)
def cancel_setup_intent(call: Call) -> Json:
    """POST /v1/setup_intents/:id/cancel."""
    intent = _intent(call)
    if intent["status"] not in CONFIRMABLE:
        raise _setup_state(intent, "cancel")
    intent.update(
        status="canceled", cancellation_reason=call.param("cancellation_reason"), next_action=None
    )
    emit(call.account, "setup_intent.canceled", intent)
    return intent


@router.route("GET", "/v1/setup_intents", list_schema(customer=Str(), payment_method=Str()))
def list_setup_intents(call: Call) -> Json:
    """GET /v1/setup_intents, optionally by customer or payment method."""
    rows = [
        i
        for i in call.account.all("setup_intent")
        if matches(i, customer=call.param("customer"), payment_method=call.param("payment_method"))
    ]
    return paginate(call, rows, "/v1/setup_intents")


def _intent(call: Call) -> Json:
    """The intent in the path; a publishable key must also show its client secret."""
    intent = call.account.get(call.path["ident"], "setup_intent")
    if call.publishable and call.param("client_secret") != intent["client_secret"]:
        raise StripeError(
            400,
            "The client_secret provided does not match the client_secret associated with "
            "the SetupIntent.",
            code="setup_intent_invalid_parameter",
            param="client_secret",
        )
    return intent


def _setup_state(intent: Json, verb: str) -> StripeError:
    return StripeError(
        400,
        f"You cannot {verb} this SetupIntent because it has a status of {intent['status']}.",
        code="setup_intent_unexpected_state",
    )


# --- confirming ---------------------------------------------------------------------------------


def _confirm_or_raise(
    account: Account, intent: Json, params: dict[str, Any], publishable: bool
) -> None:
    """Confirm `intent`; a declined card is answered with Stripe's 402 after it is recorded."""
    if intent["status"] not in CONFIRMABLE:
        raise _setup_state(intent, "confirm")
    token = None
    if params.get("confirmation_token"):
        token, params = confirmation_tokens.redeem(account, params, publishable)
    method = _method_for(account, intent, params, publishable)
    if token is not None:
        token["setup_intent"] = intent["id"]  # null until the token confirmed an intent
    if method["id"] != intent["payment_method"]:
        intent["_authenticated"] = False  # 3-D Secure done for one card says nothing of another
    intent.update(payment_method=method["id"], last_setup_error=None, next_action=None)
    intent["_return_url"] = params.get("return_url", intent.get("_return_url"))
    intent["_use_stripe_sdk"] = bool(params.get("use_stripe_sdk"))
    if method["type"] in DEBITS:
        _set_up_debit(account, intent, method, params.get("mandate_data"))
        return
    error = _set_up_card(account, intent, method)
    if error is not None:
        raise error


def _method_for(account: Account, intent: Json, params: dict[str, Any], publishable: bool) -> Json:
    """The PaymentMethod to set up: given, made from data, or already on the intent."""
    if "payment_method_data" in params:
        method = create_from_data(account, params["payment_method_data"], publishable)
    elif params.get("payment_method"):
        method = resolve(account, params["payment_method"])
    elif intent["payment_method"]:
        method = account.get(intent["payment_method"], "payment_method")
    else:
        raise unexpected_state(
            "You cannot confirm this SetupIntent because it's missing a payment method."
        )
    if method["type"] not in intent["payment_method_types"]:
        raise invalid(
            f"The PaymentMethod provided ({method['type']}) is not allowed for this "
            f"SetupIntent; allowed: {', '.join(intent['payment_method_types'])}.",
            param="payment_method",
            code="setup_intent_incompatible_payment_method",
        )
    if method["customer"] not in (None, intent["customer"]):
        raise invalid(
            "The provided PaymentMethod belongs to another customer.", param="payment_method"
        )
    return method


def _set_up_debit(
    account: Account, intent: Json, method: Json, mandate_data: dict[str, Any] | None
) -> None:
    """A debit: its mandate from the donor's acceptance, then the account is ready to debit."""
    if mandate_data is None:
        raise invalid(
            f"A mandate is required to set up a {method['type']} payment method: pass "
            "mandate_data[customer_acceptance].",
            param="mandate_data",
            code="parameter_missing",
        )
    acceptance = dict(mandate_data["customer_acceptance"])
    online = acceptance.setdefault("online", {})
    online.setdefault("ip_address", request.remote_addr)
    intent["mandate"] = create_mandate(account, method, acceptance)["id"]
    _succeed(account, intent, method)


def _set_up_card(account: Account, intent: Json, method: Json) -> StripeError | None:
    """A card: declined, asking for 3-D Secure, or saved."""
    outcome = method["_outcome"]
    if outcome == "decline":
        return _fail(account, intent, method, method["_failure"] or "generic_decline")
    if outcome in ("authenticate", "authenticate_always") and not intent.get("_authenticated"):
        _require_action(account, intent)
        return None
    _succeed(account, intent, method)
    return None


def _succeed(account: Account, intent: Json, method: Json) -> None:
    """Attach the method to the customer, ready for payments without the donor."""
    if intent["customer"]:
        attach(account, method, account.get(intent["customer"], "customer"))
    if intent["usage"] == "off_session":
        method["_off_session_ready"] = True
    intent.update(status="succeeded", next_action=None, last_setup_error=None)
    emit(account, "setup_intent.succeeded", intent)


def _fail(account: Account, intent: Json, method: Json, code: str) -> StripeError:
    """The card was declined: the intent wants another method; Stripe answers 402."""
    error = StripeError(
        402,
        "Your card was declined.",
        type="card_error",
        code="card_declined",
        decline_code=code,
        payment_method=public(method),
    )
    intent.update(
        status="requires_payment_method",
        next_action=None,
        last_setup_error=error.body()["error"],
    )
    emit(account, "setup_intent.setup_failed", intent)
    error.extra["setup_intent"] = public(intent)
    return error


def _require_action(account: Account, intent: Json) -> None:
    """3-D Secure: the page Stripe.js shows in its dialog (or a redirect with a return_url)."""
    url = f"{account.base_url}_standin/authenticate/{account.id}/{intent['id']}?" + urlencode(
        {"client_secret": intent["client_secret"]}
    )
    if intent.get("_return_url") and not intent.get("_use_stripe_sdk"):
        next_action: Json = {
            "type": "redirect_to_url",
            "redirect_to_url": {"return_url": intent["_return_url"], "url": url},
        }
    else:
        next_action = {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": url},
        }
    intent.update(status="requires_action", next_action=next_action)
    emit(account, "setup_intent.requires_action", intent)


def complete_setup_action(account: Account, intent: Json, approved: bool) -> None:
    """The donor finished 3-D Secure: save the card, or fail the setup."""
    if intent["status"] != "requires_action":
        raise _setup_state(intent, "authenticate")
    method = account.get(intent["payment_method"], "payment_method")
    if approved:
        intent["_authenticated"] = True
        _succeed(account, intent, method)
        return
    error = StripeError(
        400,
        "The latest attempt to set up the payment method has failed because authentication failed.",
        code="setup_intent_authentication_failure",
        payment_method=public(method),
    )
    intent.update(
        status="requires_payment_method", next_action=None, last_setup_error=error.body()["error"]
    )
    emit(account, "setup_intent.setup_failed", intent)
