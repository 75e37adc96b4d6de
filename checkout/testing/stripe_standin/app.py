"""The stand-in's WSGI app: routing, authentication, parameters, idempotency, errors, CORS."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

from flask import Flask, Response, request

from checkout.testing.stripe_standin import API_VERSION
from checkout.testing.stripe_standin.auth import Key, key_from_header, parse_key
from checkout.testing.stripe_standin.errors import StripeError
from checkout.testing.stripe_standin.expand import expand
from checkout.testing.stripe_standin.forms import decode
from checkout.testing.stripe_standin.params import Str
from checkout.testing.stripe_standin.routing import Call, RequestInfo, Route, current_request
from checkout.testing.stripe_standin.store import Account, Replay, Store, new_id, public

#: Stripe keeps an idempotency key's first response for at least 24 hours.
_REPLAY_SECONDS = 24 * 60 * 60


def create_app(store: Store, routes: Iterable[Route]) -> Flask:
    """A Flask app serving `routes` over `store`, plus Stripe.js at /v3/."""
    app = Flask(__name__, static_folder=None)
    app.config["STANDIN_STORE"] = store
    for route in routes:
        app.add_url_rule(
            route.rule,
            endpoint=f"{route.method} {route.rule}",
            view_func=_view(store, route),
            methods=[route.method],
        )
    app.add_url_rule("/v3/", "stripe_js", _stripe_js)
    app.add_url_rule("/v3", "stripe_js_bare", _stripe_js)
    app.register_error_handler(404, _unknown_url)
    app.register_error_handler(405, _unknown_url)
    app.after_request(_cors)
    return app


def _view(store: Store, route: Route) -> Any:
    """The Flask view that runs `route` the way Stripe handles a request."""

    def view(**path: str) -> Response:
        request_id = new_id("req", 14)
        try:
            raw = _raw_params()
            key = parse_key(
                key_from_header(request.headers.get("Authorization")) or raw.pop("key", None)
            )
            if key.kind == "publishable" and not route.publishable:
                raise StripeError(
                    401,
                    "This API call cannot be made with a publishable API "
                    "key. Please use a secret API key.",
                    code="secret_key_required",
                )
            account = store.account(key.suffix)
            with store.lock:
                return _handle(store, account, route, key, raw, path, request_id)
        except StripeError as error:
            return _json(error.status, error.body(), request_id)

    return view


def _handle(
    store: Store,
    account: Account,
    route: Route,
    key: Key,
    raw: dict[str, Any],
    path: dict[str, str],
    request_id: str,
) -> Response:
    """Answer the request under the store's lock, replaying an idempotency key's answer."""
    idempotency_key = request.headers.get("Idempotency-Key") if route.method == "POST" else None
    fingerprint = hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()
    if idempotency_key:
        replay = _replay(account, idempotency_key, route, fingerprint)
        if replay is not None:
            return replay
    # Parameters are checked before the key is recorded: like Stripe, a request that fails
    # validation never started executing, so retrying it with the same key is allowed.
    schema = route.schema.extend(client_secret=Str()) if key.kind == "publishable" else route.schema
    params = schema.coerce_fields(raw)
    status, body = _execute(store, account, route, key, params, path, request_id, idempotency_key)
    payload = json.dumps(body, indent=2).encode()
    if idempotency_key:
        account.replays[idempotency_key] = Replay(
            route.method, request.path, fingerprint, status, payload, request_id, account.now()
        )
    return _json(status, payload, request_id, idempotency_key)


def _execute(
    store: Store,
    account: Account,
    route: Route,
    key: Key,
    params: dict[str, Any],
    path: dict[str, str],
    request_id: str,
    idempotency_key: str | None,
) -> tuple[int, Any]:
    """Run the handler and expand its answer; a StripeError becomes the error answer."""
    call = Call(store, account, params, path, key.kind == "publishable", request.host_url)
    token = current_request.set(RequestInfo(request_id, idempotency_key))
    try:
        result = route.handler(call)
        return 200, public(expand(account, result, params.get("expand", [])))
    except StripeError as error:
        return error.status, error.body()
    finally:
        current_request.reset(token)


def _replay(account: Account, key: str, route: Route, fingerprint: str) -> Response | None:
    """The saved answer for `key`, an idempotency error for other parameters, or None."""
    now = account.now()
    for stale in [k for k, r in account.replays.items() if now - r.created > _REPLAY_SECONDS]:
        del account.replays[stale]
    saved = account.replays.get(key)
    if saved is None:
        return None
    if (saved.method, saved.path, saved.fingerprint) != (route.method, request.path, fingerprint):
        raise StripeError(
            400,
            "Keys for idempotent requests can only be used with the same parameters they were "
            f"first used with. Try using a key other than '{key}' if you meant to execute a "
            "different request.",
            type="idempotency_error",
        )
    response = _json(saved.status, saved.body, saved.request_id, key)
    response.headers["Idempotent-Replayed"] = "true"
    response.headers["Original-Request"] = saved.request_id
    return response


def _raw_params() -> dict[str, Any]:
    """The decoded form body (POST) or query string (GET, DELETE)."""
    source = request.form if request.method == "POST" else request.args
    return decode(source.items(multi=True))


def _json(status: int, body: Any, request_id: str, idempotency_key: str | None = None) -> Response:
    """A JSON response with Stripe's headers."""
    payload = body if isinstance(body, bytes) else json.dumps(body, indent=2).encode()
    response = Response(payload, status=status, mimetype="application/json")
    response.headers["Request-Id"] = request_id
    response.headers["Stripe-Version"] = API_VERSION
    if idempotency_key:
        response.headers["Idempotency-Key"] = idempotency_key
    return response


def _unknown_url(_error: Exception) -> Response:
    """Stripe's answer for a URL or method it does not serve."""
    error = StripeError(
        404,
        f"Unrecognized request URL ({request.method}: {request.path}). "
        "The local Stripe stand-in serves only the subset in its README.",
    )
    return _json(404, error.body(), new_id("req", 14))


def _cors(response: Response) -> Response:
    """Let pages on other origins (the checkout) call the API, as Stripe.js does."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Headers"] = (
        "Authorization, Content-Type, Idempotency-Key, Stripe-Version"
    )
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS"
    return response


def _stripe_js() -> Response:
    """The Stripe.js stand-in, so `<script src="{base}/v3/">` works as with js.stripe.com."""
    script = resources.files("checkout.testing.stripe_standin").joinpath("static/stripe.js")
    response = Response(script.read_bytes(), mimetype="application/javascript")
    response.headers["Cache-Control"] = "no-store"
    return response
