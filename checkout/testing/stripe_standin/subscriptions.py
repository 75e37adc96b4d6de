"""Subscriptions: `price_data` items, `default_incomplete`, renewals, status changes, cancel."""

from __future__ import annotations

from typing import Any

from checkout.testing.stripe_standin import confirmation
from checkout.testing.stripe_standin.customers import live_customer, merge_metadata
from checkout.testing.stripe_standin.errors import invalid, unsupported
from checkout.testing.stripe_standin.events import emit
from checkout.testing.stripe_standin.invoices import create_invoice, void
from checkout.testing.stripe_standin.lists import list_object, matches, paginate
from checkout.testing.stripe_standin.params import (
    EXPAND,
    Bool,
    Emptyable,
    Enum,
    Int,
    ListOf,
    Metadata,
    Node,
    Obj,
    Str,
    list_schema,
)
from checkout.testing.stripe_standin.payment_methods import CURRENCIES, TYPES
from checkout.testing.stripe_standin.periods import add_interval, day_of_month
from checkout.testing.stripe_standin.products import PRICE_DATA, create_price
from checkout.testing.stripe_standin.routing import Call, Router
from checkout.testing.stripe_standin.store import Account, new_id
from checkout.testing.stripe_standin.store import Obj as Json

router = Router()
#: An unpaid `default_incomplete` subscription expires after about 23 hours.
INCOMPLETE_SECONDS = 23 * 60 * 60

_ITEM = Obj({"price": Str(), "price_data": PRICE_DATA, "quantity": Int(1), "metadata": Metadata()})
_VERIFICATION = Enum("automatic", "instant", "microdeposits")
_PAYMENT_SETTINGS = Obj(
    {
        "payment_method_types": Emptyable(ListOf(Enum(*TYPES))),
        "save_default_payment_method": Enum("off", "on_subscription"),
        # A subscription's ACSS mandate takes only the transaction type: its schedule is the
        # subscription's (SubscriptionCreateParamsPaymentSettingsPaymentMethodOptionsAcssDebit).
        "payment_method_options": Obj(
            {
                "acss_debit": Obj(
                    {
                        "mandate_options": Obj({"transaction_type": Enum("business", "personal")}),
                        "verification_method": _VERIFICATION,
                    }
                )
            }
        ),
    }
)
_SHARED: dict[str, Node] = {
    "default_payment_method": Emptyable(Str()),
    "description": Emptyable(Str(500)),
    "expand": EXPAND,
    "metadata": Metadata(),
    "cancel_at_period_end": Bool(),
    "payment_settings": _PAYMENT_SETTINGS,
    "off_session": Bool(),
    "payment_behavior": Enum(
        "allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"
    ),
}
_CREATE = Obj(
    {
        **_SHARED,
        "customer": Str(),
        "items": ListOf(_ITEM, 20),
        "collection_method": Enum("charge_automatically", "send_invoice"),
    },
    required=("customer", "items"),
)
#: Stripe's pause of collection: invoices are still made, then voided ("void"), kept as drafts
#: or marked uncollectible, until `resumes_at` or an update with "" resumes collection.
_PAUSE = Obj(
    {
        "behavior": Enum("keep_as_draft", "mark_uncollectible", "void"),
        "resumes_at": Int(),
    },
    required=("behavior",),
)
_UPDATE = Obj(
    {
        **_SHARED,
        "items": ListOf(_ITEM.extend(id=Str()), 20),
        "proration_behavior": Enum("always_invoice", "create_prorations", "none"),
        "pause_collection": Emptyable(_PAUSE),
    }
)


@router.route("POST", "/v1/subscriptions", _CREATE)
def create_subscription(call: Call) -> Json:
    """POST /v1/subscriptions: the first invoice is open with a PaymentIntent to confirm."""
    account, params = call.account, call.params
    behaviour = params.get("payment_behavior", "allow_incomplete")
    if behaviour in ("error_if_incomplete", "pending_if_incomplete"):
        raise unsupported(f"payment_behavior={behaviour}")
    if params.get("collection_method", "charge_automatically") != "charge_automatically":
        raise unsupported("collection_method=send_invoice")
    customer = live_customer(account, params["customer"])
    subscription = _new_subscription(account, customer, params)
    emit(account, "customer.subscription.created", subscription)
    invoice = create_invoice(account, subscription, "subscription_create", _types(subscription))
    subscription["latest_invoice"] = invoice["id"]
    if behaviour == "allow_incomplete":
        _collect(account, subscription, invoice)
    return subscription


