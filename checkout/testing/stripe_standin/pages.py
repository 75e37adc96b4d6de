"""The pages a donor visits outside the checkout: 3-D Secure and the iDEAL bank page.

`next_action.redirect_to_url.url` points here. The page offers "Complete" and "Fail"; the
choice settles the PaymentIntent and sends the browser to the `return_url` with Stripe's
query parameters (`payment_intent`, `payment_intent_client_secret`, `redirect_status`).
"""

from __future__ import annotations

import html
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Flask, Response, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from checkout.testing.stripe_standin.confirmation import complete_action
from checkout.testing.stripe_standin.errors import StripeError
from checkout.testing.stripe_standin.store import Account, Store
from checkout.testing.stripe_standin.store import Obj as Json

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1>
<p>Stripe stand-in: {amount} {currency} for PaymentIntent <code>{intent}</code>.</p>
<form method="post"><input type="hidden" name="client_secret" value="{secret}">
<button name="action" value="complete" id="standin-complete">Complete</button>
<button name="action" value="fail" id="standin-fail">Fail</button></form></main></body></html>
"""


def register(app: Flask, store: Store) -> None:
    """Serve the action pages on `app`."""

    def page(account_id: str, intent_id: str) -> BaseResponse:
        """Show the page (GET) or apply the donor's choice (POST)."""
        secret = request.values.get("client_secret", "")
        with store.lock:
            account, intent = _find(store, account_id, intent_id, secret)
            if request.method == "GET":
                return Response(_render(account, intent), mimetype="text/html")
            try:
                complete_action(account, intent, request.form.get("action") == "complete")
            except StripeError as error:
                return Response(html.escape(error.message), status=error.status)
            target = intent.get("_return_url")
            if not target:
                return Response("Done: return to the page that opened this one.")
            return redirect(return_url(intent, target), code=303)

    app.add_url_rule(
        "/_standin/authenticate/<account_id>/<intent_id>",
        "action_page",
        page,
        methods=["GET", "POST"],
    )


def _find(store: Store, account_id: str, intent_id: str, secret: str) -> tuple[Account, Json]:
    """The account and intent named in the URL, if the client secret matches."""
    for account in store.accounts.values():
        if account.id == account_id:
            intent = account.find(intent_id)
            if (
                intent
                and intent.get("object") == "payment_intent"
                and (intent["client_secret"] == secret)
            ):
                return account, intent
    raise StripeError(404, "No such payment_intent for this page.")


def _render(account: Account, intent: Json) -> str:
    """The page for `intent`: its bank's (iDEAL) or its card issuer's (3-D Secure)."""
    method = account.get(intent["payment_method"], "payment_method")
    title = "iDEAL test bank" if method["type"] == "ideal" else "3-D Secure test page"
    return _PAGE.format(
        title=title,
        amount=intent["amount"],
        currency=html.escape(intent["currency"]),
        intent=html.escape(intent["id"]),
        secret=html.escape(intent["client_secret"]),
    )


def return_url(intent: Json, target: str) -> str:
    """`target` with Stripe's redirect query parameters added."""
    status = {"succeeded": "succeeded", "processing": "processing"}.get(intent["status"], "failed")
    parts = urlsplit(target)
    query = urlencode(
        {
            "payment_intent": intent["id"],
            "payment_intent_client_secret": intent["client_secret"],
            "redirect_status": status,
        }
    )
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, joined, parts.fragment))
