"""What happens when a PaymentIntent is confirmed: cards, 3-D Secure, bank debits, iDEAL.

Declines change the PaymentIntent and are returned as the StripeError to answer, rather than
raised, so that off-session attempts (subscription renewals) can use the same path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from checkout.testing.stripe_standin import confirmation_tokens, verification
from checkout.testing.stripe_standin.balance import capture_later, record_charge
from checkout.testing.stripe_standin.charges import (
    create_charge,
    create_mandate,
    failure_message,
    settle_charge,
    settle_mandate,
)
from checkout.testing.stripe_standin.errors import StripeError, invalid, unexpected_state
from checkout.testing.stripe_standin.events import emit
from checkout.testing.stripe_standin.payment_methods import DEBITS, attach, resolve
from checkout.testing.stripe_standin.payment_methods import create_from_data as new_method
from checkout.testing.stripe_standin.store import Account, new_id, public
from checkout.testing.stripe_standin.store import Obj as Json

#: Called with (account, intent, outcome) after each change; invoices listen to learn when
#: their PaymentIntent succeeded, failed or needs the donor ("succeeded", "failed",
#: "requires_action", "processing", "canceled").
Listener = Callable[[Account, Json, str], None]
listeners: list[Listener] = []
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def notify(account: Account, intent: Json, outcome: str) -> None:
    """Tell the listeners (invoices) what became of `intent`."""
    for listener in listeners:
        listener(account, intent, outcome)


def confirm(
    account: Account,
    intent: Json,
    params: dict[str, Any],
    publishable: bool,
    remote_addr: str,
    *,
    renewal: bool = False,
) -> StripeError | None:
    """Confirm `intent`; return the decline to answer, if any.

    `renewal` is an invoice paying itself off-session: a card that wants 3-D Secure leaves the
    intent in requires_action (the donor is emailed), where a plain off-session confirmation
    is declined with authentication_required.
    """
    if intent["status"] not in CONFIRMABLE:
        raise unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {intent['status']}."
        )
    _refuse_browser_confirmation_of_manual(intent, publishable)
    token = None
    if params.get("confirmation_token"):
        token, params = confirmation_tokens.redeem(account, params, publishable)
    method = _method_for(account, intent, params, publishable)
    if token is not None:
        confirmation_tokens.mark_used(token, intent)
    _remember(intent, method, params)
    off_session = bool(params.get("off_session"))
    if method["type"] in DEBITS:
        return _start_debit(
            account, intent, method, params.get("mandate_data"), remote_addr, off_session
        )
    if method["type"] == "ideal":
        return _redirect(account, intent, method)
    return charge_card(account, intent, method, off_session=off_session, renewal=renewal)


def _refuse_browser_confirmation_of_manual(intent: Json, publishable: bool) -> None:
    """Manual confirmation: "all payment attempts must be initiated using a secret key".

    The SDK's docstring of PaymentIntentService.confirm. Stripe's exact error for a
    publishable-key confirmation is not confirmed here (see the README).
    """
    if publishable and intent["confirmation_method"] == "manual":
        raise StripeError(
            400,
            "This PaymentIntent's confirmation_method is manual: it can only be confirmed "
            "with your secret key, on your server.",
            code="secret_key_required",
        )


def _remember(intent: Json, method: Json, params: dict[str, Any]) -> None:
    """Write what this confirmation carries onto the intent, as Stripe does."""
    for name in ("return_url", "receipt_email", "setup_future_usage"):
        if name in params:
            intent["_return_url" if name == "return_url" else name] = params[name]
    if method["id"] != intent["payment_method"]:
        # 3-D Secure done for one card says nothing about another.
        intent["_authenticated"] = False
    # "Set to `true` when confirming server-side and using Stripe.js [...] to handle the next
    # actions" (the SDK's docstring of use_stripe_sdk): 3-D Secure then stays in the page.
    intent["_use_stripe_sdk"] = bool(params.get("use_stripe_sdk"))
    intent.update(payment_method=method["id"], last_payment_error=None, next_action=None)


def _method_for(account: Account, intent: Json, params: dict[str, Any], publishable: bool) -> Json:
    """The PaymentMethod to confirm with: given, made from data, or already on the intent."""
    if "payment_method_data" in params:
        method = new_method(account, params["payment_method_data"], publishable)
    elif params.get("payment_method"):
        method = resolve(account, params["payment_method"])
    elif intent["payment_method"]:
        method = account.get(intent["payment_method"], "payment_method")
    else:
        raise unexpected_state(
            "You cannot confirm this PaymentIntent because it's missing a "
            "payment method. Update the PaymentIntent with a payment method "
            "and then confirm it again."
        )
    if method["type"] not in intent["payment_method_types"]:
        raise invalid(
            f"The PaymentMethod provided ({method['type']}) is not allowed for this "
            f"PaymentIntent; allowed: {', '.join(intent['payment_method_types'])}.",
            param="payment_method",
            code="payment_intent_incompatible_payment_method",
        )
    if method["customer"] not in (None, intent["customer"]):
        raise invalid(
            "The provided PaymentMethod belongs to another customer.", param="payment_method"
        )
    return method


def charge_card(
    account: Account, intent: Json, method: Json, *, off_session: bool, renewal: bool = False
) -> StripeError | None:
    """Charge a card, asking for 3-D Secure when the test card wants it."""
    outcome = method["_outcome"]
    wants_auth = outcome == "authenticate_always" or (
        outcome == "authenticate" and not method.get("_off_session_ready")
    )
    if wants_auth and not intent.get("_authenticated"):
        if off_session and not renewal:
            return decline(account, intent, method, "authentication_required")
        require_action(account, intent, three_d_secure=True)
        return None
    if outcome in ("decline", "decline_on_charge"):
        return decline(account, intent, method, method["_failure"] or "generic_decline")
    succeed(account, intent, method, create_charge(account, intent, method, "succeeded"))
    return None


def require_action(account: Account, intent: Json, *, three_d_secure: bool) -> None:
    """Park `intent` in requires_action with the page the donor must visit."""
    url = f"{account.base_url}_standin/authenticate/{account.id}/{intent['id']}?" + urlencode(
        {"client_secret": intent["client_secret"]}
    )
    return_url = intent.get("_return_url")
    if not three_d_secure or (return_url and not intent.get("_use_stripe_sdk")):
        next_action: Json = {
            "type": "redirect_to_url",
            "redirect_to_url": {"return_url": return_url, "url": url},
        }
    else:
        next_action = {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {
                "type": "three_d_secure_redirect",
                "stripe_js": url,
                "source": new_id("src"),
            },
        }
    intent.update(status="requires_action", next_action=next_action)
    emit(account, "payment_intent.requires_action", intent)
    notify(account, intent, "requires_action")


def succeed(account: Account, intent: Json, method: Json, charge: Json) -> None:
    """Mark `intent` succeeded (its charge booked now or later), saving the method if asked."""
    capture_later(account, intent, charge)
    if intent.get("setup_future_usage") and intent["customer"]:
        _save_for_later(account, intent, method)
    intent.update(
        status="succeeded",
        amount_received=intent["amount"],
        next_action=None,
        last_payment_error=None,
    )
    emit(account, "charge.succeeded", charge)
    emit(account, "payment_intent.succeeded", intent)
    notify(account, intent, "succeeded")


def _save_for_later(account: Account, intent: Json, method: Json) -> None:
    """Attach the method to the customer and remember that it was set up off-session."""
    customer = account.get(intent["customer"], "customer")
    attach(account, method, customer)
    if intent.get("setup_future_usage") == "off_session":
        method["_off_session_ready"] = True


def decline(account: Account, intent: Json, method: Json, code: str) -> StripeError:
    """Record a declined charge on `intent` and return the 402 Stripe answers."""
    charge = create_charge(account, intent, method, "failed", code)
    error = _card_error(charge, method, code)
    intent.update(
        status="requires_payment_method", next_action=None, last_payment_error=error.body()["error"]
    )
    emit(account, "charge.failed", charge)
    emit(account, "payment_intent.payment_failed", intent)
    notify(account, intent, "failed")
    error.extra["payment_intent"] = public(intent)
    return error


def _card_error(charge: Json, method: Json, code: str) -> StripeError:
    """Stripe's card_error for a declined charge."""
    error_code = (
        code
        if code in ("expired_card", "incorrect_cvc", "authentication_required")
        else "card_declined"
    )
    return StripeError(
        402,
        failure_message(code),
        type="card_error",
        code=error_code,
        decline_code=code,
        charge=charge["id"],
        payment_method=public(method),
    )


