"""PaymentMethods: cards by test number or `pm_card_*` id, and the bank debits and iDEAL."""

from __future__ import annotations

import hashlib
from typing import Any

from checkout.testing.stripe_standin.errors import StripeError, invalid
from checkout.testing.stripe_standin.events import emit
from checkout.testing.stripe_standin.lists import paginate
from checkout.testing.stripe_standin.params import (
    BILLING_DETAILS,
    EXPAND,
    Enum,
    Int,
    Metadata,
    Obj,
    Str,
    list_schema,
)
from checkout.testing.stripe_standin.routing import Call, Router
from checkout.testing.stripe_standin.store import Account, new_id, public
from checkout.testing.stripe_standin.store import Obj as Json
from checkout.testing.stripe_standin.test_data import (
    CARDS,
    FAILING_ACCOUNTS,
    MICRODEPOSIT_ACCOUNTS,
    PM_ALIASES,
    REFUSED_MANDATES,
    Card,
    brand_of,
    iban_valid,
    luhn_valid,
)

router = Router()

TYPES = ("card", "sepa_debit", "bacs_debit", "au_becs_debit", "acss_debit", "ideal")
#: Bank debits: submitted at confirmation, settled (or failed) days later.
DEBITS = ("sepa_debit", "bacs_debit", "au_becs_debit", "acss_debit")
#: Which currencies each type can be paid in (Stripe's payment method tables).
CURRENCIES = {
    "card": None,
    "sepa_debit": ("eur",),
    "bacs_debit": ("gbp",),
    "au_becs_debit": ("aud",),
    "acss_debit": ("cad", "usd"),
    "ideal": ("eur",),
}
_IDEAL_BANKS = (
    "abn_amro",
    "asn_bank",
    "bunq",
    "ing",
    "knab",
    "rabobank",
    "regiobank",
    "revolut",
    "sns_bank",
    "triodos_bank",
    "van_lanschot",
)
DATA_SCHEMA = Obj(
    {
        "type": Enum(*TYPES),
        "billing_details": BILLING_DETAILS,
        "metadata": Metadata(),
        "card": Obj(
            {"number": Str(), "exp_month": Int(1, 12), "exp_year": Int(0, 9999), "cvc": Str(4)}
        ),
        "sepa_debit": Obj({"iban": Str(34)}, required=("iban",)),
        "bacs_debit": Obj({"account_number": Str(8), "sort_code": Str(8)}),
        "au_becs_debit": Obj({"account_number": Str(9), "bsb_number": Str(7)}),
        "acss_debit": Obj(
            {"account_number": Str(12), "institution_number": Str(3), "transit_number": Str(5)}
        ),
        "ideal": Obj({"bank": Enum(*_IDEAL_BANKS)}),
    },
    required=("type",),
)
#: `payment_method_data` as servers send it: card numbers only ever come from Stripe.js (the
#: publishable key), so the secret-key endpoints do not take `card`.
SERVER_DATA_SCHEMA = Obj(
    {k: v for k, v in DATA_SCHEMA.fields.items() if k != "card"}, DATA_SCHEMA.required
)


def resolve(account: Account, ident: str, param: str = "payment_method") -> Json:
    """The PaymentMethod `ident`; a `pm_card_*` test id makes a fresh one, as at Stripe."""
    number = PM_ALIASES.get(ident)
    if number is not None:
        return store_method(account, {"type": "card"}, _card(account, number, 12, 2034))
    return account.get(ident, "payment_method", param)


def create_from_data(account: Account, data: dict[str, Any], publishable: bool) -> Json:
    """A new PaymentMethod from `payment_method_data`-style parameters."""
    return store_method(account, data, details_from_data(account, data, publishable))


