"""The pages a donor visits outside the checkout: 3-D Secure and the iDEAL bank page.

`next_action.redirect_to_url.url` and `next_action.use_stripe_sdk.stripe_js` point here. The
page offers "Complete" and "Fail"; the choice settles the PaymentIntent (or the SetupIntent:
a card saved for later, or its setup failed). As a full page (a
redirect, iDEAL) it then sends the browser to the `return_url` with Stripe's query parameters
(`payment_intent`, `payment_intent_client_secret`, `redirect_status`). In the Stripe.js
stand-in's 3-D Secure dialog (`frame=1&origin=<checkout origin>`), as real Stripe.js shows
the challenge in the page, it may be framed by that origin only and tells the dialog by
`postMessage` that the donor is done.
"""

from __future__ import annotations

import html
import json
from urllib.parse import SplitResult, urlencode, urlsplit, urlunsplit

from flask import Flask, Response, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from checkout.testing.stripe_standin.confirmation import complete_action
from checkout.testing.stripe_standin.errors import StripeError
from checkout.testing.stripe_standin.setup_intents import complete_setup_action
from checkout.testing.stripe_standin.store import Account, Store
from checkout.testing.stripe_standin.store import Obj as Json

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title></head>
<body><main><h1>{title}</h1>
<p>Stripe stand-in: {what} <code>{intent}</code>.</p>
<form method="post"><input type="hidden" name="client_secret" value="{secret}">{frame_fields}
<button name="action" value="complete" id="standin-complete">Complete</button>
<button name="action" value="fail" id="standin-fail">Fail</button></form></main></body></html>
"""
_NOWHERE = "'none'"
#: After the choice inside the dialog: tell the embedding checkout (and only it) we are done.
_FINISHED = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authentication finished</title></head>
<body><main><p>Authentication finished.</p></main>
<script>window.parent.postMessage({message}, {origin});</script></body></html>
"""


def register(app: Flask, store: Store) -> None:
    """Serve the action pages on `app`."""

    def page(account_id: str, intent_id: str) -> BaseResponse:
        """Show the page (GET) or apply the donor's choice (POST)."""
        secret = request.values.get("client_secret", "")
        try:
            framer = _framing_origin()
            with store.lock:
                account, intent = _find(store, account_id, intent_id, secret)
                if request.method == "GET":
                    return _framed(_render(account, intent, framer), framer)
                _apply_choice(account, intent, framer)
        except StripeError as error:
            return Response(html.escape(error.message), status=error.status)
        if framer:
            return _framed(_finished(intent, framer), framer)
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


def _apply_choice(account: Account, intent: Json, framer: str | None) -> None:
    """Settle the intent as the donor chose; in the dialog, a stale choice (the intent was
    settled meanwhile) still closes it, and Stripe.js reads the intent as it is."""
    approved = request.form.get("action") == "complete"
    try:
        if intent["object"] == "setup_intent":
            complete_setup_action(account, intent, approved)
        else:
            complete_action(account, intent, approved)
    except StripeError:
        if not framer:
            raise


def _find(store: Store, account_id: str, intent_id: str, secret: str) -> tuple[Account, Json]:
    """The account and intent named in the URL, if the client secret matches."""
    for account in store.accounts.values():
        if account.id == account_id:
            intent = account.find(intent_id)
            if (
                intent
                and intent.get("object") in ("payment_intent", "setup_intent")
                and (intent["client_secret"] == secret)
            ):
                return account, intent
    raise StripeError(404, "No such payment_intent or setup_intent for this page.")


def _framing_origin() -> str | None:
    """The checkout origin whose dialog shows this page, or None for a full-page visit."""
    if request.values.get("frame") != "1":
        return None
    given = request.values.get("origin", "")
    parts = urlsplit(given)
    if parts.scheme not in ("http", "https") or not parts.netloc or given != _origin_of(parts):
        raise StripeError(400, "origin must be the embedding page's origin, e.g. https://x.test")
    return given


def _origin_of(parts: SplitResult) -> str:
    """`scheme://host[:port]` of a parsed URL."""
    return f"{parts.scheme}://{parts.netloc}"


def _framed(body: str, framer: str | None) -> Response:
    """An HTML answer that only `framer` may show in a frame (none, for a full page)."""
    response = Response(body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = f"frame-ancestors {framer or _NOWHERE}"
    return response


def _render(account: Account, intent: Json, framer: str | None) -> str:
    """The page for `intent`: its bank's (iDEAL) or its card issuer's (3-D Secure)."""
    method = account.get(intent["payment_method"], "payment_method")
    title = "iDEAL test bank" if method["type"] == "ideal" else "3-D Secure test page"
    what = (
        "save a card for SetupIntent"
        if intent["object"] == "setup_intent"
        else f"{intent['amount']} {html.escape(intent['currency'])} for PaymentIntent"
    )
    frame_fields = (
        '<input type="hidden" name="frame" value="1">'
        f'<input type="hidden" name="origin" value="{html.escape(framer)}">'
        if framer
        else ""
    )
    return _PAGE.format(
        title=title,
        what=what,
        intent=html.escape(intent["id"]),
        secret=html.escape(intent["client_secret"]),
        frame_fields=frame_fields,
    )


def _finished(intent: Json, framer: str) -> str:
    """The page that tells the Stripe.js dialog in `framer` that the donor is done."""
    message = {"standin": "authentication_finished", str(intent["object"]): intent["id"]}
    return _FINISHED.format(message=_script_json(message), origin=_script_json(framer))


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element (no `</script>` can close it early)."""
    return json.dumps(value).replace("<", "\\u003c")


def return_url(intent: Json, target: str) -> str:
    """`target` with Stripe's redirect query parameters added."""
    status = {"succeeded": "succeeded", "processing": "processing"}.get(intent["status"], "failed")
    parts = urlsplit(target)
    kind = str(intent["object"])  # payment_intent or setup_intent, as Stripe names them
    query = urlencode(
        {
            kind: intent["id"],
            f"{kind}_client_secret": intent["client_secret"],
            "redirect_status": status,
        }
    )
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, joined, parts.fragment))
