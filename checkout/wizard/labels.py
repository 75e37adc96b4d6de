"""Donor-facing names of frequencies and payment methods, translated when shown."""

from __future__ import annotations

from checkout.site.i18n import lazy_gettext as _l

FREQUENCY_LABELS = {
    "once": _l("Once"),
    "monthly": _l("Monthly"),
    "yearly": _l("Yearly"),
}

#: "You give €50 once" / "You give €10 monthly", with the amount already formatted.
FREQUENCY_SUMMARIES = {
    "once": _l("You give %(amount)s once."),
    "monthly": _l("You give %(amount)s monthly."),
    "yearly": _l("You give %(amount)s yearly."),
}

PAY_BUTTONS = {
    "once": _l("Donate %(amount)s"),
    "monthly": _l("Donate %(amount)s monthly"),
    "yearly": _l("Donate %(amount)s yearly"),
}

METHOD_LABELS = {
    "card": _l("Card"),
    "sepa_debit": _l("SEPA Direct Debit"),
    "ideal": _l("iDEAL"),
    "bacs_debit": _l("Bacs Direct Debit"),
    "au_becs_debit": _l("BECS Direct Debit"),
    "acss_debit": _l("Pre-authorised debit"),
}

METHOD_HINTS = {
    "card": _l("Paid at once; your receipt follows in minutes."),
    "sepa_debit": _l("Debited from your bank account; this takes a few working days."),
    "ideal": _l("Pay in your own banking app; confirmed at once."),
    "bacs_debit": _l("Debited from your bank account; this takes a few working days."),
    "au_becs_debit": _l("Debited from your bank account; this takes a few business days."),
    "acss_debit": _l("Debited from your bank account; this takes a few business days."),
}

DEBIT_METHODS = frozenset({"sepa_debit", "bacs_debit", "au_becs_debit", "acss_debit"})

#: The mandate a donor gives by confirming a debit, shown on the review page. The creditor is the
#: office's legal name: the office, not the parent charity, collects the debit.
MANDATE_TEXTS = {
    "sepa_debit": _l(
        "By confirming this donation you authorise (A) %(creditor)s and Stripe, our payment "
        "service provider, to send instructions to your bank to debit your account and (B) your "
        "bank to debit your account in accordance with those instructions. As part of your "
        "rights, you are entitled to a refund from your bank under the terms and conditions of "
        "your agreement with your bank. A refund must be claimed within 8 weeks starting from "
        "the date on which your account was debited."
    ),
    "bacs_debit": _l(
        "By confirming this donation you instruct your bank to pay Direct Debits from your "
        "account to %(creditor)s, collected by Stripe, subject to the safeguards assured by the "
        "Direct Debit Guarantee. You will receive an advance notice of each debit by email."
    ),
    "au_becs_debit": _l(
        "By confirming this donation you request and authorise %(creditor)s, through Stripe, "
        "to debit your account through the Bulk Electronic Clearing System (BECS) under the "
        "Direct Debit Request service agreement, for the amount and frequency shown above."
    ),
    "acss_debit": _l(
        "By confirming this donation you authorise %(creditor)s and Stripe to debit your bank "
        "account under a pre-authorised debit (PAD) agreement for the amount and frequency "
        "shown above. You may cancel this agreement at any time with notice."
    ),
}
