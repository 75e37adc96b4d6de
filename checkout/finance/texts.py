"""What each exception means and what to do about it, in the staff member's language."""

from __future__ import annotations

from flask_babel.speaklater import LazyString

from checkout.finance import reconciliation as r
from checkout.site.i18n import lazy_gettext as _l

#: kind -> (what it is, what to do)
KINDS: dict[str, tuple[LazyString, LazyString]] = {
    r.CHARGE_NOT_OURS: (
        _l("A charge at Stripe with no gift of ours"),
        _l(
            "Find the charge in the Stripe dashboard. If someone charged a donor there by "
            "hand, record the gift with the office; if nobody knows it, refund it."
        ),
    ),
    r.MISSING_AT_STRIPE: (
        _l("A gift we think kept that no payout shows"),
        _l(
            "Look the charge up at Stripe: it may still be pending, have failed or been "
            "refunded there. Run finance sync; if Stripe has no such charge, tell support."
        ),
    ),
    r.AMOUNT_MISMATCH: (
        _l("The amount differs from Stripe's"),
        _l(
            "Stripe's amount is what was charged. Find out who changed ours and why; "
            "correct the receipt if it shows the wrong amount."
        ),
    ),
    r.CURRENCY_MISMATCH: (
        _l("The currency differs from Stripe's"),
        _l(
            "Check the gift's currency and the account's settlement currency at Stripe; "
            "correct the receipt if it shows the wrong currency."
        ),
    ),
    r.RECEIPT_NOT_KEPT: (
        _l("A receipt for money we never kept"),
        _l("The payment failed or was cancelled: void the receipt in the support console."),
    ),
    r.RECEIPT_MISSING: (
        _l("Money kept with no receipt after its due time"),
        _l(
            "Look for a dead message in the support console and retry it; if there is none, "
            "resend the receipt from the donor's page."
        ),
    ),
    r.RECEIPT_NOT_VOIDED: (
        _l("A refund or lost dispute whose receipt was not voided"),
        _l("Void the receipt (or correct it to the amount kept) in the support console."),
    ),
    r.PAYOUT_UNBALANCED: (
        _l("The payout's lines do not add up to the payout"),
        _l("Run finance sync for the office; if it still differs, ask Stripe's support."),
    ),
}


def title(kind: str) -> str:
    """What the exception is."""
    return str(KINDS[kind][0]) if kind in KINDS else kind


def advice(kind: str) -> str:
    """What to do."""
    return str(KINDS[kind][1]) if kind in KINDS else ""