def details_from_data(account: Account, data: dict[str, Any], publishable: bool) -> Json:
    """The checked type-specific hash (with its private outcome) that `data` describes.

    Kept apart from storing the method because a ConfirmationToken checks the details when
    it is made but creates its PaymentMethod only when an intent is confirmed with it.
    """
    kind = data["type"]
    details: dict[str, Any] = data.get(kind) or {}
    if kind != "ideal" and kind not in data:
        raise invalid(f"Missing required param: {kind}.", param=kind, code="parameter_missing")
    if kind == "card":
        return _card_from_params(account, details, publishable)
    if kind in DEBITS:
        _require_name_and_email(kind, data.get("billing_details", {}))
    return _BANK_BUILDERS[kind](account, details)


def store_method(account: Account, data: dict[str, Any], details: Json) -> Json:
    """Store a PaymentMethod of `data["type"]` with its type-specific `details`."""
    kind = data["type"]
    return account.add(
        {
            "id": new_id("pm"),
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": billing_details(data.get("billing_details", {})),
            "created": account.now(),
            "customer": None,
            "livemode": False,
            "metadata": data.get("metadata", {}),
            "type": kind,
            kind: public(details),
            # The test account's private outcome: how its payments, refunds, mandate and
            # verification go (test_data.py).
            "_failure": None,
            **{key: value for key, value in details.items() if key.startswith("_")},
        }
    )


def billing_details(billing: dict[str, Any]) -> Json:
    """A PaymentMethod's `billing_details` hash, every field present."""
    return {
        "address": {
            k: (billing.get("address") or {}).get(k)
            for k in ("city", "country", "line1", "line2", "postal_code", "state")
        },
        "email": billing.get("email"),
        "name": billing.get("name"),
        "phone": billing.get("phone"),
        "tax_id": None,
    }


def _card_from_params(account: Account, params: dict[str, Any], publishable: bool) -> Json:
    """Card details from a number; Stripe only takes raw numbers from Stripe.js (the pk)."""
    if not publishable:
        raise StripeError(
            402,
            "Sending credit card numbers directly to the Stripe API is generally unsafe. "
            "We suggest you use test tokens that map to the test card you are using.",
            type="card_error",
            code="raw_card_data_refused",
        )
    number = str(params.get("number", "")).replace(" ", "")
    for name in ("number", "exp_month", "exp_year"):
        if name not in params:
            raise invalid(
                f"Missing required param: card[{name}].",
                param=f"card[{name}]",
                code="parameter_missing",
            )
    return _card(account, number, params["exp_month"], params["exp_year"])


def _card(account: Account, number: str, exp_month: int, exp_year: int) -> Json:
    """The `card` hash of a PaymentMethod, with the test number's outcome kept privately."""
    if not (number.isdigit() and 13 <= len(number) <= 19 and luhn_valid(number)):
        raise _card_error("incorrect_number", "Your card number is incorrect.", "number")
    year = exp_year + 2000 if exp_year < 100 else exp_year
    today = account.now() // 86400 * 86400
    if (year, exp_month) < _year_month(today):
        raise _card_error(
            "invalid_expiry_year", "Your card's expiration year is invalid.", "exp_year"
        )
    spec = CARDS.get(number, Card(brand_of(number), "credit", "US"))
    return {
        "brand": spec.brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "pass",
        },
        "country": spec.country,
        "display_brand": spec.brand,
        "exp_month": exp_month,
        "exp_year": year,
        "fingerprint": _fingerprint(account, number),
        "funding": spec.funding,
        "generated_from": None,
        "last4": number[-4:],
        "networks": {"available": [spec.brand], "preferred": None},
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
        "_outcome": spec.outcome,
        "_failure": spec.decline_code,
        "_refund_fails": spec.refund_fails,
    }


def _year_month(timestamp: int) -> tuple[int, int]:
    """(year, month) of a Unix time, without the local time zone."""
    import datetime as dt

    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return moment.year, moment.month


def _card_error(code: str, message: str, field: str) -> StripeError:
    """Stripe's 402 card_error for card details that are wrong."""
    return StripeError(402, message, type="card_error", code=code, param=f"card[{field}]")


