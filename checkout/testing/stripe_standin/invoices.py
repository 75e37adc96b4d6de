"""Invoices and invoice payments: one invoice per subscription period, paid by a PaymentIntent.

Current API versions no longer have `invoice.payment_intent`: the PaymentIntent is reached
through `confirmation_secret` (expand it) and the invoice's `payments`.
"""

from __future__ import annotations

from typing import Any

from checkout.testing.stripe_standin import confirmation
from checkout.testing.stripe_standin.events import emit
from checkout.testing.stripe_standin.expand import includable
from checkout.testing.stripe_standin.lists import list_object, matches, paginate
from checkout.testing.stripe_standin.params import EXPAND, Enum, Obj, Str, list_schema
from checkout.testing.stripe_standin.routing import Call, Router
from checkout.testing.stripe_standin.store import Account, new_id
from checkout.testing.stripe_standin.store import Obj as Json

router = Router()


def create_invoice(account: Account, subscription: Json, reason: str, types: list[str]) -> Json:
    """A finalized (open) invoice for the subscription's current period, with its intent."""
    from checkout.testing.stripe_standin.payment_intents import create_intent

    customer = account.get(subscription["customer"], "customer")
    item = subscription["items"]["data"][0]
    amount = sum(i["price"]["unit_amount"] * i["quantity"] for i in subscription["items"]["data"])
    now = account.now()
    invoice_id = new_id("in")
    invoice = account.add(
        {
            "id": invoice_id,
            "object": "invoice",
            **_empty_fields(),
            "amount_due": amount,
            "amount_paid": 0,
            "amount_remaining": amount,
            "billing_reason": reason,
            "created": now,
            "currency": subscription["currency"],
            "customer": customer["id"],
            "customer_email": customer.get("email"),
            "customer_name": customer.get("name"),
            "customer_address": customer.get("address"),
            "customer_phone": customer.get("phone"),
            "effective_at": now,
            "lines": list_object(
                [_line(invoice_id, subscription, i) for i in subscription["items"]["data"]],
                f"/v1/invoices/{invoice_id}/lines",
            ),
            "metadata": {},
            "number": f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}",
            "parent": {
                "quote_details": None,
                "type": "subscription_details",
                "subscription_details": {
                    "metadata": dict(subscription["metadata"]),
                    "subscription": subscription["id"],
                },
            },
            "payment_settings": {
                "default_mandate": None,
                "payment_method_options": subscription["payment_settings"][
                    "payment_method_options"
                ],
                "payment_method_types": subscription["payment_settings"]["payment_method_types"],
            },
            "period_end": item["current_period_start"],
            "period_start": item["current_period_start"],
            "status": "open",
            "status_transitions": {
                "finalized_at": now,
                "marked_uncollectible_at": None,
                "paid_at": None,
                "voided_at": None,
            },
            "subtotal": amount,
            "subtotal_excluding_tax": amount,
            "total": amount,
            "total_excluding_tax": amount,
            "webhooks_delivered_at": now,
        }
    )
    customer["next_invoice_sequence"] += 1
    emit(account, "invoice.created", invoice)
    emit(account, "invoice.finalized", invoice)
    intent = create_intent(
        account,
        {
            "amount": amount,
            "currency": subscription["currency"],
            "customer": customer["id"],
            "description": f"Subscription {reason.replace('_', ' ')}",
            # The intent reads the subscription's chosen types as any create call would.
            "allowed_payment_method_types": types,
            "payment_method_options": _intent_options(subscription),
            "_invoice": invoice_id,
            "metadata": {},
            **(
                {"setup_future_usage": "off_session"}
                if subscription["payment_settings"]["save_default_payment_method"]
                == "on_subscription"
                else {}
            ),
        },
    )
    invoice["_payment_intent"] = intent["id"]
    _new_invoice_payment(account, invoice, intent)
    return invoice


def _intent_options(subscription: Json) -> Json:
    """The invoice's PaymentIntent options from the subscription's payment settings.

    An ACSS mandate for a subscription debits at the subscription's interval; that Stripe
    makes it `payment_schedule=interval` with such a description is the stand-in's reading.
    """
    options = dict(subscription["payment_settings"]["payment_method_options"] or {})
    acss = options.get("acss_debit")
    if acss is not None:
        recurring = subscription["items"]["data"][0]["price"]["recurring"]
        terms = {
            **acss.get("mandate_options", {}),
            "payment_schedule": "interval",
            "interval_description": f"every {recurring['interval_count']} {recurring['interval']}",
        }
        options["acss_debit"] = {**acss, "mandate_options": terms}
    return options


def _empty_fields() -> dict[str, Any]:
    """The invoice fields the stand-in always answers with their empty values."""
    return {
        "account_country": "DE",
        "account_name": "Stripe stand-in",
        "account_tax_ids": None,
        "amount_overpaid": 0,
        "amount_paid_off_stripe": 0,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "collection_method": "charge_automatically",
        "custom_fields": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "ending_balance": 0,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "livemode": False,
        "next_payment_attempt": None,
        "on_behalf_of": None,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "test_clock": None,
        "threshold_reason": None,
        "total_discount_amounts": [],
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
    }


def _line(invoice_id: str, subscription: Json, item: Json) -> Json:
    """The invoice line for one subscription item and its current period."""
    price = item["price"]
    amount = price["unit_amount"] * item["quantity"]
    return {
        "id": new_id("il"),
        "object": "line_item",
        "amount": amount,
        "currency": price["currency"],
        "description": f"{item['quantity']} × subscription",
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": dict(subscription["metadata"]),
        "parent": {
            "invoice_item_details": None,
            "type": "subscription_item_details",
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": subscription["id"],
                "subscription_item": item["id"],
            },
        },
        "period": {"end": item["current_period_end"], "start": item["current_period_start"]},
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": {"price": price["id"], "product": price["product"]},
            "type": "price_details",
            "unit_amount_decimal": str(price["unit_amount"]),
        },
        "quantity": item["quantity"],
        "subscription": subscription["id"],
        "subtotal": amount,
        "taxes": [],
    }


