"""The portal's forms. Every message goes through gettext and shows next to its field; CSRF
tokens come with every form (Flask-WTF)."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, ValidationError
from wtforms.validators import InputRequired, Length

from checkout.addresses import PostalAddress, check
from checkout.core.errors import AmountParseError
from checkout.core.money import Money, format_money, parse_amount
from checkout.site.i18n import lazy_gettext as _l
from checkout.wizard.details import check_name, clean, e164, printable
from checkout.wizard.forms import AMOUNT_ERRORS

NAME_MAX = 100


class PortalForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    """Base of the portal's forms."""


class ButtonForm(PortalForm):
    """A form that is only a button (and its CSRF token)."""


def checked_email(text: str) -> str:
    """The address, normalised, or ValidationError (syntax only: no DNS look-up)."""
    try:
        return str(validate_email(text or "", check_deliverability=False).normalized)
    except EmailNotValidError:
        raise ValidationError(_l("Please enter an email address like name@example.org.")) from None


def stripped(value: object) -> object:
    """What was typed, without surrounding blanks (a pasted address often has some)."""
    return value.strip() if isinstance(value, str) else value


class SignInForm(PortalForm):
    """The address a sign-in link goes to."""

    email = StringField(
        _l("Email address"),
        validators=[InputRequired(_l("Please enter your email address.")), Length(max=320)],
        filters=[stripped],
    )

    def validate_email(self, field: StringField) -> None:
        """A well-formed address."""
        checked_email(field.data)


class AmountForm(PortalForm):
    """A new amount for a recurring gift, typed in the donor's language."""

    amount = StringField(_l("New amount"))

    def __init__(self, limits: tuple[Money, Money], locale: str, **kwargs: Any) -> None:
        """Hold the amount to the office's `limits` (minimum, maximum) for its currency."""
        self.limits, self.locale = limits, locale
        super().__init__(**kwargs)

    def validate_amount(self, field: StringField) -> None:
        """Parse what was typed in the donor's locale, within the office's limits."""
        low, high = self.limits
        try:
            amount = parse_amount(field.data or "", low.currency, self.locale)
        except AmountParseError as error:
            example = format_money(Money(2550, low.currency), self.locale)
            digits = -int(Money(1, low.currency).to_decimal().as_tuple().exponent)
            message = AMOUNT_ERRORS.get(error.code, AMOUNT_ERRORS["invalid"])
            raise ValidationError(message % {"example": example, "digits": digits}) from None
        if not low.minor <= amount.minor <= high.minor:
            raise ValidationError(
                _l(
                    "Please enter an amount from %(low)s to %(high)s.",
                    low=format_money(low, self.locale),
                    high=format_money(high, self.locale),
                )
            )
        self.chosen = amount


class PauseForm(PortalForm):
    """How many months to pause a recurring gift."""

    months = RadioField(
        _l("Pause for"), validators=[InputRequired(_l("Please choose how long to pause."))]
    )

    def __init__(self, **kwargs: Any) -> None:
        """One, two or three months."""
        super().__init__(**kwargs)
        self.months.choices = [
            ("1", _l("One month")),
            ("2", _l("Two months")),
            ("3", _l("Three months")),
        ]


def _required(message: Any) -> list[Any]:
    return [InputRequired(message=message), Length(max=NAME_MAX)]


class ContactForm(PortalForm):
    """Name, postal address and phone, as future receipts print them."""

    first_name = StringField(_l("First name"), _required(_l("Please enter your first name.")))
    middle_initial = StringField(_l("Middle initial"), [Length(max=2)])
    last_name = StringField(_l("Last name"), _required(_l("Please enter your last name.")))
    address_line1 = StringField(_l("Street and number"), [Length(max=NAME_MAX)])
    address_line2 = StringField(_l("Address line 2 (optional)"), [Length(max=NAME_MAX)])
    postcode = StringField(_l("Postcode"), [Length(max=20)])
    city = StringField(_l("Town or city"), [Length(max=NAME_MAX)])
    phone = StringField(_l("Phone (optional)"), [Length(max=40)])

    def __init__(self, country: str, address_needed: bool, **kwargs: Any) -> None:
        """The donor's `country` (fixed: it decides the office) and whether the office's
        receipts need the postal address."""
        self.country, self.address_needed = country, address_needed
        super().__init__(**kwargs)

    def validate_first_name(self, field: StringField) -> None:
        """Printable text with at least one letter."""
        check_name(field.data or "")

    def validate_last_name(self, field: StringField) -> None:
        """Printable text with at least one letter."""
        check_name(field.data or "")

    def validate_middle_initial(self, field: StringField) -> None:
        """One letter, or nothing."""
        initial = (field.data or "").strip().rstrip(".")
        if initial and not (len(initial) == 1 and initial.isalpha()):
            raise ValidationError(_l("Please enter one letter, for example J."))

    def validate_address_line1(self, field: StringField) -> None:
        """Required where the office's receipts carry the address."""
        self._needed(field, _l("Please enter your street and number."))

    def validate_city(self, field: StringField) -> None:
        """Required where the office's receipts carry the address."""
        self._needed(field, _l("Please enter your town or city."))

    def validate_postcode(self, field: StringField) -> None:
        """Required where needed, and in the country's format."""
        self._needed(field, _l("Please enter your postcode."))
        text = (field.data or "").strip()
        address = PostalAddress(self.country, postcode=text)
        if text and check(address).errors.get("postcode") == "invalid":
            raise ValidationError(_l("This does not look like a postcode in your country."))

    def validate_phone(self, field: StringField) -> None:
        """Optional; a number valid for the country, or international."""
        if (field.data or "").strip() and not self.e164_phone():
            raise ValidationError(
                _l("Please enter a phone number we can call, for example with your country code.")
            )

    def e164_phone(self) -> str:
        """The phone number in E.164, or "" when absent or not valid."""
        return e164(self.phone.data or "", self.country)

    def cleaned(self) -> dict[str, str]:
        """The validated values, as the donor row keeps them."""
        return {
            "first_name": clean(self.first_name.data),
            "middle_initial": clean(self.middle_initial.data).rstrip(".").upper(),
            "last_name": clean(self.last_name.data),
            "address_line1": clean(self.address_line1.data),
            "address_line2": clean(self.address_line2.data),
            "postcode": " ".join((self.postcode.data or "").upper().split()),
            "city": clean(self.city.data),
            "phone": self.e164_phone(),
        }

    def _needed(self, field: StringField, message: Any) -> None:
        text = (field.data or "").strip()
        if text and not printable(text):
            raise ValidationError(_l("Please remove the special characters."))
        if self.address_needed and not text:
            raise ValidationError(message)