def _require_name_and_email(kind: str, billing: dict[str, Any]) -> None:
    """Debit mandates need the account holder's name and email, as Stripe insists."""
    for name in ("name", "email"):
        if not billing.get(name):
            raise invalid(
                f"Missing required param: billing_details[{name}].",
                param=f"billing_details[{name}]",
                code="parameter_missing",
            )


def _fingerprint(account: Account, *parts: str) -> str:
    """A per-account fingerprint of the same card or account, like Stripe's."""
    return hashlib.sha256(":".join((account.id, *parts)).encode()).hexdigest()[:16]


def _sepa(account: Account, params: dict[str, Any]) -> Json:
    """The `sepa_debit` hash from an IBAN."""
    iban = params["iban"].replace(" ", "").upper()
    if not iban_valid(iban):
        raise invalid(
            "The IBAN you provided is invalid.",
            param="sepa_debit[iban]",
            code="invalid_bank_account_iban",
        )
    return {
        "bank_code": iban[4:12],
        "branch_code": "",
        "country": iban[:2],
        "fingerprint": _fingerprint(account, iban),
        "generated_from": {"charge": None, "setup_attempt": None},
        "last4": iban[-4:],
        **_outcome(iban),
    }


def _bacs(account: Account, params: dict[str, Any]) -> Json:
    """The `bacs_debit` hash from a sort code and account number."""
    sort_code = str(params.get("sort_code", "")).replace("-", "")
    number = str(params.get("account_number", ""))
    _digits(sort_code, 6, 6, "bacs_debit[sort_code]")
    _digits(number, 8, 8, "bacs_debit[account_number]")
    return {
        "fingerprint": _fingerprint(account, sort_code, number),
        "last4": number[-4:],
        "sort_code": sort_code,
        **_outcome(f"bacs:{sort_code}:{number}"),
        "_mandate_refused": f"bacs:{sort_code}:{number}" in REFUSED_MANDATES,
    }


def _becs(account: Account, params: dict[str, Any]) -> Json:
    """The `au_becs_debit` hash from a BSB and account number."""
    bsb = str(params.get("bsb_number", "")).replace("-", "")
    number = str(params.get("account_number", ""))
    _digits(bsb, 6, 6, "au_becs_debit[bsb_number]")
    _digits(number, 5, 9, "au_becs_debit[account_number]")
    return {
        "bsb_number": bsb,
        "fingerprint": _fingerprint(account, bsb, number),
        "last4": number[-4:],
        **_outcome(f"au_becs:{bsb}:{number}"),
    }


def _acss(account: Account, params: dict[str, Any]) -> Json:
    """The `acss_debit` hash from institution, transit and account numbers."""
    institution = str(params.get("institution_number", ""))
    transit = str(params.get("transit_number", ""))
    number = str(params.get("account_number", ""))
    _digits(institution, 3, 3, "acss_debit[institution_number]")
    _digits(transit, 5, 5, "acss_debit[transit_number]")
    _digits(number, 7, 12, "acss_debit[account_number]")
    return {
        "bank_name": "STRIPE TEST BANK",
        "fingerprint": _fingerprint(account, institution, transit, number),
        "institution_number": institution,
        "last4": number[-4:],
        "transit_number": transit,
        **_outcome(f"acss:{institution}:{transit}:{number}"),
        "_microdeposits": f"acss:{institution}:{transit}:{number}" in MICRODEPOSIT_ACCOUNTS,
    }


def _ideal(_account: Account, params: dict[str, Any]) -> Json:
    """The `ideal` hash; the donor confirms on the bank's page (a stand-in page here)."""
    return {"bank": params.get("bank"), "bic": None, "_outcome": "redirect"}


_BANK_BUILDERS = {
    "sepa_debit": _sepa,
    "bacs_debit": _bacs,
    "au_becs_debit": _becs,
    "acss_debit": _acss,
    "ideal": _ideal,
}


def _outcome(account_key: str) -> Json:
    """The private outcome of a test bank account."""
    failure = FAILING_ACCOUNTS.get(account_key)
    return {"_outcome": "debit_fail" if failure else "succeed", "_failure": failure}