def _start_debit(
    account: Account,
    intent: Json,
    method: Json,
    mandate_data: dict[str, Any] | None,
    remote_addr: str,
    off_session: bool,
) -> StripeError | None:
    """A bank debit: its mandate, the account's verification (ACSS), then the submission."""
    if method.get("_mandate") and (off_session or mandate_data is None):
        intent["_mandate"] = method["_mandate"]
    elif mandate_data is None:
        raise invalid(
            f"A mandate is required to confirm a {method['type']} payment: pass "
            "mandate_data[customer_acceptance].",
            param="mandate_data",
            code="parameter_missing",
        )
    else:
        terms = verification.mandate_terms(intent) if method["type"] == "acss_debit" else None
        acceptance = dict(mandate_data["customer_acceptance"])
        online = acceptance.setdefault("online", {})
        online.setdefault("ip_address", remote_addr)
        intent["_mandate"] = create_mandate(account, method, acceptance, terms)["id"]
    if method["type"] == "acss_debit" and verification.needs_microdeposits(intent, method):
        verification.wait_for_microdeposits(account, intent)
        return None
    method["_verified"] = True  # instantly, where the debit needs it (ACSS)
    submit_debit(account, intent, method)
    return None


def submit_debit(account: Account, intent: Json, method: Json) -> None:
    """Submit the debit: a pending charge, booked now, and `processing` until it settles."""
    if intent["customer"]:
        attach(account, method, account.get(intent["customer"], "customer"))
    charge = create_charge(account, intent, method, "pending")
    record_charge(account, charge)  # booked at submission, reversed if the debit fails
    intent.update(status="processing", _settle_at=account.now() + account.debit_settle_seconds)
    emit(account, "charge.pending", charge)
    emit(account, "payment_intent.processing", intent)
    notify(account, intent, "processing")


