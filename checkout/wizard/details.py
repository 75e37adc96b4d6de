"""Step 2, your details: country first (it picks the office), then what that office needs."""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any

import phonenumbers
from babel import Locale
from email_validator import EmailNotValidError, validate_email
from markupsafe import Markup, escape
from wtforms import BooleanField, HiddenField, SelectField, StringField, ValidationError
from wtforms.validators import InputRequired, Length

from checkout.core.languages import SUPPORTED_LANGUAGES
from checkout.site.i18n import lazy_gettext as _l
from checkout.wizard.context import DonorDetails, StepContext
from checkout.wizard.forms import StepForm
from checkout.wizard.postcodes import is_valid_postcode, normalise_postcode

NAME_MAX = 100
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})


@cache
def country_choices(locale: str) -> tuple[tuple[str, str], ...]:
    """Every country by its name in the donor's language, sorted for that language.

    Cached per locale: sorting Babel's ~250 territory names took a millisecond per page.
    """
    names = Locale.parse(locale).territories
    codes = [
        code
        for code in names
        if isinstance(code, str)
        and len(code) == 2
        and code.isalpha()
        and code not in _NOT_COUNTRIES
    ]
    pairs = ((code, str(names[code])) for code in codes)
    return tuple(sorted(pairs, key=lambda item: item[1].casefold()))


def option_tag(value: str, label: object, selected: bool) -> str:
    """One <option>, as the select_field macro writes it."""
    mark = " selected" if selected else ""
    return f'<option value="{escape(value)}"{mark}>{escape(label)}</option>'


@cache
def _country_options(locale: str) -> tuple[str, frozenset[str]]:
    """The <option> tags of every country in `locale`, none selected, and their codes.

    Cached per locale: writing ~250 escaped options took the template half a millisecond.
    """
    choices = country_choices(locale)
    tags = "\n    ".join(option_tag(code, name, selected=False) for code, name in choices)
    return tags, frozenset(code for code, _name in choices)


def country_options(locale: str, selected: object) -> str:
    """Every country's <option> in `locale`, with `selected` (a code) marked."""
    tags, codes = _country_options(locale)
    if isinstance(selected, str) and selected in codes:
        plain = option_tag(selected, "", selected=False).removesuffix("</option>")
        tags = tags.replace(plain, plain.removesuffix(">") + " selected>", 1)
    return tags


def printable(text: str) -> bool:
    """No control characters (they have no place in a name or address)."""
    return not any(unicodedata.category(char).startswith("C") for char in text)


def _required(message: Any) -> list[Any]:
    return [InputRequired(message=message), Length(max=NAME_MAX)]


class DetailsForm(StepForm):
    """Who gives: name, email, the address the office's receipt needs, consent choices."""

    country = SelectField(_l("Country"), validate_choice=False)
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
    email_opt_in = BooleanField()
    gift_aid = BooleanField()
    # Which office's notice, in which version and language, the donor had in front of them.
    shown_notice = HiddenField()

    def configure(self, context: StepContext) -> None:
        """Countries in the donor's language; the notice of the office being shown."""
        self.country.choices = [("", _l("Choose your country")), *country_choices(context.locale)]
        if self.country.data is None and context.country:
            self.country.data = context.country  # nothing typed yet: preselect the guess
        # What the submitted page showed is evidence; what this page shows goes out now.
        self.acknowledged_notice = str(self.shown_notice.data or "")
        self.shown_notice.data = self.notice_reference(context)

    def country_option_tags(self) -> Markup:
        """The country select's options: the prompt, then every country (cached per locale)."""
        prompt_value, prompt = (self.country.choices or [("", "")])[0]
        head = option_tag(prompt_value, prompt, selected=prompt_value == self.country.data)
        tail = country_options(self.context.locale, self.country.data)
        return Markup(f"{head}\n    {tail}")  # noqa: S704 - every part escaped in option_tag

    @staticmethod
    def notice_reference(context: StepContext) -> str:
        """'OFFICE:VERSION:LANG' of the data notice this page shows."""
        notice = data_notice(context)
        return f"{context.office.code}:{notice.version}:{context.locale}"

    # --- field rules ------------------------------------------------------------------------

    def validate_country(self, field: SelectField) -> None:
        """A real country; and the page must have shown that country's office's notice."""
        if field.data not in {code for code, _name in field.choices or [] if code}:
            raise ValidationError(_l("Please choose your country."))
        if not self._notice_was_shown():
            raise ValidationError(
                _l(
                    "Your gift goes to %(office)s. Please check the details "
                    "below for your country, then continue.",
                    office=self.context.office.name,
                )
            )

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
        self._require_if_address_needed(field, _l("Please enter your street and number."))

    def validate_city(self, field: StringField) -> None:
        """Required when the office's receipt needs the address."""
        self._require_if_address_needed(field, _l("Please enter your town or city."))

    def validate_postcode(self, field: StringField) -> None:
        """Required when the address is needed; checked against the country's format."""
        self._require_if_address_needed(field, _l("Please enter your postcode."))
        text = (field.data or "").strip()
        if text and not is_valid_postcode(str(self.country.data), text):
            raise ValidationError(
                _l(
                    "This does not look like a postcode in %(country)s.",
                    country=self._country_name(),
                )
            )

    # --- outcome ----------------------------------------------------------------------------

    def address_needed(self) -> bool:
        """Whether this office needs the postal address for this donor."""
        rule = self.context.office.donor.address
        return rule == "required" or (rule == "with_gift_aid" and bool(self.gift_aid.data))

    def e164_phone(self) -> str:
        """The phone number in E.164, or "" when absent or not valid."""
        return e164(self.phone.data or "", str(self.country.data or ""))

    def details(self) -> DonorDetails:
        """The validated, normalised outcome of this step."""
        office_code, version, language = self.acknowledged_notice.split(":")
        wants_middle = self.context.office.donor.middle_initial
        return DonorDetails(
            country=str(self.country.data),
            first_name=clean(self.first_name.data),
            middle_initial=clean(self.middle_initial.data).rstrip(".").upper()
            if wants_middle
            else "",
            last_name=clean(self.last_name.data),
            email=validate_email(self.email.data or "", check_deliverability=False).normalized,
            phone=self.e164_phone(),
            address_line1=clean(self.address_line1.data),
            address_line2=clean(self.address_line2.data),
            postcode=normalise_postcode(self.postcode.data or ""),
            city=clean(self.city.data),
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

    def _require_if_address_needed(self, field: StringField, message: Any) -> None:
        text = (field.data or "").strip()
        if text and not printable(text):
            raise ValidationError(_l("Please remove the special characters."))
        if self.address_needed() and not text:
            raise ValidationError(message)

    def _country_name(self) -> str:
        names = dict(self.country.choices or [])
        return str(names.get(self.country.data, self.country.data))


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
