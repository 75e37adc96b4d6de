"""Read and validate config/offices.toml into an OfficeRegistry.

Validation collects every problem before refusing, so one start-up shows all that is wrong in
the file. A section that cannot be read is abandoned (its problem recorded) and the others are
still checked; nothing is returned unless the whole file is clean.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import ParamSpec, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from stdnum.au import abn
from stdnum.ca import bn
from stdnum.de import stnr
from stdnum.nl import bsn
from stdnum.us import ein

from checkout.core import currencies
from checkout.core.errors import AmountParseError
from checkout.core.languages import SUPPORTED_LANGUAGES
from checkout.core.money import Money
from checkout.offices.errors import OfficeConfigError
from checkout.offices.models import (
    ADDRESS_RULES,
    DEBIT_METHODS,
    FALLBACK_OFFICE,
    FREQUENCIES,
    LEDGER_ACCOUNTS,
    METHOD_CURRENCIES,
    METHOD_FREQUENCIES,
    NOTICE_PURPOSES,
    RECEIPT_KINDS,
    REGISTRATION_FIELDS,
    CurrencyRules,
    DonorRequirements,
    LedgerAccounts,
    LegalEntity,
    Notice,
    Office,
    Registration,
    Signatory,
    StripeSettings,
    Support,
)
from checkout.offices.registry import OfficeRegistry
from checkout.offices.toml_reader import Context, Invalid, Section, attempt, describe

T = TypeVar("T")
P = ParamSpec("P")

# Every key a table may hold: anything else is refused, since it is usually a typo.
_OFFICE_KEYS = frozenset(
    {"name", "legal_name", "address", "countries", "default_currency", "languages"}
    | {"registration", "receipt_kind", "signatory", "receipt_per_instalment", "stripe"}
    | {"support", "donor", "frequencies", "currencies", "notices", "retention_years"}
    | {"example", "time_zone", "accounts"}
)
#: A ledger account code: what charts of accounts use (digits, letters, dots, dashes).
_ACCOUNT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.:/-]{0,31}")
_CURRENCY_KEYS = frozenset(
    {"presets", "minimum", "maximum", "fee_percent_bp", "fee_fixed", "methods"}
)
_STRIPE_KEYS = frozenset(
    {"secret_key_env", "publishable_key_env", "webhook_secret_env", "sepa_creditor_id"}
)

#: CLDR territories that are not countries a donor lives in: groupings, the unknown region,
#: pseudo-locales, and ISO's "exceptionally reserved" codes that payment forms never send.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})
_NOT_COUNTRIES |= {"AC", "CP", "CQ", "DG", "EA", "IC", "TA"}
_COUNTRIES = frozenset(
    code
    for code in Locale("en").territories
    if isinstance(code, str) and len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
)

_AMOUNT = re.compile(r"\d+(\.\d+)?")  # plain decimal: no sign, exponent, NaN or blanks
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_OFFICE_CODE = re.compile(r"[A-Z]{2,3}")
#: Registration numbers python-stdnum can check (check digits, length, region formats). The
#: CRA's charity program "RR" is not one stdnum knows, so only the business number's first nine
#: digits are checked; RSINs use the same 11-test as the BSN.
_CHECKED: Mapping[str, tuple[Callable[[str], bool], str]] = {
    "abn": (abn.is_valid, "ABN"),
    "registration_number": (lambda number: bn.is_valid(number[:9]), "Canadian business number"),
    "ein": (ein.is_valid, "EIN"),
    "rsin": (bsn.is_valid, "RSIN"),
    "tax_number": (stnr.is_valid, "German Steuernummer"),
}
_FORMATS: Mapping[str, tuple[re.Pattern[str], str]] = {
    "registration_number": (re.compile(r"\d{9}RR\d{4}"), "a CRA number like 123456789RR0001"),
    "abn": (re.compile(r"\d{2} ?\d{3} ?\d{3} ?\d{3}"), "11 digits like 51 824 753 556"),
    "rsin": (re.compile(r"\d{9}"), "9 digits"),
    "ein": (re.compile(r"\d{2}-\d{7}"), "an EIN like 12-3456789"),
}


def load_registry(path: Path) -> OfficeRegistry:
    """Read and validate the offices file at `path`, or raise OfficeConfigError."""
    ctx = Context(str(path))
    document = _parse(path, ctx.file)
    offices = _offices(document, ctx)
    if ctx.problems:
        raise OfficeConfigError(ctx.problems)
    return OfficeRegistry(offices, source=ctx.file)


def _parse(path: Path, file: str) -> dict[str, object]:
    """Return the parsed TOML document, or raise naming the file (and line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise OfficeConfigError.single(file, None, "", f"cannot read: {error}") from error
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(file, text, str(error)) from error


def _syntax_error(file: str, text: str, message: str) -> OfficeConfigError:
    """Turn tomllib's message into a Problem naming the line and the office it is in."""
    # tomllib (3.11) gives the position only inside its message: "... (at line 3, column 5)".
    found = re.search(r"\(at line (\d+), column (\d+)\)$", message)
    if found is None:
        return OfficeConfigError.single(file, None, "", f"not valid TOML: {message}")
    line = int(found[1])
    before = "\n".join(text.splitlines()[: line - 1])
    headers = re.findall(r"^\s*\[+\s*offices\.([A-Za-z]+)", before, re.M)
    where = f"line {line}, column {found[2]}"
    reason = message[: found.start()].strip()
    office = headers[-1] if headers else None
    return OfficeConfigError.single(file, office, where, f"not valid TOML: {reason}")


def _offices(document: Mapping[str, object], ctx: Context) -> list[Office]:
    """Read every [offices.XX] table, in file order, plus the file-wide checks."""
    for key in document:
        if key != "offices":
            ctx.report(None, key, "unknown top-level key; the file holds only [offices.XX] tables")
    raw = document.get("offices")
    if not isinstance(raw, dict) or not raw:
        ctx.report(None, "offices", "missing: the file must hold [offices.XX] tables")
        return []
    if FALLBACK_OFFICE not in raw:
        ctx.report(FALLBACK_OFFICE, f"[offices.{FALLBACK_OFFICE}]", _NO_FALLBACK)
    built = (attempt(_office, code, table, ctx) for code, table in raw.items())
    return [office for office in built if office is not None]


_NO_FALLBACK = "missing: the international office is the fallback for every unmapped country"


def _office(code: str, raw: object, ctx: Context) -> Office:
    """Read one office table; every section is checked even when an earlier one fails."""
    sec = _office_section(code, raw, ctx)
    head = attempt(_head, sec)
    kind = head.receipt_kind if head else None
    countries = attempt(_countries, sec)
    legal = attempt(_legal, sec, kind)
    people = attempt(_people, sec)
    donor = attempt(_donor, sec, kind)
    rules = attempt(_currencies, sec, head.frequencies if head else None)
    stripe = attempt(_stripe, sec, rules)
    notices = attempt(_notices, sec, donor, _offers_debits(rules))
    accounts = attempt(_accounts, sec)
    if head and rules and head.default_currency not in rules:
        accepted = ", ".join(rules)
        sec.report("default_currency", f"{head.default_currency} is not accepted ({accepted})")
    if head is None or countries is None or legal is None or people is None or donor is None:
        raise Invalid
    if rules is None or stripe is None or notices is None or accounts is None:
        raise Invalid
    parts = (countries, legal, people, donor, rules, stripe, notices, accounts)
    return _assemble(code, head, *parts)


def _assemble(
    code: str,
    head: _Head,
    countries: frozenset[str],
    legal: LegalEntity,
    people: tuple[Signatory, Support],
    donor: DonorRequirements,
    rules: Mapping[str, CurrencyRules],
    stripe: StripeSettings,
    notices: Mapping[str, Notice],
    accounts: LedgerAccounts,
) -> Office:
    """Build the Office from its validated parts."""
    return Office(
        code=code,
        name=head.name,
        legal=legal,
        countries=countries,
        default_currency=head.default_currency,
        languages=head.languages,
        receipt_kind=head.receipt_kind,
        signatory=people[0],
        receipt_per_instalment=head.receipt_per_instalment,
        retention_years=head.retention_years,
        time_zone=head.time_zone,
        example=head.example,
        stripe=stripe,
        support=people[1],
        donor=donor,
        frequencies=head.frequencies,
        currencies=MappingProxyType(dict(rules)),
        notices=notices,
        accounts=accounts,
    )


def _accounts(sec: Section) -> LedgerAccounts:
    """Read the journal's account codes: every ledger account, each a plain code."""
    table = sec.table("accounts")
    table.only(set(LEDGER_ACCOUNTS))
    codes = {name: table.text(name) for name in LEDGER_ACCOUNTS}
    for name, code in codes.items():
        if not _ACCOUNT_CODE.fullmatch(code):
            table.report(name, f"{code!r} is not an account code (letters, digits, . : / -)")
    if any(not _ACCOUNT_CODE.fullmatch(code) for code in codes.values()):
        raise Invalid
    return LedgerAccounts(**codes)


def _office_section(code: str, raw: object, ctx: Context) -> Section:
    """Check an office's code and that it is a table with known keys."""
    where = f"[offices.{code}]"
    if not _OFFICE_CODE.fullmatch(code):
        ctx.report(code, where, "an office code is 2 or 3 upper-case letters")
    if not isinstance(raw, dict):
        ctx.report(code, where, f"expected a table, got {describe(raw)}")
        raise Invalid
    sec = Section(ctx, code, "", raw)
    sec.only(_OFFICE_KEYS)
    return sec


@dataclass(frozen=True)
class _Head:
    """The office's scalar settings, read before the sections that depend on them."""

    name: str
    default_currency: str
    languages: tuple[str, ...]
    receipt_kind: str
    receipt_per_instalment: bool
    frequencies: tuple[str, ...]
    retention_years: int
    time_zone: str
    example: bool


def _head(sec: Section) -> _Head:
    """Read the office's scalar settings."""
    kind = sec.text("receipt_kind")
    if kind not in RECEIPT_KINDS:
        sec.fail("receipt_kind", f"{kind!r} is not a receipt kind ({', '.join(RECEIPT_KINDS)})")
    return _Head(
        name=sec.text("name"),
        default_currency=sec.text("default_currency"),
        languages=sec.choices("languages", SUPPORTED_LANGUAGES, "a supported language"),
        receipt_kind=kind,
        receipt_per_instalment=sec.flag("receipt_per_instalment"),
        frequencies=sec.choices("frequencies", FREQUENCIES, "a frequency"),
        retention_years=_retention_years(sec),
        time_zone=_time_zone(sec),
        example=sec.flag("example"),
    )


def _time_zone(sec: Section) -> str:
    """The office's IANA time zone, e.g. Europe/Berlin."""
    name = sec.text("time_zone")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        sec.fail("time_zone", f"{name!r} is not an IANA time zone like Europe/Berlin")
    return name


def _retention_years(sec: Section) -> int:
    """How long the office must keep tax records, in whole years after the year of the gift."""
    years = sec.value("retention_years", int, "a whole number of years")
    if not 1 <= years <= 30:
        sec.fail("retention_years", f"{years} is not between 1 and 30")
    return years


def _countries(sec: Section) -> frozenset[str]:
    """Read the donor countries an office serves, claiming each for this office."""
    if sec.office == FALLBACK_OFFICE:
        if "countries" in sec.data:
            sec.fail("countries", "must be absent: INT is the fallback for all unlisted countries")
        return frozenset()
    if "countries" not in sec.data:
        sec.fail("countries", "missing; only INT may omit it, as the one fallback office")
    codes = sec.texts("countries")
    if len(set(codes)) != len(codes):
        sec.report("countries", "lists a country twice")
    for code in codes:
        if code not in _COUNTRIES:
            case = " (write it in upper case)" if code.upper() in _COUNTRIES else ""
            sec.report("countries", f"{code!r} is not an ISO 3166 alpha-2 country code{case}")
        elif (owner := sec.ctx.country_owner.setdefault(code, sec.office)) != sec.office:
            sec.report("countries", f"{code} is already mapped to office {owner}")
    return frozenset(codes)


def _legal(sec: Section, receipt_kind: str | None) -> LegalEntity:
    """Read the legal name, address and the registration numbers the receipt kind needs."""
    name, address = sec.text("legal_name"), sec.texts("address")
    table = sec.table("registration")
    if receipt_kind is None:
        raise Invalid  # the kind's problem is reported; which numbers it needs is unknown
    needed = REGISTRATION_FIELDS[receipt_kind]
    table.only(needed)
    values = {key: _registration_value(table, key, kind) for key, kind in needed.items()}
    return LegalEntity(name, address, _registration(values))


def _registration_value(table: Section, key: str, kind: type) -> str | date | int | bool:
    """Read one registration value and check it: a number's format and, where python-stdnum
    knows the scheme, its check digits."""
    if kind is date:
        return table.value(key, date, "a date like 2024-05-17 (unquoted)")
    if kind is bool:
        return table.flag(key)
    if kind is int:
        return _assessment_period(table, key)
    value = table.text(key)
    pattern, what = _FORMATS.get(key, (None, ""))
    if pattern is not None and not pattern.fullmatch(value):
        table.fail(key, f"{value!r} is not {what}")
    check = _CHECKED.get(key)
    if check is not None and not check[0](value):
        table.fail(key, f"{value!r} is not a valid {check[1]} (python-stdnum)")
    return value


def _assessment_period(table: Section, key: str) -> int:
    """DE: the year of the last assessment period the exemption notice covers."""
    year = table.value(key, int, "a year like 2022")
    notice = table.data.get("exemption_notice_date")
    if not 1990 <= year <= 2100:
        table.fail(key, f"{year} is not a year like 2022")
    if isinstance(notice, date) and year > notice.year:
        table.fail(key, f"{year} is after the exemption notice of {notice}")
    return year


def _registration(values: Mapping[str, str | date | int | bool]) -> Registration:
    """Build the Registration from validated values."""
    notice = values.get("exemption_notice_date")
    period = values.get("assessment_period")
    notified = values.get("machine_receipts_notified")
    text = {key: value for key, value in values.items() if isinstance(value, str)}
    return Registration(
        exemption_notice_date=notice if isinstance(notice, date) else None,
        assessment_period=period
        if isinstance(period, int) and not isinstance(period, bool)
        else None,
        machine_receipts_notified=notified is True,
        **text,
    )


def _people(sec: Section) -> tuple[Signatory, Support]:
    """Read the signatory and the support contact."""
    signatory, support = sec.table("signatory"), sec.table("support")
    signatory.only({"name", "title"})
    support.only({"email", "phone", "privacy_url", "imprint_url"})
    email, phone = support.text("email"), support.text("phone")
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        support.fail("email", f"{email!r} is not an email address")
    if not re.fullmatch(r"\+[0-9][0-9 ()-]{5,}", phone):
        support.fail("phone", f"{phone!r} is not an international number like +44 20 7946 0000")
    links = {key: support.text(key) for key in ("privacy_url", "imprint_url")}
    for key, url in links.items():
        if not url.startswith("https://"):
            support.fail(key, f"{url!r} is not an https:// address")
    people = Support(email, phone, links["privacy_url"], links["imprint_url"])
    return Signatory(signatory.text("name"), signatory.text("title")), people


def _donor(sec: Section, receipt_kind: str | None) -> DonorRequirements:
    """Read what the wizard asks donors of this office for."""
    donor = sec.table("donor")
    donor.only({"address", "middle_initial", "gift_aid"})
    address = donor.text("address")
    if address not in ADDRESS_RULES:
        donor.fail("address", f"{address!r} is not one of {', '.join(ADDRESS_RULES)}")
    rules = DonorRequirements(address, donor.flag("middle_initial"), donor.flag("gift_aid"))
    if address == "with_gift_aid" and not rules.gift_aid:
        donor.fail("address", "with_gift_aid needs gift_aid = true")
    if rules.gift_aid and receipt_kind not in (None, "uk_gift_aid"):
        donor.fail("gift_aid", "Gift Aid is only for receipt_kind uk_gift_aid")
    return rules


def _currencies(sec: Section, frequencies: tuple[str, ...] | None) -> dict[str, CurrencyRules]:
    """Read the rules of every currency the office accepts."""
    table = sec.table("currencies")
    if not table.data:
        sec.fail("currencies", "empty: an office must accept at least one currency")
    found = {code: attempt(_currency, table, code, frequencies) for code in table.data}
    rules = {code: rule for code, rule in found.items() if rule is not None}
    if len(rules) != len(found):
        raise Invalid
    return rules


def _currency(table: Section, code: str, frequencies: tuple[str, ...] | None) -> CurrencyRules:
    """Read one [offices.XX.currencies.CCC] table."""
    if not currencies.is_known(code):
        table.fail(code, f"unknown currency {code!r} (ISO 4217, upper case)")
    sec = table.table(code)
    sec.only(_CURRENCY_KEYS)
    minimum, maximum = _amount(sec, "minimum", code), _amount(sec, "maximum", code)
    if minimum.minor <= 0:
        sec.fail("minimum", "must be above zero")
    if minimum > maximum:
        sec.fail("minimum", f"{sec.data['minimum']} is above the maximum {sec.data['maximum']}")
    presets = _presets(sec, code, minimum, maximum)
    basis_points = sec.value("fee_percent_bp", int, "an integer (basis points)")
    if not 0 <= basis_points <= 10_000:
        sec.fail("fee_percent_bp", f"{basis_points} is not between 0 and 10000 basis points")
    fee_fixed = _amount(sec, "fee_fixed", code)
    methods = _methods(sec.table("methods"), code, frequencies)
    return CurrencyRules(code, presets, minimum, maximum, basis_points, fee_fixed, methods)


def _amount(sec: Section, key: str, currency: str) -> Money:
    """Read the decimal string at `key` as Money."""
    return _money(sec, key, sec.value(key, str, 'a decimal string like "25.00"'), currency)


def _money(sec: Section, key: str, text: str, currency: str) -> Money:
    """Convert a decimal string from the file into Money, exactly."""
    if not _AMOUNT.fullmatch(text):
        sec.fail(key, f"{text!r} is not a decimal amount like 25.00")
    try:
        return Money.from_decimal(Decimal(text), currency)
    except AmountParseError as error:
        if error.code != "too_precise":
            sec.fail(key, f"{text} is not a usable amount ({error.code})")
        places = currencies.exponent(currency)
        sec.fail(key, f"{text} has more decimals than {currency} allows ({places})")


def _presets(sec: Section, code: str, minimum: Money, maximum: Money) -> tuple[Money, ...]:
    """Read the preset amounts, each within the limits and none twice."""
    texts = sec.texts("presets")
    presets = tuple(_money(sec, "presets", text, code) for text in texts)
    for text, preset in zip(texts, presets, strict=True):
        if preset < minimum:
            sec.report("presets", f"{text} is below the minimum {sec.data['minimum']}")
        elif preset > maximum:
            sec.report("presets", f"{text} is above the maximum {sec.data['maximum']}")
    if len(set(presets)) != len(presets):
        sec.report("presets", "lists an amount twice")
    return presets


def _methods(
    sec: Section, currency: str, frequencies: tuple[str, ...] | None
) -> Mapping[str, tuple[str, ...]]:
    """Read the payment methods per frequency for one currency."""
    if not sec.data:
        sec.fail("", "empty: offer at least one frequency")
    result: dict[str, tuple[str, ...]] = {}
    for frequency in sec.data:
        if frequency not in FREQUENCIES:
            sec.report(frequency, f"unknown frequency (one of {', '.join(FREQUENCIES)})")
        elif frequencies is not None and frequency not in frequencies:
            sec.report(frequency, "not in this office's frequencies")
        else:
            methods = sec.choices(frequency, METHOD_CURRENCIES, "a payment method")
            # Keep only usable methods, so a misplaced one does not trigger follow-up problems.
            usable = [m for m in methods if _usable_method(sec, m, currency, frequency)]
            result[frequency] = tuple(usable)
    return MappingProxyType(result)


def _usable_method(sec: Section, method: str, currency: str, frequency: str) -> bool:
    """Tell whether a method can charge this currency at this frequency, reporting if not."""
    allowed = METHOD_CURRENCIES[method]
    if allowed is not None and currency not in allowed:
        sec.report(frequency, f"{method} can only charge {', '.join(sorted(allowed))}")
        return False
    only = METHOD_FREQUENCIES.get(method)
    if only is not None and frequency not in only:
        sec.report(frequency, f"{method} is only for {', '.join(sorted(only))} gifts")
        return False
    return True


def _stripe(sec: Section, rules: Mapping[str, CurrencyRules] | None) -> StripeSettings:
    """Read the Stripe environment variable names and the SEPA creditor id."""
    table = sec.table("stripe")
    table.only(_STRIPE_KEYS)
    return StripeSettings(
        secret_key_env=_env_name(table, "secret_key_env"),
        publishable_key_env=_env_name(table, "publishable_key_env"),
        webhook_secret_env=_env_name(table, "webhook_secret_env"),
        sepa_creditor_id=_creditor_id(table, rules),
    )


def _env_name(table: Section, key: str) -> str:
    """Read an environment variable name that no other office uses."""
    name = table.text(key)
    if not _ENV_NAME.fullmatch(name):
        table.fail(key, f"{name!r} is not an environment variable name (A-Z, 0-9, _)")
    # Each office is its own merchant of record: sharing a key would book gifts to the wrong one.
    owner = table.ctx.env_owner.setdefault(name, table.office)
    if owner != table.office:
        table.fail(key, f"{name} is already used by office {owner}")
    return name


def _creditor_id(stripe: Section, rules: Mapping[str, CurrencyRules] | None) -> str | None:
    """Read the SEPA creditor id, required when the office collects SEPA debits."""
    debits = rules is not None and any(
        "sepa_debit" in methods for r in rules.values() for methods in r.methods.values()
    )
    if "sepa_creditor_id" not in stripe.data:
        if debits:
            stripe.fail("sepa_creditor_id", "missing: the office offers sepa_debit")
        return None
    creditor = stripe.text("sepa_creditor_id")
    if not _valid_creditor_id(creditor):
        stripe.fail("sepa_creditor_id", f"{creditor!r} is not a valid SEPA creditor identifier")
    return creditor


def _valid_creditor_id(creditor: str) -> bool:
    """Check a SEPA creditor identifier's shape and ISO 7064 mod 97-10 check digits."""
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}", creditor):
        return False
    # The check digits cover the national id and country code, not the business code.
    rearranged = creditor[7:] + creditor[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _offers_debits(rules: Mapping[str, CurrencyRules] | None) -> bool:
    """True when any currency and frequency of the office offers a bank debit."""
    return rules is not None and any(
        method in DEBIT_METHODS
        for r in rules.values()
        for methods in r.methods.values()
        for method in methods
    )


def _notices(sec: Section, donor: DonorRequirements | None, debits: bool) -> Mapping[str, Notice]:
    """Read every notice, and check the office has those its donors must be shown."""
    table = sec.table("notices")
    table.only(NOTICE_PURPOSES)
    found = {
        purpose: attempt(_notice, table, purpose)
        for purpose in table.data
        if purpose in NOTICE_PURPOSES
    }
    for purpose in _required_notices(sec.office, donor, debits):
        if purpose not in table.data:
            table.report(purpose, "missing")
    notices = {purpose: notice for purpose, notice in found.items() if notice is not None}
    if len(notices) != len(found):
        raise Invalid
    return MappingProxyType(notices)


def _required_notices(office: str, donor: DonorRequirements | None, debits: bool) -> list[str]:
    """List the notice purposes this office must have."""
    # National offices receive the donor's data, so they show the transfer notice; donors of
    # the fallback office see its privacy notice instead.
    required = ["privacy" if office == FALLBACK_OFFICE else "data_transfer", "email_fundraising"]
    if donor is not None and donor.gift_aid:
        required.append("gift_aid_declaration")
    if debits:  # the donor accepts the office's mandate text on review
        required.append("direct_debit_mandate")
    return required


def _notice(table: Section, purpose: str) -> Notice:
    """Read one notice: its version and its text in every supported language."""
    sec = table.table(purpose)
    email_only = {"double_opt_in", "implied_consent_years"}
    sec.only({"version", "text"} | (email_only if purpose == "email_fundraising" else set()))
    version = sec.text("version")
    double_opt_in = sec.flag("double_opt_in") if "double_opt_in" in sec.data else False
    implied = None
    if "implied_consent_years" in sec.data:
        implied = sec.value("implied_consent_years", int, "a whole number of years")
        if not 1 <= implied <= 10:
            sec.fail("implied_consent_years", f"{implied} is not between 1 and 10")
    texts = sec.table("text")
    texts.only(SUPPORTED_LANGUAGES)
    by_language: dict[str, str] = {}
    for language in SUPPORTED_LANGUAGES:
        if language not in texts.data:
            texts.fail(language, f"missing: every notice needs {', '.join(SUPPORTED_LANGUAGES)}")
        by_language[language] = texts.text(language)
    return Notice(purpose, version, MappingProxyType(by_language), double_opt_in, implied)
