"""Routes and the per-request context handlers receive; each resource module has a Router."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from checkout.testing.stripe_standin.params import Obj as Schema
from checkout.testing.stripe_standin.store import Account, Obj, Store


@dataclass(frozen=True)
class RequestInfo:
    """The API request that caused an event (`event.request`); None for clock and dashboard."""

    id: str
    idempotency_key: str | None


#: The request being handled on this thread, for events emitted while handling it.
current_request: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar(
    "current_request", default=None
)


@dataclass
class Call:
    """What a handler gets: the account, validated parameters and path values."""

    store: Store
    account: Account
    params: dict[str, Any]
    path: dict[str, str]
    publishable: bool
    base_url: str

    def param(self, name: str, default: Any = None) -> Any:
        """A validated parameter, or `default`."""
        return self.params.get(name, default)


Handler = Callable[[Call], Obj]


@dataclass(frozen=True)
class Route:
    """One endpoint: method, URL rule, accepted parameters and its handler."""

    method: str
    rule: str
    schema: Schema
    handler: Handler
    publishable: bool


class Router:
    """Collects the routes of one resource module."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(
        self, method: str, rule: str, schema: Schema, *, publishable: bool = False
    ) -> Callable[[Handler], Handler]:
        """Register `handler` for `method rule`; `publishable` allows Stripe.js's key."""

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, rule, schema, handler, publishable))
            return handler

        return register
