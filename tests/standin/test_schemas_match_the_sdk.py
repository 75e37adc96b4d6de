"""Every parameter the stand-in accepts exists in the stripe SDK's typed parameters.

The stand-in refuses unknown parameters; this test makes sure it never accepts one that the
real API would refuse (a name it invented or misspelled), for every route it serves.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest
import stripe.params

from checkout.testing.stripe_standin.params import Emptyable, ListOf, Obj
from checkout.testing.stripe_standin.routing import Route
from checkout.testing.stripe_standin.server import all_routes

#: Routes whose SDK parameter class is not named after the method and resource.
_SPECIAL = {
    ("DELETE", "/v1/subscriptions/<ident>"): "SubscriptionCancelParams",
    ("DELETE", "/v1/customers/<ident>"): "CustomerDeleteParams",
    ("GET", "/v1/customers/<ident>/payment_methods"): "CustomerListPaymentMethodsParams",
    ("GET", "/v1/balance"): "BalanceRetrieveParams",
    ("POST", "/v1/disputes/<ident>/close"): "DisputeCloseParams",
    ("POST", "/v1/payment_intents/<ident>/verify_microdeposits"): (
        "PaymentIntentVerifyMicrodepositsParams"
    ),
    ("POST", "/v1/test_helpers/confirmation_tokens"): "test_helpers.ConfirmationTokenCreateParams",
}
#: What only Stripe.js sends, so the SDK's parameters for the route lack it: the card numbers
#: typed into the Payment Element go into the ConfirmationToken as they go into a
#: PaymentMethod, so they are checked against PaymentMethodCreateParams' card instead.
_STRIPE_JS_ONLY = {
    ("POST", "/v1/confirmation_tokens"): {
        "payment_method_data.card": stripe.params.PaymentMethodCreateParamsCard
    },
}


def _sdk_class(route: Route) -> Any:
    """The SDK's TypedDict for a route, e.g. PaymentIntentConfirmParams."""
    special = _SPECIAL.get((route.method, route.rule))
    if special:
        found: Any = stripe.params
        for part in special.split("."):
            found = getattr(found, part)
        return found
    parts = [p for p in route.rule.split("/")[2:] if p and not p.startswith("<")]
    resource = "".join(w.capitalize() for w in parts[0].rstrip("s").split("_"))
    if parts[0] == "invoice_payments":
        resource = "InvoicePayment"
    verb = (
        parts[1].capitalize()
        if len(parts) > 1
        else {
            ("POST", False): "Create",
            ("POST", True): "Update",
            ("GET", False): "List",
            ("GET", True): "Retrieve",
        }[(route.method, route.rule.endswith(">"))]
    )
    return getattr(stripe.params, f"{resource}{verb}Params")


def _check(schema: Obj, sdk_class: type, path: str, stripe_js: dict[str, type]) -> None:
    """Walk the schema and the TypedDict together; fail on any name the SDK lacks."""
    annotations = sdk_class.__annotations__
    for name, node in schema.fields.items():
        inner = node.inner if isinstance(node, Emptyable) else node
        inner = inner.item if isinstance(inner, ListOf) else inner
        if f"{path}{name}" in stripe_js:
            assert isinstance(inner, Obj)
            _check(inner, stripe_js[f"{path}{name}"], f"{path}{name}.", stripe_js)
            continue
        assert name in annotations, f"{path}{name} is not a parameter in the stripe SDK"
        if isinstance(inner, Obj):
            _check(inner, _nested(annotations[name], sdk_class), f"{path}{name}.", stripe_js)


def _nested(annotation: Any, owner: type) -> type:
    """The TypedDict a field's annotation names (it is a forward reference in the SDK)."""
    module = sys.modules[owner.__module__]
    for name in re.findall(r"[A-Z][A-Za-z0-9]*Params[A-Za-z0-9]*", repr(annotation)):
        found = getattr(module, name, None) or getattr(stripe.params, name, None)
        if isinstance(found, type):
            return found
    raise AssertionError(f"no TypedDict named in {annotation!r}")


@pytest.mark.parametrize("route", all_routes(), ids=lambda r: f"{r.method} {r.rule}")
def test_route_parameters_exist_in_the_sdk(route: Route) -> None:
    _check(route.schema, _sdk_class(route), "", _STRIPE_JS_ONLY.get((route.method, route.rule), {}))