def _new_subscription(account: Account, customer: Json, params: dict[str, Any]) -> Json:
    """The subscription object, status `incomplete` until its first invoice is paid."""
    now = account.now()
    sub_id = new_id("sub")
    items = [
        _item(account, sub_id, item, f"items[{n}]", now) for n, item in enumerate(params["items"])
    ]
    currencies = {item["price"]["currency"] for item in items}
    if len(currencies) != 1:
        raise invalid("All prices on a subscription must have the same currency.", param="items")
    settings = params.get("payment_settings", {})
    method = params.get("default_payment_method")
    if method:
        account.get(method, "payment_method", "default_payment_method")
    return account.add(
        {
            "id": sub_id,
            "object": "subscription",
            "application": None,
            "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": now,
            "billing_cycle_anchor_config": None,
            "billing_mode": {"flexible": None, "type": "classic", "updated_at": None},
            "billing_thresholds": None,
            "cancel_at": None,
            "cancel_at_period_end": params.get("cancel_at_period_end", False),
            "canceled_at": None,
            "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "collection_method": "charge_automatically",
            "created": now,
            "currency": currencies.pop(),
            "customer": customer["id"],
            "days_until_due": None,
            "default_payment_method": method,
            "default_source": None,
            "default_tax_rates": [],
            "description": params.get("description"),
            "discounts": [],
            "ended_at": None,
            "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
            "items": {
                **list_object(items, f"/v1/subscription_items?subscription={sub_id}"),
                "total_count": len(items),
            },
            "latest_invoice": None,
            "livemode": False,
            "metadata": merge_metadata({}, params.get("metadata", {})),
            "next_pending_invoice_item_invoice": None,
            "on_behalf_of": None,
            "pause_collection": None,
            "payment_settings": {
                "payment_method_options": settings.get("payment_method_options"),
                "payment_method_types": settings.get("payment_method_types"),
                "save_default_payment_method": settings.get("save_default_payment_method", "off"),
            },
            "pending_invoice_item_interval": None,
            "pending_setup_intent": None,
            "pending_update": None,
            "schedule": None,
            "start_date": now,
            "status": "incomplete",
            "test_clock": None,
            "transfer_data": None,
            "trial_end": None,
            "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
            "trial_start": None,
        }
    )


def _item(account: Account, sub_id: str, params: dict[str, Any], name: str, now: int) -> Json:
    """A subscription item with its price (made from `price_data` when given)."""
    if "price_data" in params:
        price = create_price(account, params["price_data"], f"{name}[price_data]")
    elif "price" in params:
        price = account.get(params["price"], "price", f"{name}[price]")
    else:
        raise invalid(
            f"Missing required param: {name}[price].",
            param=f"{name}[price]",
            code="parameter_missing",
        )
    if price["recurring"] is None:
        raise invalid(
            "The price specified is set to `type=one_time` but this field only "
            "accepts prices with `type=recurring`.",
            param=f"{name}[price]",
        )
    recurring = price["recurring"]
    return {
        "id": new_id("si", 14),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": now,
        "current_period_start": now,
        "current_period_end": add_interval(
            now, recurring["interval"], recurring["interval_count"], day_of_month(now)
        ),
        "discounts": [],
        "metadata": dict(params.get("metadata", {})),
        "price": price,
        "quantity": params.get("quantity", 1),
        "subscription": sub_id,
        "tax_rates": [],
    }


def _types(subscription: Json) -> list[str]:
    """The payment method types for the subscription's invoices."""
    chosen = subscription["payment_settings"]["payment_method_types"]
    currency = subscription["currency"]
    return chosen or [
        k for k in TYPES if CURRENCIES[k] is None or currency in (CURRENCIES[k] or ())
    ]


def _collect(account: Account, subscription: Json, invoice: Json) -> None:
    """Try to pay `invoice` off-session with the subscription's or customer's default method."""
    customer = account.get(subscription["customer"], "customer")
    method = (
        subscription["default_payment_method"]
        or customer["invoice_settings"]["default_payment_method"]
    )
    intent = account.get(invoice["_payment_intent"], "payment_intent")
    if method is None:
        invoice.update(attempted=True, attempt_count=invoice["attempt_count"] + 1)
        emit(account, "invoice.payment_failed", invoice)
        _on_intent(account, intent, "failed")
        return
    confirmation.confirm(
        account,
        intent,
        {"payment_method": method, "off_session": True},
        publishable=False,
        remote_addr="",
        renewal=True,
    )


