"""`make demo` without a Stripe account: demo keys per office, and its webhooks registered.

Every office gets a stand-in account of its own (as each has its own Stripe account). Keys
come from the environment variables that config/offices.toml names for the office; when one
is unset, a fixed demo value is used (`sk_test_demo_de`, `whsec_demo_de`, ...). They are
public on purpose: they only ever open accounts on the stand-in, and production refuses test
keys.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping

from checkout.offices import OfficeRegistry, load_registry
from checkout.paths import CONFIG_DIR
from checkout.testing.stripe_standin.store import Endpoint, Store, new_id


def offices() -> OfficeRegistry:
    """The offices registry the app uses."""
    return load_registry(CONFIG_DIR / "offices.toml")


def demo_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Each office's Stripe variables: as set in `environ`, else the office's demo value."""
    values: dict[str, str] = {}
    for office in offices():
        code = office.code.lower()
        settings = office.stripe
        for name, demo in (
            (settings.secret_key_env, f"sk_test_demo_{code}"),
            (settings.publishable_key_env, f"pk_test_demo_{code}"),
            (settings.webhook_secret_env, f"whsec_demo_{code}"),
        ):
            values[name] = environ.get(name) or demo
    return values


def export_lines(environ: Mapping[str, str]) -> str:
    """Shell `export` lines for the demo variables, for `eval` in the Makefile."""
    return "\n".join(
        f"export {name}={shlex.quote(value)}" for name, value in demo_environment(environ).items()
    )


def register_offices(store: Store, url_template: str) -> None:
    """Register the app's webhook URL (`{office}` filled in) in every office's account, and
    settle each account in its office's default currency (a gift in another currency is
    converted, as in the office's own Stripe account); each pays out its available balance
    daily, as a live account does (the finance console's payouts)."""
    values = demo_environment(os.environ)
    for office in offices():
        secret_key = values[office.stripe.secret_key_env]
        account = store.account(secret_key.split("_", 2)[2])
        account.default_currency = office.default_currency.lower()
        account.automatic_payouts = True
        account.last_payout_day = account.now() // 86_400
        endpoint = Endpoint(
            new_id("we"),
            url_template.format(office=office.code),
            values[office.stripe.webhook_secret_env],
            ["*"],
        )
        account.endpoints[endpoint.id] = endpoint
