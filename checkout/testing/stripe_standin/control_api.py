"""The control API under /_standin/: what a test or the demo does that Stripe's dashboard,
its test clocks or the banks would do. JSON in, JSON out; the account is named by its
secret key. The typed client is `control.StandinControl`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from flask import Flask, Response, request

from checkout.testing.stripe_standin import clock
from checkout.testing.stripe_standin.auth import parse_key
from checkout.testing.stripe_standin.balance import book_captures
from checkout.testing.stripe_standin.charges import revoke_mandate
from checkout.testing.stripe_standin.confirmation import complete_action, settle
from checkout.testing.stripe_standin.disputes import appeal, close_dispute, open_dispute
from checkout.testing.stripe_standin.errors import StripeError, invalid
from checkout.testing.stripe_standin.payouts import fail, pay_out
from checkout.testing.stripe_standin.refunds import charge_of, refund, settle_due
from checkout.testing.stripe_standin.store import Account, Endpoint, Store, new_id

Action = Callable[[Account, dict[str, Any]], Any]
_ACTIONS: dict[str, Action] = {}


def action(name: str) -> Callable[[Action], Action]:
    """Register a control action served at POST /_standin/<name>."""

    def register(function: Action) -> Action:
        _ACTIONS[name] = function
        return function

    return register


def register(app: Flask, store: Store) -> None:
    """Serve the control API on `app`."""

    def run(name: str) -> Response:
        """Run one action for the account named by `secret_key`."""
        try:
            body = request.get_json(silent=True) or dict(request.args)
            function = _ACTIONS.get(name)
            if function is None:
                raise StripeError(404, f"No control action {name!r}.")
            account = store.account(parse_key(str(body.get("secret_key", ""))).suffix)
            with store.lock:
                return _json(200, function(account, body))
        except StripeError as error:
            return _json(error.status, error.body())

    def reset() -> Response:
        """Forget one account (`secret_key`) or every account."""
        body = request.get_json(silent=True) or {}
        key = body.get("secret_key")
        store.reset(parse_key(key).suffix if key else None)
        return _json(200, {"reset": True})

    app.add_url_rule("/_standin/health", "standin_health", lambda: _json(200, {"status": "ok"}))
    app.add_url_rule("/_standin/reset", "standin_reset", reset, methods=["POST"])
    app.add_url_rule("/_standin/<name>", "standin_action", run, methods=["GET", "POST"])


def _json(status: int, body: Any) -> Response:
    """A JSON response."""
    return Response(json.dumps(body, indent=2), status=status, mimetype="application/json")


@action("account")
def _account(account: Account, _body: dict[str, Any]) -> Any:
    """The account's id and current time."""
    return {"id": account.id, "now": account.now()}


@action("configure_account")
def _configure_account(account: Account, body: dict[str, Any]) -> Any:
    """Set the account's settlement currency (`default_currency`, or null: settle every
    currency as charged), its asynchronous capture delay (`capture_seconds`) and whether it
    pays out its available balance daily by itself (`automatic_payouts`)."""
    if "default_currency" in body:
        value = body["default_currency"]
        account.default_currency = str(value).lower() if value else None
    if "capture_seconds" in body:
        account.capture_seconds = int(body["capture_seconds"])
    if "automatic_payouts" in body:
        account.automatic_payouts = bool(body["automatic_payouts"])
        account.last_payout_day = account.now() // 86_400
    return {
        "id": account.id,
        "default_currency": account.default_currency,
        "capture_seconds": account.capture_seconds,
        "automatic_payouts": account.automatic_payouts,
    }


@action("complete_captures")
def _complete_captures(account: Account, _body: dict[str, Any]) -> Any:
    """Finish every asynchronous capture now: balance transactions and `charge.updated`."""
    return {"booked": book_captures(account, all_now=True)}


@action("webhooks")
def _register_webhook(account: Account, body: dict[str, Any]) -> Any:
    """Register an endpoint: `url`, `secret` (whsec_…), `events` (default every type)."""
    url, secret = body.get("url"), body.get("secret")
    if not url or not secret:
        raise invalid("url and secret are required.", param="url")
    endpoint = Endpoint(new_id("we"), str(url), str(secret), list(body.get("events") or ["*"]))
    account.endpoints[endpoint.id] = endpoint
    return {"id": endpoint.id}


@action("delivery")
def _delivery(account: Account, body: dict[str, Any]) -> Any:
    """Change how webhooks are delivered: backoff, max_attempts, duplicate, out_of_order."""
    settings = account.delivery
    for name in ("backoff", "max_attempts", "duplicate", "out_of_order", "hold_seconds"):
        if name in body:
            setattr(settings, name, body[name])
    return asdict(settings)


