"""What of a Stripe event we store: ids, states, amounts and dates; never names or addresses.

An event carries the whole object it is about: a PaymentIntent's receipt email, a charge's
billing details (name, email, address, phone), a customer's everything. The webhook only
stores the event; an outbox worker applies it later, re-fetching the object from Stripe, so
what is stored has to say what the event was about, what it moved (for support, finance and
debugging) and the little the handlers read from the event itself. So a stored payload keeps
the envelope and, inside the object (and its previous attributes), only keys on the list
below, at any depth; everything else is dropped before it reaches the database. Payouts carry
no donor's data and are what finance reconciles from, so their objects are kept whole.

`for_applying` keeps, besides, the few values a handler reads that are not worth keeping
afterwards (an invoice's payment link, a bearer link to the donor's invoice): once the worker
has applied the event, the row goes back to `minimal`.

`flask retention run` erases even this after STRIPE_EVENT_KEEP_DAYS (and at once for the
events about an erased donor's objects).
"""

from __future__ import annotations

from typing import Any

#: Keys kept wherever they appear: identifiers, states, money, dates, and the few nested
#: objects that lead to them. Nothing on it can hold a name, an address, an email or a phone.
KEPT_KEYS = frozenset(
    {
        # the envelope
        "id",
        "object",
        "type",
        "api_version",
        "created",
        "livemode",
        "data",
        "previous_attributes",
        "pending_webhooks",
        # states and reasons
        "status",
        "reason",
        "billing_reason",
        "cancellation_reason",
        "collection_method",
        "code",
        "decline_code",
        "failure_code",
        "failure_reason",
        "last_payment_error",
        "cancel_at_period_end",
        "paid",
        "refunded",
        "disputed",
        "captured",
        # money and dates
        "amount",
        "amount_due",
        "amount_paid",
        "amount_received",
        "amount_refunded",
        "amount_remaining",
        "amount_captured",
        "currency",
        "fee",
        "net",
        "exchange_rate",
        "canceled_at",
        "cancel_at",
        "ended_at",
        "current_period_start",
        "current_period_end",
        "period_start",
        "period_end",
        "arrival_date",
        "available_on",
        # what the object points at
        "customer",
        "subscription",
        "invoice",
        "payment_intent",
        "latest_charge",
        "charge",
        "balance_transaction",
        "failure_balance_transaction",
        "payment_method",
        "mandate",
        "payout",
        "source",
        "parent",
        "subscription_details",
        "payment_method_details",
        "payment_method_types",
        "reference",
        # our own metadata: ids we put there ourselves
        "metadata",
        "donation_id",
        "donor_id",
        "office",
    }
)
#: Keys of the event's object that a handler reads and the stored record drops once applied.
APPLYING_KEYS = frozenset({"hosted_invoice_url"})
#: Objects with no donor's data, kept whole.
WHOLE_OBJECTS = frozenset({"payout"})
#: Nested keys whose name is a payment method type (`payment_method_details.sepa_debit`).
METHOD_TYPES = frozenset(
    {"card", "sepa_debit", "bacs_debit", "au_becs_debit", "acss_debit", "ideal", "link"}
)


def minimal(payload: dict[str, Any]) -> dict[str, Any]:
    """The event as stored: its envelope, and of its object only the kept keys."""
    kept = _kept_keys(payload)
    data = payload.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if isinstance(obj, dict) and obj.get("object") in WHOLE_OBJECTS:
        kept["data"] = {**kept.get("data", {}), "object": obj}
    return kept


def for_applying(payload: dict[str, Any]) -> dict[str, Any]:
    """The event as stored until a worker applies it: `minimal`, and the object's
    APPLYING_KEYS."""
    kept = minimal(payload)
    data = payload.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    kept_object = kept.get("data", {}).get("object")
    if isinstance(obj, dict) and isinstance(kept_object, dict):
        for key in APPLYING_KEYS & obj.keys():
            if isinstance(obj[key], str | None):
                kept_object[key] = obj[key]
    return kept


def _kept_keys(value: dict[str, Any]) -> dict[str, Any]:
    return {
        key: _kept(inner) for key, inner in value.items() if key in KEPT_KEYS or key in METHOD_TYPES
    }


def _kept(value: Any) -> Any:
    if isinstance(value, dict):
        return _kept_keys(value)
    if isinstance(value, list):  # lists of ids or types; lists of objects are not needed
        return [inner for inner in value if not isinstance(inner, dict | list)]
    return value
