"""Events: a snapshot of an object after each change, listed by the API and sent as webhooks."""

from __future__ import annotations

from typing import Any

from checkout.testing.stripe_standin import API_VERSION
from checkout.testing.stripe_standin.lists import paginate
from checkout.testing.stripe_standin.params import EXPAND, ListOf, Obj, Str, list_schema
from checkout.testing.stripe_standin.routing import Call, Router, current_request
from checkout.testing.stripe_standin.store import Account, new_id, public
from checkout.testing.stripe_standin.store import Obj as Json

router = Router()


def emit(
    account: Account, event_type: str, obj: Json, previous: dict[str, Any] | None = None
) -> Json:
    """Record an event about `obj` (as it is now) and queue it for the webhook endpoints."""
    data: Json = {"object": public(obj)}
    if previous is not None:
        data["previous_attributes"] = public(previous)
    request = current_request.get()
    event = account.add(
        {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": account.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": sum(1 for e in account.endpoints.values() if e.wants(event_type)),
            "request": {
                "id": request.id if request else None,
                "idempotency_key": request.idempotency_key if request else None,
            },
            "type": event_type,
        }
    )
    account.on_event(account, event)
    return event


def changed(obj: Json, **updates: Any) -> dict[str, Any]:
    """Apply `updates` to `obj` and return the previous values of the fields that changed."""
    previous = {name: obj.get(name) for name, value in updates.items() if obj.get(name) != value}
    obj.update(updates)
    return previous


@router.route("GET", "/v1/events/<ident>", Obj({"expand": EXPAND}))
def retrieve_event(call: Call) -> Json:
    """GET /v1/events/:id."""
    return call.account.get(call.path["ident"], "event")


@router.route("GET", "/v1/events", list_schema(type=Str(), types=ListOf(Str(), 20)))
def list_events(call: Call) -> Json:
    """GET /v1/events, filtered by `type` (with `*` wildcards) or `types`."""
    wanted = call.param("types") or ([call.param("type")] if call.param("type") else None)
    events = [e for e in call.account.all("event") if not wanted or _any_match(e["type"], wanted)]
    return paginate(call, events, "/v1/events")


def _any_match(event_type: str, patterns: list[str]) -> bool:
    """Match `payment_intent.*` style patterns as Stripe's type filter does."""
    return any(
        event_type == p or (p.endswith(".*") and event_type.startswith(p[:-1])) for p in patterns
    )
