"""The estimated processing fee a donor may choose to cover."""

from __future__ import annotations

from checkout.core.money import Money
from checkout.offices import CurrencyRules

_BASIS_POINTS = 10_000


def covered_fee(gift: Money, rules: CurrencyRules) -> Money:
    """The fee to add so that, after the estimated fee on the total, the charity gets `gift`.

    The fee is charged on the total, not on the gift, so the total is grossed up:
    total = (gift + fixed) / (1 - rate), rounded up to the next minor unit.
    """
    numerator = (gift.minor + rules.fee_fixed.minor) * _BASIS_POINTS
    denominator = _BASIS_POINTS - rules.fee_percent_bp
    total_minor = -(-numerator // denominator)  # ceiling division, integers only
    return Money(total_minor - gift.minor, gift.currency)
