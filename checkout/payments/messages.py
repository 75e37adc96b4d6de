"""Card and bank errors in the donor's language, keyed by Stripe's codes."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

_MESSAGES = {
    "card_declined": _l("Your card was declined. Please try another card or payment method."),
    "generic_decline": _l("Your card was declined. Please try another card or payment method."),
    "insufficient_funds": _l("Your card has insufficient funds. Please try another card."),
    "expired_card": _l("Your card has expired. Please try another card."),
    "incorrect_cvc": _l("The security code is incorrect. Please check it and try again."),
    "incorrect_number": _l("The card number is incorrect. Please check it and try again."),
    "processing_error": _l(
        "Something went wrong while processing your card. Please try again in a moment."
    ),
    "authentication_required": _l(
        "Your bank needs you to confirm this payment. Please try "
        "again and follow your bank's steps."
    ),
    "payment_intent_authentication_failure": _l(
        "Your bank could not confirm this payment. Please try again or use another card."
    ),
    "invalid_iban": _l("The IBAN is not valid. Please check it and try again."),
}


def decline_messages() -> dict[str, str]:
    """Every known code's message, translated for this request, plus a fallback."""
    messages = {code: str(message) for code, message in _MESSAGES.items()}
    messages["default"] = _(
        "Your payment did not go through. Please check your details or try another payment method."
    )
    return messages
