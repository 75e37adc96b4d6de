"""The registry of national advancement offices, loaded from config/offices.toml.

A gift belongs to the office of the donor's country (AU, CA, DE, NL, UK), which is the merchant
of record and issues the receipt; every other country gives to the international office (INT).
The file is validated when loaded: `load_registry` refuses a bad file with an OfficeConfigError
that names the file, the office and the field of every problem.
"""

from __future__ import annotations

from checkout.offices.errors import (
    CurrencyNotAccepted,
    OfficeConfigError,
    Problem,
    UnknownOffice,
)
from checkout.offices.loader import load_registry
from checkout.offices.models import (
    FALLBACK_OFFICE,
    FREQUENCIES,
    RECEIPT_KINDS,
    CurrencyRules,
    DonorRequirements,
    LegalEntity,
    Notice,
    Office,
    Registration,
    Signatory,
    StripeSettings,
    Support,
)
from checkout.offices.registry import OfficeRegistry

__all__ = [
    "FALLBACK_OFFICE",
    "FREQUENCIES",
    "RECEIPT_KINDS",
    "CurrencyNotAccepted",
    "CurrencyRules",
    "DonorRequirements",
    "LegalEntity",
    "Notice",
    "Office",
    "OfficeConfigError",
    "OfficeRegistry",
    "Problem",
    "Registration",
    "Signatory",
    "StripeSettings",
    "Support",
    "UnknownOffice",
    "load_registry",
]
