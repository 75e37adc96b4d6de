"""Settlement currency: a charge in another currency than the account's settles converted.

"If applicable, this transaction uses an exchange rate. If money converts from currency A to
currency B, then the `amount` in currency A, multiplied by the `exchange_rate`, equals the
`amount` in currency B" (the SDK's docstring of `BalanceTransaction.exchange_rate`; how
conversions work: https://docs.stripe.com/currencies). Balance transactions, fees and payouts
are then in the account's default currency.

An account whose default currency was never set (`configure_account`) settles every currency
as it was charged, as an account with a bank account in each currency would; the demo sets
each office's default currency. The rates are fixed so tests can compute every amount; Stripe
uses the day's rate plus a conversion fee (not modelled, see the README).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from checkout.testing.stripe_standin.errors import invalid
from checkout.testing.stripe_standin.params import ZERO_DECIMAL
from checkout.testing.stripe_standin.store import Account

#: Units of the second currency per unit of the first (both with two decimals).
RATES: dict[tuple[str, str], Decimal] = {
    ("eur", "usd"): Decimal("1.0850"),
    ("eur", "gbp"): Decimal("0.8500"),
    ("eur", "cad"): Decimal("1.4800"),
    ("eur", "aud"): Decimal("1.6500"),
    ("usd", "eur"): Decimal("0.9200"),
    ("usd", "gbp"): Decimal("0.7800"),
    ("usd", "cad"): Decimal("1.3600"),
    ("usd", "aud"): Decimal("1.5200"),
    ("gbp", "eur"): Decimal("1.1700"),
    ("gbp", "usd"): Decimal("1.2700"),
    ("cad", "usd"): Decimal("0.7300"),
    ("aud", "usd"): Decimal("0.6600"),
}


@dataclass(frozen=True)
class Settled:
    """An amount as it reaches the account's balance."""

    amount: int  # minor units of `currency`
    currency: str
    exchange_rate: Decimal | None  # None when nothing was converted


def settle(account: Account, amount: int, currency: str) -> Settled:
    """`amount` of `currency` (minor units, signed) in the account's settlement currency."""
    target = account.default_currency
    if target is None or target == currency:
        return Settled(amount, currency, None)
    rate = RATES.get((currency, target))
    if rate is None or currency in ZERO_DECIMAL or target in ZERO_DECIMAL:
        raise invalid(
            f"The stand-in cannot convert {currency} into {target} (no rate in currency.RATES).",
            param="currency",
            code="standin_unsupported",
        )
    converted = (Decimal(amount) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Settled(int(converted), target, rate)
