"""Stripe's test card numbers and bank accounts, and what each one does.

An outcome is one of: "succeed"; "decline" (refused at attach and charge); "decline_on_charge"
(4000 0000 0000 0341: attaches, then every charge fails); "authenticate" (3-D Secure on
session; saved for off-session use, later payments need none); "authenticate_always" (every
payment, even off-session); "redirect" (iDEAL's bank page); "debit_fail" (a bank debit that
is submitted, then fails when it settles).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Card:
    """A test card: brand, funding, issuing country and its outcome."""

    brand: str
    funding: str
    country: str
    outcome: str = "succeed"
    decline_code: str | None = None  # Stripe's decline_code, or the error code for cvc/expiry
    refund_fails: bool = False  # a refund starts `succeeded`, then fails (charge.refund.updated)


CARDS: dict[str, Card] = {
    "4242424242424242": Card("visa", "credit", "US"),
    "4000056655665556": Card("visa", "debit", "US"),
    "5555555555554444": Card("mastercard", "credit", "US"),
    "378282246310005": Card("amex", "credit", "US"),
    "4000002760000016": Card("visa", "credit", "DE"),
    "4000005280000002": Card("visa", "credit", "NL"),
    "4000008260000000": Card("visa", "credit", "GB"),
    "4000000360000006": Card("visa", "credit", "AU"),
    "4000001240000000": Card("visa", "credit", "CA"),
    "4000000000000002": Card("visa", "credit", "US", "decline", "generic_decline"),
    "4000000000009995": Card("visa", "credit", "US", "decline", "insufficient_funds"),
    "4000000000009987": Card("visa", "credit", "US", "decline", "lost_card"),
    "4000000000000069": Card("visa", "credit", "US", "decline", "expired_card"),
    "4000000000000127": Card("visa", "credit", "US", "decline", "incorrect_cvc"),
    "4000000000000341": Card("visa", "credit", "US", "decline_on_charge", "generic_decline"),
    "4000000000005126": Card("visa", "credit", "US", refund_fails=True),
    "4000002500003155": Card("visa", "credit", "US", "authenticate"),
    "4000002760003184": Card("visa", "credit", "DE", "authenticate_always"),
    "4000000000003220": Card("visa", "credit", "US", "authenticate_always"),
}

#: Stripe's test PaymentMethod ids; each use makes a fresh PaymentMethod from the number.
PM_ALIASES: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_de": "4000002760000016",
    "pm_card_nl": "4000005280000002",
    "pm_card_gb": "4000008260000000",
    "pm_card_au": "4000000360000006",
    "pm_card_ca": "4000001240000000",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_refundFail": "4000000000005126",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_threeDSecure2Required": "4000000000003220",
}

#: Bank accounts whose debits fail when they settle, and the failure code; every other valid
#: account settles successfully (as Stripe's "…3000" / "000123456" test accounts do).
FAILING_ACCOUNTS: dict[str, str] = {
    "DE62370400440532013001": "insufficient_funds",
    "AT861904300235473202": "insufficient_funds",
    "bacs:108800:90012345": "insufficient_funds",
    "bacs:108800:22222227": "debit_not_authorized",
    "au_becs:000000:900123456": "insufficient_funds",
    "acss:000:11000:900123456789": "insufficient_funds",
}
#: Bacs accounts whose bank refuses the new mandate (its first debit then fails); the
#: stand-in's own choice of Stripe's test account numbers (not confirmed).
REFUSED_MANDATES = frozenset({"bacs:108800:93333335"})
#: ACSS accounts that cannot be verified instantly: micro-deposits (the stand-in's own).
MICRODEPOSIT_ACCOUNTS = frozenset({"acss:000:11000:000999999999"})


def brand_of(number: str) -> str:
    """A card brand from the number's prefix, for numbers not in the table."""
    if number.startswith(("34", "37")):
        return "amex"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    return "visa"


def luhn_valid(number: str) -> bool:
    """Tell whether a card number passes the Luhn check (typos fail it)."""
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """Tell whether an IBAN has the right shape and ISO 13616 check digits."""
    if not (
        15 <= len(iban) <= 34
        and iban[:2].isalpha()
        and iban[2:4].isdigit()
        and iban.isalnum()
        and iban.isascii()
    ):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1
