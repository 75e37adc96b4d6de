"""Step 2, your details: what the office of the donor's country (chosen on step 1) needs."""

from __future__ import annotations

import unicodedata
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from wtforms import BooleanField, HiddenField, StringField, ValidationError
from wtforms.validators import InputRequired, Length

from checkout.addresses import Checked, PostalAddress, UnknownCountry, check, country_rules
from checkout.core.languages import SUPPORTED_LANGUAGES
from checkout.donations.values import DonorDetails
from checkout.site.i18n import lazy_gettext as _l
from checkout.wizard.context import StepContext
from checkout.wizard.countries import country_choices
from checkout.wizard.forms import StepForm

NAME_MAX = 100


def printable(text: str) -> bool:
    """No control characters (they have no place in a name or address)."""
    return not any(unicodedata.category(char).startswith("C") for char in text)


def _required(message: Any) -> list[Any]:
    return [InputRequired(message=message), Length(max=NAME_MAX)]


class DetailsForm(StepForm):
    """Who gives: name, email, the address the office's receipt needs, consent choices."""

    first_name = StringField(_l("First name"), _required(_l("Please enter your first name.")))
    middle_initial = StringField(_l("Middle initial"))
    no_middle_name = BooleanField(_l("I have no middle name"))
    last_name = StringField(_l("Last name"), _required(_l("Please enter your last name.")))
    email = StringField(_l("Email address"), _required(_l("Please enter your email address.")))
    phone = StringField(_l("Phone (optional)"))
    address_line1 = StringField(_l("Street and number"), [Length(max=NAME_MAX)])
    address_line2 = StringField(_l("Address line 2 (optional)"), [Length(max=NAME_MAX)])
    postcode = StringField(_l("Postcode"), [Length(max=20)])
    city = StringField(_l("Town or city"), [Length(max=NAME_MAX)])
    region = StringField(_l("State, province or region"), [Length(max=NAME_MAX)])
    email_opt_in = BooleanField()
    gift_aid = BooleanField()
    # Which office's notice, in which version and language, the donor had in front of them.
    shown_notice = HiddenField()

    def configure(self, context: StepContext) -> None:
        """The notice of the office being shown, and the country's address rules."""
        # What the submitted page showed is evidence; what this page shows goes out now.
        self.acknowledged_notice = str(self.shown_notice.data or "")
        self.shown_notice.data = self.notice_reference(context)
        self.address_rules = _rules(context.country)

    @staticmethod
    def notice_reference(context: StepContext) -> str:
        """'OFFICE:VERSION:LANG' of the data notice this page shows."""
        notice = data_notice(context)
        return f"{context.office.code}:{notice.version}:{context.locale}"

    @property
    def moved(self) -> bool:
        """True when the submitted page showed another office's notice (the country changed on
        the first step since): the page says so in one sentence, not as a field's error."""
        return bool(self.acknowledged_notice) and not self._notice_was_shown()

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' rules, and the notice shown must be this office's current one."""
        valid = bool(super().validate(extra_validators))
        return valid and self._notice_was_shown()

    def region_choices(self) -> tuple[tuple[str, str], ...]:
        """The country's states or provinces to choose from; empty where it is free text."""
        return self.address_rules.region_choices if self.address_rules else ()

    def asks_region(self) -> bool:
        """Whether the country's addresses have a state, province or region at all."""
        rules = self.address_rules
        return rules is not None and ("region" in rules.required or bool(rules.region_choices))

    # --- field rules ------------------------------------------------------------------------

    def validate_first_name(self, field: StringField) -> None:
        """Printable text with at least one letter."""
        check_name(field.data or "")

    def validate_last_name(self, field: StringField) -> None:
        """Printable text with at least one letter."""
        check_name(field.data or "")

    def validate_middle_initial(self, field: StringField) -> None:
        """Required where the office's receipt carries it (Canada), unless there is none."""
        if not self.context.office.donor.middle_initial:
            return  # not shown, so never an error the donor cannot see or fix
        initial = (field.data or "").strip().rstrip(".")
        if initial and not (len(initial) == 1 and initial.isalpha()):
            raise ValidationError(_l("Please enter one letter, for example J."))
        if not self.no_middle_name.data and not initial:
            raise ValidationError(
                _l(
                    "Canadian tax receipts carry your full name: please enter "
                    "your middle initial, or tick “I have no middle name”."
                )
            )

    def validate_email(self, field: StringField) -> None:
        """Syntax only: no DNS look-ups, which would leak and slow the page."""
        try:
            validate_email(field.data or "", check_deliverability=False)
        except EmailNotValidError:
            raise ValidationError(
                _l("Please enter an email address like name@example.org.")
            ) from None

    def validate_phone(self, field: StringField) -> None:
        """Optional; when given, a number that is valid for the country or international."""
        if (field.data or "").strip() and not self.e164_phone():
            raise ValidationError(
                _l("Please enter a phone number we can call, for example with your country code.")
            )

    def validate_address_line1(self, field: StringField) -> None:
        """Required when the office's receipt needs the address."""
        self._require_if_address_needed(
            field, _l("Please enter your street and number."), "street_lines"
        )

    def validate_city(self, field: StringField) -> None:
        """Required when the office's receipt needs the address."""
        self._require_if_address_needed(field, _l("Please enter your town or city."), "city")

    def validate_postcode(self, field: StringField) -> None:
        """Required where the country has postcodes; checked against its format."""
        self._require_if_address_needed(field, _l("Please enter your postcode."), "postcode")
        if (field.data or "").strip() and self._address_error("postcode") == "invalid":
            raise ValidationError(
                _l(
                    "This does not look like a postcode in %(country)s.",
                    country=self._country_name(),
                )
            )

    def validate_region(self, field: StringField) -> None:
        """Required where the country's addresses carry one (a US state, a Canadian province)."""
        self._require_if_address_needed(
            field, _l("Please choose your state, province or region."), "region"
        )
        if (field.data or "").strip() and self._address_error("region") == "invalid":
            raise ValidationError(_l("Please choose your state, province or region."))

    # --- outcome ----------------------------------------------------------------------------

    def address_needed(self) -> bool:
        """Whether this office needs the postal address for this donor."""
        rule = self.context.office.donor.address
        return rule == "required" or (rule == "with_gift_aid" and bool(self.gift_aid.data))

    def e164_phone(self) -> str:
        """The phone number in E.164, or "" when absent or not valid."""
        return e164(self.phone.data or "", self.context.country)

    def postal_address(self) -> PostalAddress:
        """The address as typed, for the country chosen on the first step."""
        street = tuple(
            line
            for line in (clean(self.address_line1.data), clean(self.address_line2.data))
            if line
        )
        return PostalAddress(
            self.context.country,
            street,
            clean(self.city.data),
            clean(self.postcode.data),
            clean(self.region.data),
        )

    def details(self) -> DonorDetails:
        """The validated, normalised outcome of this step."""
        office_code, version, language = self.acknowledged_notice.split(":")
        wants_middle = self.context.office.donor.middle_initial
        address = self._checked().kept
        return DonorDetails(
            country=self.context.country,
            first_name=clean(self.first_name.data),
            middle_initial=clean(self.middle_initial.data).rstrip(".").upper()
            if wants_middle
            else "",
            last_name=clean(self.last_name.data),
            email=validate_email(self.email.data or "", check_deliverability=False).normalized,
            phone=self.e164_phone(),
            address_line1=clean(self.address_line1.data),
            address_line2=clean(self.address_line2.data),
            postcode=address.postcode,
            city=clean(self.city.data),
            region=address.region,
            email_opt_in=bool(self.email_opt_in.data),
            gift_aid=bool(self.gift_aid.data) and self.context.office.donor.gift_aid,
            notice_office=office_code,
            notice_version=version,
            notice_language=language,
        )

    def _notice_was_shown(self) -> bool:
        """Whether the submitted page showed this office's current notice (any language)."""
        parts = self.acknowledged_notice.split(":")
        if len(parts) != 3 or parts[2] not in SUPPORTED_LANGUAGES:
            return False
        current = data_notice(self.context)
        return parts[0] == self.context.office.code and parts[1] == current.version

    def _require_if_address_needed(self, field: StringField, message: Any, part: str) -> None:
        """Printable text; present when the receipt needs the address and the country's
        addresses have this part (Google's address data says which)."""
        text = (field.data or "").strip()
        if text and not printable(text):
            raise ValidationError(_l("Please remove the special characters."))
        if self.address_needed() and not text and self._country_requires(part):
            raise ValidationError(message)

    def _country_requires(self, part: str) -> bool:
        rules = self.address_rules
        if rules is None:
            return part in ("street_lines", "city")
        return part in rules.required

    def _address_error(self, part: str) -> str | None:
        """Google's verdict (`required`, `invalid`) on one part of the address, or None."""
        if self.address_rules is None:
            return None
        return self._checked().errors.get(part)

    def _checked(self) -> Checked:
        """The address checked once per form and address (each check reads the rules)."""
        address = self.postal_address()
        last = getattr(self, "_last_check", None)
        if last is None or last[0] != address:
            last = (address, check(address))
            self._last_check = last
        return last[1]

    def _country_name(self) -> str:
        names = dict(country_choices(self.context.locale))
        return str(names.get(self.context.country, self.context.country))


def _rules(country: str) -> Any:
    """The country's address rules, or None for a code Google's data does not know."""
    try:
        return country_rules(country) if country else None
    except UnknownCountry:
        return None


def data_notice(context: StepContext) -> Any:
    """The notice on where the donor's data goes: the office's transfer notice, or privacy."""
    notices = context.office.notices
    return notices.get("data_transfer") or notices["privacy"]


def e164(text: str, country: str) -> str:
    """A phone number typed for `country` (or with its country code) in E.164, or "" when
    absent or not a valid number."""
    try:
        number = phonenumbers.parse(text.strip(), country or None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_name(text: str) -> None:
    """A name: printable text with at least one letter (ValidationError otherwise)."""
    if not printable(text):
        raise ValidationError(_l("Please remove the special characters."))
    if not any(char.isalpha() for char in text):
        raise ValidationError(_l("Please enter your name in letters."))


def clean(value: object) -> str:
    """What was typed, with runs of blanks made one space and none around it."""
    return " ".join(str(value or "").split())
