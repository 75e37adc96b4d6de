"""Products and Prices, including the inline `price_data` that subscriptions use."""

from __future__ import annotations

from typing import Any

from checkout.testing.stripe_standin.customers import merge_metadata
from checkout.testing.stripe_standin.events import emit
from checkout.testing.stripe_standin.lists import matches, paginate
from checkout.testing.stripe_standin.params import (
    EXPAND,
    Bool,
    Currency,
    Emptyable,
    Enum,
    Int,
    Metadata,
    Node,
    Obj,
    Str,
    check_amount,
    list_schema,
)
from checkout.testing.stripe_standin.routing import Call, Router
from checkout.testing.stripe_standin.store import Account, new_id
from checkout.testing.stripe_standin.store import Obj as Json

router = Router()

RECURRING = Obj(
    {"interval": Enum("day", "week", "month", "year"), "interval_count": Int(1, 365)},
    required=("interval",),
)
#: `price_data` as subscription items take it: the product must already exist.
PRICE_DATA = Obj(
    {
        "currency": Currency(),
        "product": Str(),
        "unit_amount": Int(0),
        "recurring": RECURRING,
        "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
    },
    required=("currency", "product", "recurring"),
)
_PRODUCT: dict[str, Node] = {
    "name": Str(250),
    "description": Emptyable(Str()),
    "metadata": Metadata(),
    "active": Bool(),
    "statement_descriptor": Str(22),
    "expand": EXPAND,
}


@router.route("POST", "/v1/products", Obj({**_PRODUCT, "id": Str()}, required=("name",)))
def create_product(call: Call) -> Json:
    """POST /v1/products."""
    account, params = call.account, call.params
    now = account.now()
    product = account.add(
        {
            "id": params.get("id") or new_id("prod", 14),
            "object": "product",
            "active": params.get("active", True),
            "created": now,
            "default_price": None,
            "description": params.get("description"),
            "images": [],
            "livemode": False,
            "marketing_features": [],
            "metadata": merge_metadata({}, params.get("metadata", {})),
            "name": params["name"],
            "package_dimensions": None,
            "shippable": None,
            "statement_descriptor": params.get("statement_descriptor"),
            "tax_code": None,
            "type": "service",
            "unit_label": None,
            "updated": now,
            "url": None,
        }
    )
    emit(account, "product.created", product)
    return product


@router.route("GET", "/v1/products/<ident>", Obj({"expand": EXPAND}))
def retrieve_product(call: Call) -> Json:
    """GET /v1/products/:id."""
    return call.account.get(call.path["ident"], "product")


@router.route("GET", "/v1/products", list_schema(active=Bool()))
def list_products(call: Call) -> Json:
    """GET /v1/products."""
    rows = [p for p in call.account.all("product") if matches(p, active=call.param("active"))]
    return paginate(call, rows, "/v1/products")


def create_price(account: Account, data: dict[str, Any], param: str = "price_data") -> Json:
    """A price from `price_data`-style parameters (`unit_amount` in minor units)."""
    account.get(data["product"], "product", f"{param}[product]")
    amount = data.get("unit_amount")
    if amount is None:
        from checkout.testing.stripe_standin.errors import invalid

        raise invalid(
            f"Missing required param: {param}[unit_amount].",
            param=f"{param}[unit_amount]",
            code="parameter_missing",
        )
    check_amount(amount, data["currency"], f"{param}[unit_amount]")
    recurring = data.get("recurring")
    return account.add(
        {
            "id": new_id("price"),
            "object": "price",
            "active": True,
            "billing_scheme": "per_unit",
            "created": account.now(),
            "currency": data["currency"],
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": None,
            "metadata": dict(data.get("metadata", {})),
            "nickname": None,
            "product": data["product"],
            "recurring": {
                "interval": recurring["interval"],
                "interval_count": recurring.get("interval_count", 1),
                "meter": None,
                "usage_type": "licensed",
            }
            if recurring
            else None,
            "tax_behavior": data.get("tax_behavior", "unspecified"),
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring" if recurring else "one_time",
            "unit_amount": amount,
            "unit_amount_decimal": str(amount),
        }
    )


@router.route(
    "POST",
    "/v1/prices",
    Obj(
        {
            "currency": Currency(),
            "product": Str(),
            "unit_amount": Int(0),
            "recurring": RECURRING,
            "metadata": Metadata(),
            "expand": EXPAND,
            "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
        },
        required=("currency", "product"),
    ),
)
def create_price_route(call: Call) -> Json:
    """POST /v1/prices."""
    price = create_price(call.account, call.params)
    emit(call.account, "price.created", price)
    return price


@router.route("GET", "/v1/prices/<ident>", Obj({"expand": EXPAND}))
def retrieve_price(call: Call) -> Json:
    """GET /v1/prices/:id."""
    return call.account.get(call.path["ident"], "price")


@router.route("GET", "/v1/prices", list_schema(product=Str(), active=Bool()))
def list_prices(call: Call) -> Json:
    """GET /v1/prices, by product."""
    rows = [
        p
        for p in call.account.all("price")
        if matches(p, product=call.param("product"), active=call.param("active"))
    ]
    return paginate(call, rows, "/v1/prices")
