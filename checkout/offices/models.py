"""The national advancement offices as immutable values, and the vocabulary the config may use.

Everything here is read from config/offices.toml by the loader and never changed afterwards, so
the values are frozen dataclasses; mapping fields are read-only views and are left out of the
hash (a mapping cannot be hashed, and an office is identified by its code anyway).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from checkout.core.money import Money

#: The office that receives every donor whose country no national office lists. It is the only
#: office without a `countries` list.
FALLBACK_OFFICE: Final = "INT"

#: How often a donor may give. "once" is a one-off PaymentIntent; the others are subscriptions.
FREQUENCIES: Final[tuple[str, ...]] = ("once", "monthly", "yearly")

#: Receipt kinds, one per legal regime (see shared/domain/offices-and-receipts.md).
RECEIPT_KINDS: Final[tuple[str, ...]] = (
    "de_zuwendungsbestaetigung",
    "uk_gift_aid",
    "ca_official_receipt",
    "au_dgr",
    "nl_anbi",
    "us_501c3",
)

#: The registration numbers each receipt kind prints, and whether each is text or a date.
REGISTRATION_FIELDS: Final[Mapping[str, Mapping[str, type]]] = {
    "de_zuwendungsbestaetigung": {
        "tax_number": str,
        "tax_office": str,
        "exemption_notice_date": date,
        "tax_privileged_purpose": str,
        "assessment_period": int,
        "machine_receipts_notified": bool,
    },
    "uk_gift_aid": {"charity_number": str},
    "ca_official_receipt": {"registration_number": str},
    "au_dgr": {"abn": str},
    "nl_anbi": {"rsin": str},
    "us_501c3": {"ein": str},
}

#: Stripe payment_method types we offer, with the only currencies each can charge (None: any).
#: Bank debits are tied to the currency of the bank system they run on.
METHOD_CURRENCIES: Final[Mapping[str, frozenset[str] | None]] = {
    "card": None,
    "sepa_debit": frozenset({"EUR"}),
    "ideal": frozenset({"EUR"}),
    "bacs_debit": frozenset({"GBP"}),
    "au_becs_debit": frozenset({"AUD"}),
    "acss_debit": frozenset({"CAD"}),
}

#: Bank debits: the donor gives a mandate (shown on review, recorded in the consent ledger), and
#: the money settles days later.
DEBIT_METHODS: Final[frozenset[str]] = frozenset(
    {"sepa_debit", "bacs_debit", "au_becs_debit", "acss_debit"}
)

#: Methods limited to some frequencies. iDEAL is a one-off bank redirect: a monthly gift that
#: starts with iDEAL continues as a SEPA debit, so a recurring gift offers sepa_debit instead.
METHOD_FREQUENCIES: Final[Mapping[str, frozenset[str]]] = {"ideal": frozenset({"once"})}

#: When the wizard asks for the donor's postal address.
ADDRESS_RULES: Final[tuple[str, ...]] = ("required", "with_gift_aid", "optional")

#: Why a notice is shown; the consent ledger records the same purpose names.
NOTICE_PURPOSES: Final[tuple[str, ...]] = (
    "data_transfer",
    "privacy",
    "email_fundraising",
    "sms_fundraising",
    "gift_aid_declaration",
    "direct_debit_mandate",
)


@dataclass(frozen=True, slots=True)
class Signatory:
    """The person whose name and title are printed under a receipt."""

    name: str
    title: str


@dataclass(frozen=True, slots=True)
class Support:
    """Where a donor of this office gets help; printed on receipts and emails."""

    email: str
    phone: str  # as printed, international format ("+44 20 7946 0000")
    privacy_url: str  # the office's privacy notice (linked from every page)
    imprint_url: str  # its legal imprint (Impressum, "about us": who runs this service)


@dataclass(frozen=True, slots=True)
class Registration:
    """The office's registration numbers; only those its receipt kind needs are set."""

    tax_number: str | None = None  # DE Steuernummer
    tax_office: str | None = None  # DE Finanzamt that issued the exemption notice
    exemption_notice_date: date | None = None  # DE Freistellungsbescheid; a receipt needs < 5 y
    tax_privileged_purpose: str | None = None  # DE steuerbegünstigter Zweck, as in the notice
    charity_number: str | None = None  # UK Charity Commission / OSCR number
    registration_number: str | None = None  # CA CRA business number, 123456789RR0001
    abn: str | None = None  # AU Australian Business Number, 11 digits
    rsin: str | None = None  # NL RSIN of the ANBI, 9 digits
    ein: str | None = None  # US Employer Identification Number, 12-3456789
    assessment_period: int | None = None  # DE: the last Veranlagungszeitraum the notice covers
    #: DE: the Finanzamt was told receipts are made by machine (valid without signature)
    machine_receipts_notified: bool = False


@dataclass(frozen=True, slots=True)
class LegalEntity:
    """The body that owns the gift and issues the receipt, as registered with its regulator."""

    legal_name: str
    address: tuple[str, ...]  # postal address, one line per element
    registration: Registration


