"""The sign-up form: an address and a country; the office's notice the page showed."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from wtforms import HiddenField, SelectField, StringField, ValidationError
from wtforms.validators import InputRequired, Length

from checkout.offices import Notice, Office
from checkout.portal.forms import PortalForm, checked_email, stripped
from checkout.site.i18n import lazy_gettext as _l
from checkout.wizard.countries import country_choices, country_options, option_tag


def notice_reference(office: Office, language: str) -> str:
    """'OFFICE:VERSION:LANG' of the email notice a page shows for `office`."""
    return f"{office.code}:{office.notices['email_fundraising'].version}:{language}"


class SignupForm(PortalForm):
    """Email and country; `shown` names the notice the submitted page showed."""

    email = StringField(
        _l("Email address"),
        validators=[InputRequired(_l("Please enter your email address.")), Length(max=320)],
        filters=[stripped],
    )
    country = SelectField(_l("Country"), validate_choice=False)
    shown = HiddenField()

    def __init__(self, locale: str, office_of: Any, **kwargs: Any) -> None:
        """Countries in `locale`; `office_of(country)` is the office that would write."""
        self.locale, self.office_of = locale, office_of
        super().__init__(**kwargs)
        self.country.choices = [("", _l("Choose your country")), *country_choices(locale)]
        self.acknowledged = str(self.shown.data or "")

    def country_option_tags(self) -> Markup:
        """The prompt, then every country in the page's language (cached per locale)."""
        head = option_tag("", self.country.choices[0][1], selected=not self.country.data)
        return Markup(f"{head}\n    {country_options(self.locale, self.country.data)}")  # noqa: S704 - escaped in option_tag

    def office(self) -> Office | None:
        """The office of the chosen country (None before a country is chosen)."""
        return self.office_of(self.country.data) if self.country.data else None

    def notice(self) -> Notice | None:
        """The email notice the page shows now."""
        office = self.office()
        return office.notices["email_fundraising"] if office else None

    def validate_email(self, field: StringField) -> None:
        """A well-formed address."""
        self.normalised = checked_email(field.data).lower()

    def validate_country(self, field: SelectField) -> None:
        """A real country, whose office's notice the submitted page showed."""
        if field.data not in {code for code, _name in self.country.choices if code}:
            raise ValidationError(_l("Please choose your country."))
        office = self.office()
        assert office is not None
        if self.acknowledged.split(":")[:2] != notice_reference(office, self.locale).split(":")[:2]:
            raise ValidationError(
                _l(
                    "Emails come from %(office)s. Please read below what you agree to, then "
                    "sign up.",
                    office=office.name,
                )
            )