def fail_intent(account: Account, intent: Json, error: StripeError) -> None:
    """The attempt failed before any charge (verification): the intent needs a new method."""
    intent.update(
        status="requires_payment_method", next_action=None, last_payment_error=error.body()["error"]
    )
    emit(account, "payment_intent.payment_failed", intent)
    notify(account, intent, "failed")


def settle(account: Account, intent: Json, fail: bool | None = None) -> None:
    """Settle a processing debit: as its test account says, or failed/succeeded if told."""
    method = account.get(intent["payment_method"], "payment_method")
    charge = account.get(intent["latest_charge"], "charge")
    if fail is None:
        failure = method["_failure"] if method["_outcome"] == "debit_fail" else None
    else:
        failure = (method["_failure"] or "insufficient_funds") if fail else None
    intent["_settle_at"] = None
    mandate = account.find(intent.get("_mandate") or "")
    if mandate is not None:  # a new Bacs mandate is accepted (or refused) first
        refused = bool(method.get("_mandate_refused"))
        settle_mandate(account, mandate, refused)
        failure = "debit_not_authorized" if refused else failure
    settle_charge(account, charge, failure)
    if failure is None:
        method["_off_session_ready"] = True
        intent.update(status="succeeded", amount_received=intent["amount"])
        emit(account, "payment_intent.succeeded", intent)
        notify(account, intent, "succeeded")
        return
    error = StripeError(
        402,
        failure_message(failure),
        type="card_error",
        code=failure,
        charge=charge["id"],
        payment_method=public(method),
    )
    intent.update(status="requires_payment_method", last_payment_error=error.body()["error"])
    emit(account, "payment_intent.payment_failed", intent)
    notify(account, intent, "failed")


def _redirect(account: Account, intent: Json, method: Json) -> StripeError | None:
    """iDEAL: the donor approves on their bank's page, which needs a return_url."""
    if intent.get("_authenticated"):  # approved, then confirmed again (manual confirmation)
        succeed(account, intent, method, create_charge(account, intent, method, "succeeded"))
        return None
    if not intent.get("_return_url"):
        raise invalid(
            "A return_url must be specified because this PaymentMethod requires a "
            "full page redirect.",
            param="return_url",
            code="parameter_missing",
        )
    require_action(account, intent, three_d_secure=False)
    return None


def complete_action(account: Account, intent: Json, approved: bool) -> None:
    """The donor finished the 3-D Secure or bank page: pay, or fail the attempt."""
    if intent["status"] != "requires_action":
        raise unexpected_state(
            f"This PaymentIntent has a status of {intent['status']} and needs no action."
        )
    method = account.get(intent["payment_method"], "payment_method")
    if not approved:
        _authentication_failed(account, intent, method)
        return
    intent["_authenticated"] = True
    if intent["confirmation_method"] == "manual":
        # "If any actions are required for the payment, the PaymentIntent will return to the
        # requires_confirmation state after those actions are completed. Your server needs to
        # then explicitly re-confirm the PaymentIntent" (PaymentIntentService.confirm).
        intent.update(status="requires_confirmation", next_action=None)
    elif method["type"] == "ideal":
        succeed(account, intent, method, create_charge(account, intent, method, "succeeded"))
    else:
        charge_card(account, intent, method, off_session=False)


def _authentication_failed(account: Account, intent: Json, method: Json) -> None:
    """The donor failed or abandoned 3-D Secure: the intent needs a new payment method."""
    error = StripeError(
        400,
        "The provided PaymentMethod has failed authentication. You can provide "
        "payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent "
        "again.",
        code="payment_intent_authentication_failure",
        payment_method=public(method),
    )
    intent.update(
        status="requires_payment_method", next_action=None, last_payment_error=error.body()["error"]
    )
    emit(account, "payment_intent.payment_failed", intent)
    notify(account, intent, "failed")


def due_debits(account: Account) -> list[Json]:
    """Processing debits whose settlement time has come, oldest first."""
    now = account.now()
    return [
        i
        for i in reversed(account.all("payment_intent"))
        if i["status"] == "processing" and (i.get("_settle_at") or now + 1) <= now
    ]