@dataclass(frozen=True, slots=True)
class StripeSettings:
    """Names of the environment variables holding this office's Stripe credentials.

    The secrets themselves never sit in the file: each office has its own Stripe account,
    because the office is the merchant of record.
    """

    secret_key_env: str
    publishable_key_env: str
    webhook_secret_env: str
    sepa_creditor_id: str | None  # SEPA creditor identifier; set where the office debits EUR


@dataclass(frozen=True, slots=True)
class DonorRequirements:
    """What the wizard must ask a donor of this office for."""

    address: str  # one of ADDRESS_RULES; "with_gift_aid" asks only when Gift Aid is ticked
    middle_initial: bool  # CRA receipts carry the donor's full name with middle initial
    gift_aid: bool  # offer the UK Gift Aid declaration


@dataclass(frozen=True, slots=True)
class Notice:
    """A text shown to the donor whose exact wording and version the consent ledger records."""

    purpose: str  # one of NOTICE_PURPOSES
    version: str  # changes whenever any translation changes, e.g. "2026-11-01"
    texts: Mapping[str, str] = field(hash=False)  # language code -> text, every language
    # Email fundraising only: a grant counts once the donor clicks the link we email (Germany).
    double_opt_in: bool = False
    # Email fundraising only: a gift implies consent to fundraising messages for this many
    # years (Canada's anti-spam law: 2); the ledger records when it lapses.
    implied_consent_years: int | None = None

    def text(self, language: str) -> str:
        """Return the text in `language` (every supported language is present)."""
        return self.texts[language]


@dataclass(frozen=True, slots=True)
class CurrencyRules:
    """What an office accepts in one currency; all amounts are Money in that currency."""

    currency: str  # ISO 4217 code
    presets: tuple[Money, ...]  # the amount buttons, in the order shown
    minimum: Money  # smallest gift; keeps card testers' tiny charges out
    maximum: Money  # largest gift taken online
    fee_percent_bp: int  # estimated processing fee, basis points of the gift (150 = 1.5 %)
    fee_fixed: Money  # estimated fixed processing fee per payment
    methods: Mapping[str, tuple[str, ...]] = field(hash=False)  # frequency -> Stripe methods

    def methods_for(self, frequency: str) -> tuple[str, ...]:
        """Return the payment methods offered for `frequency`, or () when it is not offered."""
        return self.methods.get(frequency, ())


#: The ledger accounts a payout's journal books to, named per office in its `accounts` table.
LEDGER_ACCOUNTS: Final[tuple[str, ...]] = (
    "bank",  # the bank account payouts arrive in
    "stripe_balance",  # the clearing account for the Stripe balance
    "donations",  # gift income
    "fees",  # Stripe's processing and dispute fees
    "refunds",  # gifts given back
    "disputes",  # chargebacks withdrawn (and reinstated)
    "other",  # anything else Stripe books (adjustments, ...)
)


@dataclass(frozen=True, slots=True)
class LedgerAccounts:
    """The office's account codes for each ledger account of the journal export."""

    bank: str
    stripe_balance: str
    donations: str
    fees: str
    refunds: str
    disputes: str
    other: str


@dataclass(frozen=True, slots=True)
class Office:
    """A national advancement office (or the international fallback office)."""

    code: str  # "DE", "UK", ..., "INT"; used in receipt numbers and Stripe metadata
    name: str  # display name
    legal: LegalEntity
    countries: frozenset[str]  # ISO 3166 alpha-2 codes of donors it serves; empty for INT
    default_currency: str  # preselected in the wizard; one of `currencies`
    languages: tuple[str, ...]  # languages it writes receipts in, preferred first
    receipt_kind: str  # one of RECEIPT_KINDS
    signatory: Signatory
    receipt_per_instalment: bool  # False: recurring gifts get an annual statement instead
    retention_years: int  # tax records are kept this many years after the year of the gift
    time_zone: str  # IANA zone: receipt dates and tax-year boundaries are its local days
    example: bool  # its legal data is still the shipped EXAMPLE: production refuses to start
    stripe: StripeSettings
    support: Support
    donor: DonorRequirements
    frequencies: tuple[str, ...]  # subset of FREQUENCIES, in the order shown
    currencies: Mapping[str, CurrencyRules] = field(hash=False)  # ISO code -> rules
    notices: Mapping[str, Notice] = field(hash=False)  # purpose -> notice
    accounts: LedgerAccounts  # account codes of the journal export for the books

    @property
    def zone(self) -> ZoneInfo:
        """The office's time zone."""
        return ZoneInfo(self.time_zone)

    def local_date(self, moment: datetime) -> date:
        """The office's calendar day at `moment` (an aware datetime)."""
        return moment.astimezone(self.zone).date()

    @property
    def is_fallback(self) -> bool:
        """Tell whether this office receives every country no other office lists."""
        return self.code == FALLBACK_OFFICE
