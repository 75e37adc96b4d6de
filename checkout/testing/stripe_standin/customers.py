"""Customers: create, retrieve, update, delete, list (by email)."""

from __future__ import annotations

from typing import Any

from checkout.testing.stripe_standin.events import changed, emit
from checkout.testing.stripe_standin.lists import paginate
from checkout.testing.stripe_standin.params import (
    ADDRESS,
    EXPAND,
    Emptyable,
    ListOf,
    Metadata,
    Node,
    Obj,
    Str,
    list_schema,
)
from checkout.testing.stripe_standin.routing import Call, Router
from checkout.testing.stripe_standin.store import Account, new_id
from checkout.testing.stripe_standin.store import Obj as Json

router = Router()

_FIELDS: dict[str, Node] = {
    "address": Emptyable(ADDRESS),
    "description": Emptyable(Str()),
    "email": Emptyable(Str(512)),
    "expand": EXPAND,
    "invoice_settings": Obj({"default_payment_method": Emptyable(Str())}),
    "metadata": Metadata(),
    "name": Emptyable(Str(256)),
    "phone": Emptyable(Str(20)),
    "preferred_locales": ListOf(Str()),
}
_CREATE = Obj({**_FIELDS, "payment_method": Str()})
_UPDATE = Obj(_FIELDS)


def merge_metadata(current: dict[str, str], update: dict[str, str]) -> dict[str, str]:
    """Stripe's metadata update: keys are set, and a key given "" is deleted."""
    merged = {**current, **update}
    return {key: value for key, value in merged.items() if value != ""}


@router.route("POST", "/v1/customers", _CREATE)
def create_customer(call: Call) -> Json:
    """POST /v1/customers."""
    account, params = call.account, call.params
    customer = account.add(
        {
            "id": new_id("cus", 14),
            "object": "customer",
            "address": params.get("address"),
            "balance": 0,
            "created": account.now(),
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": params.get("description"),
            "email": params.get("email"),
            "invoice_prefix": new_id("X", 6)[2:].upper(),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": None,
                "footer": None,
                "rendering_options": None,
            },
            "livemode": False,
            "metadata": merge_metadata({}, params.get("metadata", {})),
            "name": params.get("name"),
            "next_invoice_sequence": 1,
            "phone": params.get("phone"),
            "preferred_locales": params.get("preferred_locales", []),
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }
    )
    _apply_payment_settings(account, customer, params)
    emit(account, "customer.created", customer)
    return customer


def _apply_payment_settings(account: Account, customer: Json, params: dict[str, Any]) -> None:
    """Attach `payment_method` and set the invoice default, as Stripe does on create/update."""
    from checkout.testing.stripe_standin.payment_methods import attach, resolve

    if params.get("payment_method"):
        attach(account, resolve(account, params["payment_method"]), customer)
    default = params.get("invoice_settings", {}).get("default_payment_method", "unset")
    if default != "unset":
        if default is not None:
            method = account.get(
                default, "payment_method", "invoice_settings[default_payment_method]"
            )
            attach(account, method, customer)
        customer["invoice_settings"]["default_payment_method"] = default


@router.route("GET", "/v1/customers/<ident>", Obj({"expand": EXPAND}))
def retrieve_customer(call: Call) -> Json:
    """GET /v1/customers/:id (a deleted customer answers `deleted: true`)."""
    return call.account.get(call.path["ident"], "customer")


@router.route("POST", "/v1/customers/<ident>", _UPDATE)
def update_customer(call: Call) -> Json:
    """POST /v1/customers/:id."""
    customer = _live(call.account, call.path["ident"])
    params = dict(call.params)
    params.pop("expand", None)
    updates = {k: v for k, v in params.items() if k not in ("metadata", "invoice_settings")}
    if "metadata" in params:
        updates["metadata"] = merge_metadata(customer["metadata"], params["metadata"])
    previous = changed(customer, **updates)
    _apply_payment_settings(call.account, customer, params)
    emit(call.account, "customer.updated", customer, previous)
    return customer


@router.route("DELETE", "/v1/customers/<ident>", Obj({}))
def delete_customer(call: Call) -> Json:
    """DELETE /v1/customers/:id, as Stripe documents it: permanent, and it cancels at once
    every subscription of the customer that has not ended (`customer.subscription.deleted`
    each, then `customer.deleted`). Retrieving it later answers `deleted: true`; deleting it
    again is a 404 (`resource_missing`)."""
    from checkout.testing.stripe_standin.subscriptions import end

    account = call.account
    customer = _live(account, call.path["ident"])
    for subscription in account.all("subscription"):
        ended = subscription["status"] in ("canceled", "incomplete_expired")
        if subscription.get("customer") == customer["id"] and not ended:
            end(account, subscription, "cancellation_requested", "canceled")
    emit(account, "customer.deleted", customer)
    tombstone = {"id": customer["id"], "object": "customer", "deleted": True}
    account.objects[customer["id"]] = tombstone
    return tombstone


@router.route("GET", "/v1/customers", list_schema(email=Str(512)))
def list_customers(call: Call) -> Json:
    """GET /v1/customers, optionally by exact `email` (Stripe's filter is case-sensitive)."""
    email = call.param("email")
    rows = [
        c
        for c in call.account.all("customer")
        if not c.get("deleted") and (email is None or c.get("email") == email)
    ]
    return paginate(call, rows, "/v1/customers")


def _live(account: Account, ident: str) -> Json:
    """A customer that has not been deleted, or Stripe's 404."""
    customer = account.get(ident, "customer")
    if customer.get("deleted"):
        from checkout.testing.stripe_standin.errors import missing

        raise missing("customer", ident)
    return customer


def live_customer(account: Account, ident: str, param: str = "customer") -> Json:
    """The customer `ident` for use as a parameter, or Stripe's 404 naming that parameter."""
    customer = account.get(ident, "customer", param)
    if customer.get("deleted"):
        from checkout.testing.stripe_standin.errors import missing

        raise missing("customer", ident, param)
    return customer