def _on_intent(account: Account, intent: Json, outcome: str) -> None:
    """Move the subscription when its invoice is paid (active) or a renewal fails (past_due)."""
    if not intent.get("_invoice") or outcome not in ("succeeded", "failed"):
        return
    invoice = account.get(intent["_invoice"], "invoice")
    subscription = account.get(
        invoice["parent"]["subscription_details"]["subscription"], "subscription"
    )
    updates: dict[str, Any] = {}
    if outcome == "succeeded":
        if subscription["status"] in ("incomplete", "past_due"):
            updates["status"] = "active"
        if subscription["payment_settings"]["save_default_payment_method"] == "on_subscription":
            updates["default_payment_method"] = intent["payment_method"]
    elif invoice["billing_reason"] == "subscription_cycle" and subscription["status"] == "active":
        updates["status"] = "past_due"
    _update(account, subscription, updates)


confirmation.listeners.append(_on_intent)


def _update(account: Account, subscription: Json, updates: dict[str, Any]) -> None:
    """Apply changes and emit `customer.subscription.updated` with the previous values."""
    previous = {k: subscription[k] for k, v in updates.items() if subscription[k] != v}
    if previous:
        subscription.update(updates)
        emit(account, "customer.subscription.updated", subscription, previous)


@router.route("GET", "/v1/subscriptions/<ident>", Obj({"expand": EXPAND}))
def retrieve_subscription(call: Call) -> Json:
    """GET /v1/subscriptions/:id."""
    return call.account.get(call.path["ident"], "subscription")


@router.route("POST", "/v1/subscriptions/<ident>", _UPDATE)
def update_subscription(call: Call) -> Json:
    """POST /v1/subscriptions/:id: metadata, cancel at period end, default method, amount,
    pausing collection."""
    account, params = call.account, call.params
    subscription = account.get(call.path["ident"], "subscription")
    if subscription["status"] in ("canceled", "incomplete_expired"):
        raise invalid(
            f"A canceled subscription can only update its cancellation_details and "
            f"metadata (status {subscription['status']})."
        )
    if params.get("proration_behavior", "none") != "none":
        raise unsupported(f"proration_behavior={params['proration_behavior']}")
    updates: dict[str, Any] = {
        k: params[k]
        for k in ("cancel_at_period_end", "description", "default_payment_method")
        if k in params
    }
    if "metadata" in params:
        updates["metadata"] = merge_metadata(subscription["metadata"], params["metadata"])
    if "pause_collection" in params:
        pause = params["pause_collection"]
        updates["pause_collection"] = (
            None
            if pause is None
            else {"behavior": pause["behavior"], "resumes_at": pause.get("resumes_at")}
        )
    if "items" in params:
        updates["items"] = _replace_items(account, subscription, params["items"])
    if updates.get("default_payment_method"):
        account.get(updates["default_payment_method"], "payment_method", "default_payment_method")
    if "cancel_at_period_end" in updates:
        updates.update(_cancellation(account, subscription, updates["cancel_at_period_end"]))
    _update(account, subscription, updates)
    return subscription


def _cancellation(account: Account, subscription: Json, at_period_end: bool) -> dict[str, Any]:
    """Asking to cancel at the period's end sets `canceled_at` to now and `cancel_at` to the
    period's end, while the subscription stays active and debits until then; withdrawing the
    request clears both (`Subscription.cancel_at_period_end`, `.cancel_at`, `.canceled_at`)."""
    if not at_period_end:
        return {"cancel_at": None, "canceled_at": None}
    return {"cancel_at": period_end(subscription), "canceled_at": account.now()}


def _replace_items(account: Account, subscription: Json, changes: list[dict[str, Any]]) -> Json:
    """New items list: each change names an existing item `id` and gives its new price."""
    items = {item["id"]: dict(item) for item in subscription["items"]["data"]}
    for n, change in enumerate(changes):
        item = items.get(change.get("id", ""))
        if item is None:
            raise invalid(
                "Changing items needs the id of an existing item.", param=f"items[{n}][id]"
            )
        if "price_data" in change:
            item["price"] = create_price(account, change["price_data"], f"items[{n}][price_data]")
        elif "price" in change:
            item["price"] = account.get(change["price"], "price", f"items[{n}][price]")
        item["quantity"] = change.get("quantity", item["quantity"])
    return {**subscription["items"], "data": list(items.values())}


@router.route(
    "DELETE",
    "/v1/subscriptions/<ident>",
    Obj(
        {
            "cancellation_details": Obj(
                {
                    "comment": Emptyable(Str()),
                    "feedback": Enum(
                        "customer_service",
                        "low_quality",
                        "missing_features",
                        "other",
                        "switched_service",
                        "too_complex",
                        "too_expensive",
                        "unused",
                    ),
                }
            ),
            "invoice_now": Bool(),
            "prorate": Bool(),
            "expand": EXPAND,
        }
    ),
)
def cancel_subscription(call: Call) -> Json:
    """DELETE /v1/subscriptions/:id: cancel now."""
    subscription = call.account.get(call.path["ident"], "subscription")
    if subscription["status"] in ("canceled", "incomplete_expired"):
        raise invalid(
            f"No such subscription: '{subscription['id']}' is already canceled.",
            code="resource_missing",
        )
    details = call.param("cancellation_details", {})
    subscription["cancellation_details"].update(details)
    end(call.account, subscription, "cancellation_requested", "canceled")
    return subscription