def _digits(value: str, shortest: int, longest: int, param: str) -> None:
    """Refuse a bank number that is not `shortest`..`longest` digits."""
    if not (value.isdigit() and shortest <= len(value) <= longest):
        raise invalid(f"Invalid {param}: must be {shortest}-{longest} digits", param=param)


def attach(account: Account, method: Json, customer: Json) -> None:
    """Attach to a customer; cards that always decline are refused, as Stripe checks them."""
    if method["customer"] == customer["id"]:
        return
    if method["customer"] is not None:
        raise invalid(
            "The payment method you provided has already been attached to a customer.",
            param="payment_method",
        )
    if method["_outcome"] == "decline":
        raise StripeError(
            402,
            "Your card was declined.",
            type="card_error",
            code="card_declined",
            decline_code=method["_failure"],
            param="payment_method",
        )
    method["customer"] = customer["id"]
    emit(account, "payment_method.attached", method)


@router.route("POST", "/v1/payment_methods", DATA_SCHEMA.extend(expand=EXPAND), publishable=True)
def create_payment_method(call: Call) -> Json:
    """POST /v1/payment_methods (Stripe.js sends card numbers here with the pk)."""
    return create_from_data(call.account, call.params, call.publishable)


@router.route("GET", "/v1/payment_methods/<ident>", Obj({"expand": EXPAND}))
def retrieve_payment_method(call: Call) -> Json:
    """GET /v1/payment_methods/:id."""
    return call.account.get(call.path["ident"], "payment_method")


@router.route(
    "POST",
    "/v1/payment_methods/<ident>",
    Obj({"billing_details": BILLING_DETAILS, "metadata": Metadata(), "expand": EXPAND}),
)
def update_payment_method(call: Call) -> Json:
    """POST /v1/payment_methods/:id: billing details and metadata."""
    method = call.account.get(call.path["ident"], "payment_method")
    for key, value in call.param("billing_details", {}).items():
        method["billing_details"][key] = value
    method["metadata"] = {**method["metadata"], **call.param("metadata", {})}
    emit(call.account, "payment_method.updated", method)
    return method


@router.route(
    "POST",
    "/v1/payment_methods/<ident>/attach",
    Obj({"customer": Str(), "expand": EXPAND}, required=("customer",)),
)
def attach_payment_method(call: Call) -> Json:
    """POST /v1/payment_methods/:id/attach."""
    method = resolve(call.account, call.path["ident"], "id")
    customer = call.account.get(call.params["customer"], "customer", "customer")
    attach(call.account, method, customer)
    return method


@router.route("POST", "/v1/payment_methods/<ident>/detach", Obj({"expand": EXPAND}))
def detach_payment_method(call: Call) -> Json:
    """POST /v1/payment_methods/:id/detach."""
    method = call.account.get(call.path["ident"], "payment_method")
    if method["customer"] is None:
        raise invalid(
            "The payment method you provided is not attached to a customer so "
            "detachment is impossible.",
            param="payment_method",
        )
    method["customer"] = None
    emit(call.account, "payment_method.detached", method)
    return method


@router.route("GET", "/v1/payment_methods", list_schema(customer=Str(), type=Enum(*TYPES)))
def list_payment_methods(call: Call) -> Json:
    """GET /v1/payment_methods?customer=…&type=…."""
    return _list(call, call.param("customer"), "/v1/payment_methods")


@router.route("GET", "/v1/customers/<ident>/payment_methods", list_schema(type=Enum(*TYPES)))
def list_customer_payment_methods(call: Call) -> Json:
    """GET /v1/customers/:id/payment_methods."""
    customer = call.account.get(call.path["ident"], "customer")
    return _list(call, customer["id"], f"/v1/customers/{customer['id']}/payment_methods")


def _list(call: Call, customer: str | None, url: str) -> Json:
    """PaymentMethods of a customer, optionally of one type."""
    kind = call.param("type")
    rows = [
        m
        for m in call.account.all("payment_method")
        if m["customer"] == customer and (kind is None or m["type"] == kind)
    ]
    return paginate(call, rows, url)
