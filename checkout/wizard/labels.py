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