def end(
    account: Account, subscription: Json, reason: str, status: str, at: int | None = None
) -> None:
    """End a subscription (`customer.subscription.deleted`) now or `at` (its period's end),
    voiding an unpaid first invoice."""
    now = at or account.now()
    previous = {"status": subscription["status"]}
    # "If the subscription was canceled with `cancel_at_period_end`, `canceled_at` will reflect
    # the time of the most recent update request, not the end of the subscription period"
    # (the SDK's docstring of Subscription.canceled_at).
    asked = subscription["canceled_at"] if subscription["cancel_at_period_end"] else None
    subscription.update(status=status, canceled_at=asked or now, ended_at=now)
    subscription["cancellation_details"]["reason"] = reason
    invoice = account.get(subscription["latest_invoice"], "invoice")
    if invoice["status"] == "open" and invoice["billing_reason"] == "subscription_create":
        void(account, invoice)
    emit(account, "customer.subscription.deleted", subscription, previous)


@router.route(
    "GET",
    "/v1/subscriptions",
    list_schema(
        customer=Str(),
        price=Str(),
        status=Enum(
            "active",
            "all",
            "canceled",
            "ended",
            "incomplete",
            "incomplete_expired",
            "past_due",
            "paused",
            "trialing",
            "unpaid",
        ),
    ),
)
def list_subscriptions(call: Call) -> Json:
    """GET /v1/subscriptions; like Stripe, canceled ones only when asked for by status."""
    status = call.param("status")
    rows = [
        s
        for s in call.account.all("subscription")
        if matches(s, customer=call.param("customer"))
        and (
            status == "all"
            or s["status"] == status
            or (status is None and s["status"] not in ("canceled", "incomplete_expired"))
        )
    ]
    return paginate(call, rows, "/v1/subscriptions")


def renew_due(account: Account) -> None:
    """Start every period that has come: a new invoice, paid off-session (or not)."""
    now = account.now()
    for subscription in reversed(account.all("subscription")):
        while subscription["status"] in ("active", "past_due") and period_end(subscription) <= now:
            if subscription["cancel_at_period_end"]:
                ends = period_end(subscription)
                end(account, subscription, "cancellation_requested", "canceled", ends)
                break
            _next_period(account, subscription)


def _next_period(account: Account, subscription: Json) -> None:
    """Advance every item one period and bill it."""
    previous_items = {
        **subscription["items"],
        "data": [dict(i) for i in subscription["items"]["data"]],
    }
    for item in subscription["items"]["data"]:
        recurring = item["price"]["recurring"]
        start = item["current_period_end"]
        item["current_period_start"] = start
        item["current_period_end"] = add_interval(
            start,
            recurring["interval"],
            recurring["interval_count"],
            day_of_month(subscription["billing_cycle_anchor"]),
        )
    emit(account, "customer.subscription.updated", subscription, {"items": previous_items})
    invoice = create_invoice(account, subscription, "subscription_cycle", _types(subscription))
    subscription["latest_invoice"] = invoice["id"]
    if _collection_paused(account, subscription):
        void(account, invoice)  # only "void" is implemented: the period passes unbilled
        return
    _collect(account, subscription, invoice)


def _collection_paused(account: Account, subscription: Json) -> bool:
    """True while collection is paused; a pause whose `resumes_at` has come ends here."""
    pause = subscription["pause_collection"]
    if pause is None:
        return False
    if pause.get("resumes_at") and pause["resumes_at"] <= account.now():
        _update(account, subscription, {"pause_collection": None})
        return False
    if pause["behavior"] != "void":
        raise unsupported(f"pause_collection[behavior]={pause['behavior']}")
    return True


def period_end(subscription: Json) -> int:
    """When the subscription's current period ends (its earliest item's)."""
    return int(min(item["current_period_end"] for item in subscription["items"]["data"]))


def expire_incomplete(account: Account) -> None:
    """Unpaid `incomplete` subscriptions older than 23 hours become `incomplete_expired`."""
    now = account.now()
    for subscription in account.all("subscription"):
        if subscription["status"] == "incomplete" and (
            subscription["created"] + INCOMPLETE_SECONDS <= now
        ):
            end(account, subscription, "payment_failed", "incomplete_expired")