@action("deliveries")
def _deliveries(account: Account, body: dict[str, Any]) -> Any:
    """Every webhook attempt so far, optionally for one event type."""
    wanted = body.get("event_type")
    return [asdict(a) for a in account.attempts if wanted in (None, a.event_type)]


@action("settle_debits")
def _settle_debits(account: Account, body: dict[str, Any]) -> Any:
    """Settle processing debits now: as their test account says, or `fail` true/false."""
    ident = body.get("payment_intent")
    intents = [
        i
        for i in reversed(account.all("payment_intent"))
        if i["status"] == "processing" and ident in (None, i["id"])
    ]
    for intent in intents:
        settle(account, intent, body.get("fail"))
    return {"settled": [i["id"] for i in intents]}


@action("settle_refunds")
def _settle_refunds(account: Account, body: dict[str, Any]) -> Any:
    """End waiting refunds now: as their charge says (pending ones succeed, a failing test
    card's fail), or `fail` true/false."""
    fail = body.get("fail")
    return {"settled": settle_due(account, fail=None if fail is None else bool(fail), all_now=True)}


@action("advance_clock")
def _advance(account: Account, body: dict[str, Any]) -> Any:
    """Move time forward by `seconds`, or to the next renewal with `to_next_renewal`."""
    if body.get("to_next_renewal"):
        return {"now": clock.advance_to_next_renewal(account)}
    return {"now": clock.advance(account, int(body.get("seconds", 0)))}


@action("payment_attempts")
def _payment_attempts(account: Account, body: dict[str, Any]) -> Any:
    """How many confirmations tried to move money (one charge each), optionally for one
    `payment_intent`: card charges that succeeded or failed, and debits submitted."""
    wanted = body.get("payment_intent")
    begun = [c["_attempt"] for c in account.all("charge") if wanted in (None, c["payment_intent"])]
    return {
        "total": len(begun),
        "succeeded": begun.count("succeeded"),
        "failed": begun.count("failed"),
        "submitted": begun.count("pending"),
    }


@action("authenticate")
def _authenticate(account: Account, body: dict[str, Any]) -> Any:
    """Finish 3-D Secure (or the bank page) for `payment_intent`: `succeed` true or false."""
    intent = account.get(str(body.get("payment_intent")), "payment_intent", "payment_intent")
    complete_action(account, intent, bool(body.get("succeed", True)))
    return {"status": intent["status"]}


@action("open_dispute")
def _open_dispute(account: Account, body: dict[str, Any]) -> Any:
    """Open a dispute on a charge or PaymentIntent (`target`), with a `reason`; `kind` is
    chargeback (default), inquiry or prevented."""
    charge = charge_of(account, str(body.get("target")), "target")
    reason, kind = str(body.get("reason", "fraudulent")), str(body.get("kind", "chargeback"))
    return {"id": open_dispute(account, charge, reason, kind)["id"]}


@action("appeal_dispute")
def _appeal_dispute(account: Account, body: dict[str, Any]) -> Any:
    """The cardholder's bank rejects the response to a dispute under review (an appeal)."""
    dispute = account.get(str(body.get("dispute")), "dispute", "dispute")
    return {"status": appeal(account, dispute)["status"]}


@action("close_dispute")
def _close_dispute(account: Account, body: dict[str, Any]) -> Any:
    """Decide a dispute: `won` true or false (an inquiry lost becomes a chargeback)."""
    dispute = account.get(str(body.get("dispute")), "dispute", "dispute")
    return {"status": close_dispute(account, dispute, bool(body.get("won")))["status"]}


@action("dashboard_refund")
def _dashboard_refund(account: Account, body: dict[str, Any]) -> Any:
    """Refund from the "dashboard": no API request, so the event's request id is null."""
    charge = charge_of(account, str(body.get("target")), "target")
    amount = body.get("amount")
    made = refund(
        account, charge, int(amount) if amount is not None else None, body.get("reason"), {}
    )
    return {"id": made["id"]}


@action("payout")
def _payout(account: Account, body: dict[str, Any]) -> Any:
    """Pay out the available balance (of `currency`, when several) into a pending payout."""
    return {"id": pay_out(account, body.get("currency"))["id"]}


@action("fail_payout")
def _fail_payout(account: Account, body: dict[str, Any]) -> Any:
    """The bank returned a payout (`payout.failed`), its amount back in the balance."""
    payout = account.get(str(body.get("payout")), "payout", "payout")
    return {"status": fail(account, payout, str(body.get("code") or "account_closed"))["status"]}


@action("revoke_mandate")
def _revoke_mandate(account: Account, body: dict[str, Any]) -> Any:
    """The donor revoked a debit mandate at their bank (`mandate.updated`)."""
    revoke_mandate(account, account.get(str(body.get("mandate")), "mandate", "mandate"))
    return {"status": "inactive"}