def _new_invoice_payment(account: Account, invoice: Json, intent: Json) -> Json:
    """The invoice_payment that ties the invoice to its PaymentIntent."""
    return account.add(
        {
            "id": new_id("inpay"),
            "object": "invoice_payment",
            "amount_paid": None,
            "amount_requested": invoice["amount_due"],
            "created": account.now(),
            "currency": invoice["currency"],
            "invoice": invoice["id"],
            "is_default": True,
            "livemode": False,
            "payment": {"type": "payment_intent", "payment_intent": intent["id"]},
            "status": "open",
            "status_transitions": {"canceled_at": None, "paid_at": None},
        }
    )


def _invoice_payment(account: Account, invoice: Json) -> Json:
    """The default invoice_payment of `invoice`."""
    return next(p for p in account.all("invoice_payment") if p["invoice"] == invoice["id"])


def _on_intent(account: Account, intent: Json, outcome: str) -> None:
    """Follow the invoice's PaymentIntent: paid, failed, or needing the donor's action."""
    if not intent.get("_invoice"):
        return
    invoice = account.get(intent["_invoice"], "invoice")
    if outcome in ("succeeded", "failed"):
        invoice.update(attempted=True, attempt_count=invoice["attempt_count"] + 1)
    if outcome == "succeeded":
        _mark_paid(account, invoice, intent)
    elif outcome == "failed":
        emit(account, "invoice.payment_failed", invoice)
    elif outcome == "requires_action":
        emit(account, "invoice.payment_action_required", invoice)


confirmation.listeners.append(_on_intent)


def _mark_paid(account: Account, invoice: Json, intent: Json) -> None:
    """The invoice is paid: amounts, status, its invoice_payment, `invoice.paid`."""
    now = account.now()
    invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0)
    invoice["status_transitions"]["paid_at"] = now
    payment = _invoice_payment(account, invoice)
    payment.update(status="paid", amount_paid=invoice["amount_due"])
    payment["status_transitions"]["paid_at"] = now
    emit(account, "invoice.paid", invoice)
    emit(account, "invoice.payment_succeeded", invoice)


def void(account: Account, invoice: Json) -> None:
    """Void an open invoice and cancel its PaymentIntent."""
    from checkout.testing.stripe_standin.payment_intents import cancel

    invoice["status"] = "void"
    invoice["status_transitions"]["voided_at"] = account.now()
    payment = _invoice_payment(account, invoice)
    payment["status"] = "canceled"
    payment["status_transitions"]["canceled_at"] = account.now()
    intent = account.get(invoice["_payment_intent"], "payment_intent")
    if intent["status"] in confirmation.CONFIRMABLE:
        cancel(account, intent, "void_invoice")
    emit(account, "invoice.voided", invoice)


@includable("invoice", "confirmation_secret")
def _confirmation_secret(account: Account, invoice: Json) -> Json | None:
    """What the browser confirms the invoice with (expand `latest_invoice.confirmation_secret`)."""
    if not invoice.get("_payment_intent"):
        return None
    intent = account.get(invoice["_payment_intent"], "payment_intent")
    return {"client_secret": intent["client_secret"], "type": "payment_intent"}


@includable("invoice", "payments")
def _payments(account: Account, invoice: Json) -> Json:
    """Invoice.payments, included only when expanded."""
    rows = [p for p in account.all("invoice_payment") if p["invoice"] == invoice["id"]]
    return list_object(rows, f"/v1/invoice_payments?invoice={invoice['id']}")


@router.route("GET", "/v1/invoices/<ident>", Obj({"expand": EXPAND}))
def retrieve_invoice(call: Call) -> Json:
    """GET /v1/invoices/:id."""
    return call.account.get(call.path["ident"], "invoice")


@router.route(
    "GET",
    "/v1/invoices",
    list_schema(
        customer=Str(),
        subscription=Str(),
        status=Enum("draft", "open", "paid", "uncollectible", "void"),
    ),
)
def list_invoices(call: Call) -> Json:
    """GET /v1/invoices, by customer, subscription or status."""
    subscription = call.param("subscription")
    rows = [
        i
        for i in call.account.all("invoice")
        if matches(i, customer=call.param("customer"), status=call.param("status"))
        and subscription in (None, i["parent"]["subscription_details"]["subscription"])
    ]
    return paginate(call, rows, "/v1/invoices")


@router.route("GET", "/v1/invoice_payments/<ident>", Obj({"expand": EXPAND}))
def retrieve_invoice_payment(call: Call) -> Json:
    """GET /v1/invoice_payments/:id."""
    return call.account.get(call.path["ident"], "invoice_payment")


@router.route(
    "GET",
    "/v1/invoice_payments",
    list_schema(
        invoice=Str(),
        status=Enum("canceled", "open", "paid"),
        payment=Obj({"type": Enum("payment_intent"), "payment_intent": Str()}, required=("type",)),
    ),
)
def list_invoice_payments(call: Call) -> Json:
    """GET /v1/invoice_payments, by invoice or by PaymentIntent (`payment[payment_intent]`)."""
    intent = call.param("payment", {}).get("payment_intent")
    rows = [
        p
        for p in call.account.all("invoice_payment")
        if matches(p, invoice=call.param("invoice"), status=call.param("status"))
        and intent in (None, p["payment"]["payment_intent"])
    ]
    return paginate(call, rows, "/v1/invoice_payments")
