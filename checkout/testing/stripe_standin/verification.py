"""Canadian pre-authorised debits (ACSS): the mandate's terms and the bank account's verification.

Sources: the SDK's `PaymentIntentCreateParamsPaymentMethodOptionsAcssDebit` (`mandate_options`:
`payment_schedule` combined | interval | sporadic, `transaction_type` business | personal,
`interval_description` "only required if 'payment_schedule' parameter is 'interval' or
'combined'"; `verification_method` automatic | instant | microdeposits, default automatic),
`PaymentIntent.NextAction.VerifyWithMicrodeposits` (`arrival_date`, `hosted_verification_url`,
`microdeposit_type`), `PaymentIntentVerifyMicrodepositsParams` (`amounts`, `descriptor_code`)
and its error codes (`payment_method_microdeposit_verification_*`);
https://docs.stripe.com/payments/acss-debit ("Before debiting a customer's bank account,
businesses must first collect a mandate from the customer defining a specific payment schedule
or terms"; instant verification, "and delayed verification using micro-deposits in rare
cases") and https://docs.stripe.com/payments/acss-debit/accept-a-payment.

Here: confirming an `acss_debit` intent with a new mandate needs `payment_schedule` and
`transaction_type` (refused otherwise: where Stripe refuses, at creation or confirmation, and
with which words, is not confirmed). The account is then verified: instantly (every test
account, for `automatic` and `instant`), or by micro-deposits (`verification_method=
microdeposits`, or the stand-in's own test account 000 / 11000 / 000999999999 with
`automatic`): the intent waits in `requires_action` with `verify_with_microdeposits` until the
donor enters the two amounts (32 and 45 cents) or the descriptor code (SM11AA) that Stripe's
test mode uses, on the hosted page here or through `verify_microdeposits`. Three wrong tries
fail the intent. Verified once, a PaymentMethod is not verified again.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, request

from checkout.testing.stripe_standin.errors import StripeError, invalid
from checkout.testing.stripe_standin.events import emit
from checkout.testing.stripe_standin.store import Account, Store
from checkout.testing.stripe_standin.store import Obj as Json

_DAY = 86_400
#: What Stripe's test mode accepts as the micro-deposits' values.
TEST_AMOUNTS = [32, 45]
TEST_DESCRIPTOR_CODE = "SM11AA"
MAX_TRIES = 3
_OPTIONS = "payment_method_options[acss_debit][mandate_options]"


def mandate_terms(intent: Json) -> Json:
    """The mandate's `acss_debit` terms from the intent's options; refused when incomplete."""
    options = intent["payment_method_options"].get("acss_debit", {}).get("mandate_options", {})
    for name in ("payment_schedule", "transaction_type"):
        if not options.get(name):
            raise invalid(
                f"Missing required param: {_OPTIONS}[{name}]. Canadian pre-authorized debit "
                "mandates state their payment schedule and transaction type.",
                param=f"{_OPTIONS}[{name}]",
                code="parameter_missing",
            )
    if options["payment_schedule"] in ("interval", "combined") and not options.get(
        "interval_description"
    ):
        raise invalid(
            f"Missing required param: {_OPTIONS}[interval_description].",
            param=f"{_OPTIONS}[interval_description]",
            code="parameter_missing",
        )
    return {
        "default_for": [],
        "interval_description": options.get("interval_description"),
        "payment_schedule": options["payment_schedule"],
        "transaction_type": options["transaction_type"],
    }


def needs_microdeposits(intent: Json, method: Json) -> bool:
    """Whether the account must be verified by micro-deposits before it is debited."""
    if method.get("_verified"):
        return False
    chosen = intent["payment_method_options"].get("acss_debit", {}).get("verification_method")
    return chosen == "microdeposits" or bool(method.get("_microdeposits"))


def wait_for_microdeposits(account: Account, intent: Json) -> None:
    """Park the intent until the donor confirms the deposits (`requires_action`)."""
    from checkout.testing.stripe_standin.confirmation import notify

    query = urlencode({"client_secret": intent["client_secret"]})
    intent.update(
        status="requires_action",
        _tries=0,
        next_action={
            "type": "verify_with_microdeposits",
            "verify_with_microdeposits": {
                "arrival_date": (account.now() // _DAY + 1) * _DAY + _DAY // 2,
                "hosted_verification_url": f"{account.base_url}_standin/microdeposits/"
                f"{account.id}/{intent['id']}?{query}",
                "microdeposit_type": "amounts",
            },
        },
    )
    emit(account, "payment_intent.requires_action", intent)
    notify(account, intent, "requires_action")


def verify(account: Account, intent: Json, amounts: list[int] | None, code: str | None) -> None:
    """Check what the donor entered; the debit is submitted when right, refused when wrong."""
    from checkout.testing.stripe_standin.confirmation import fail_intent, submit_debit

    action = intent.get("next_action") or {}
    if intent["status"] != "requires_action" or action.get("type") != "verify_with_microdeposits":
        raise invalid(
            "This PaymentIntent is not waiting for micro-deposit verification.",
            code="payment_intent_unexpected_state",
        )
    if (amounts is None) == (code is None):
        raise invalid("Pass either amounts or descriptor_code.", param="amounts")
    if amounts == TEST_AMOUNTS or code == TEST_DESCRIPTOR_CODE:
        method = account.get(intent["payment_method"], "payment_method")
        method["_verified"] = True
        intent["next_action"] = None
        submit_debit(account, intent, method)
        return
    intent["_tries"] += 1
    if intent["_tries"] >= MAX_TRIES:
        error = StripeError(
            400,
            "You have exceeded the number of allowed verification attempts.",
            code="payment_method_microdeposit_verification_attempts_exceeded",
        )
        fail_intent(account, intent, error)
        raise error
    kind = "amounts" if amounts is not None else "descriptor_code"
    raise invalid(
        "The amounts provided do not match the amounts that were sent to the bank account."
        if amounts is not None
        else "The descriptor code provided does not match the one sent to the bank account.",
        param=kind,
        code=f"payment_method_microdeposit_verification_{kind}_mismatch",
    )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verify your bank account</title></head>
<body><main><h1>Verify your bank account</h1>
<p>Stripe stand-in: enter the two small deposits made to your account (in cents).</p>
{message}
<form method="post"><input type="hidden" name="client_secret" value="{secret}">
<label for="first">First deposit</label> <input id="first" name="first" inputmode="numeric">
<label for="second">Second deposit</label> <input id="second" name="second" inputmode="numeric">
<button id="standin-verify">Verify</button></form></main></body></html>
"""


def register(app: Flask, store: Store) -> None:
    """Serve the hosted verification page that `hosted_verification_url` names."""

    def page(account_id: str, intent_id: str) -> Response:
        secret = request.values.get("client_secret", "")
        message = ""
        with store.lock:
            account = next((a for a in store.accounts.values() if a.id == account_id), None)
            intent = account.find(intent_id) if account else None
            if account is None or intent is None or intent.get("client_secret") != secret:
                return Response("No such PaymentIntent.", status=404)
            if request.method == "POST":
                message = _try(account, intent, request.form)
        body = _PAGE.format(secret=html.escape(secret), message=message)
        return Response(body, mimetype="text/html")

    app.add_url_rule(
        "/_standin/microdeposits/<account_id>/<intent_id>",
        "microdeposits_page",
        page,
        methods=["GET", "POST"],
    )


def _try(account: Account, intent: Json, form: Any) -> str:
    """Verify what was typed on the page; the message to show."""
    try:
        amounts = [int(form.get("first", "0")), int(form.get("second", "0"))]
        verify(account, intent, amounts, None)
    except (ValueError, StripeError) as error:
        return f'<p role="alert">{html.escape(str(error))}</p>'
    return '<p role="status">Thank you: your account is verified.</p>'
