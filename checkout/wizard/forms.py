"""The amount, payment-method and review steps' forms, validated against the office's rules."""

from __future__ import annotations

from functools import cache
from typing import Any

from babel.support import NullTranslations, Translations
from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    ValidationError,
)
from wtforms.fields.core import UnboundField
from wtforms.i18n import messages_path

from checkout.core.errors import AmountParseError
from checkout.core.money import Money, format_money, parse_amount
from checkout.donations.fees import covered_fee
from checkout.donations.values import Gift
from checkout.site.i18n import lazy_gettext as _l
from checkout.wizard.context import StepContext
from checkout.wizard.countries import (
    country_choices,
    country_options,
    option_tag,
    preferred_currency,
)
from checkout.wizard.labels import FREQUENCY_LABELS, METHOD_HINTS, METHOD_LABELS

OTHER = "other"
AMOUNT_ERRORS = {
    "empty": _l("Please enter an amount."),
    "invalid": _l("Please enter an amount as a number, for example %(example)s."),
    "negative": _l("Please enter an amount above zero."),
    "too_precise": _l("Please enter at most %(digits)s decimal places."),
    "too_large": _l("Please enter a smaller amount."),
}


def field_names(form_class: type[FlaskForm]) -> tuple[str, ...]:
    """The names of a form class's own fields (the CSRF token is not one of them); a class's
    fields are fixed when it is defined, so they are looked up once."""
    known = _FIELD_NAMES.get(form_class)
    if known is None:
        known = tuple(
            name for name in dir(form_class) if isinstance(getattr(form_class, name), UnboundField)
        )
        _FIELD_NAMES[form_class] = known
    return known


_FIELD_NAMES: dict[type[FlaskForm], tuple[str, ...]] = {}


@cache
def wtforms_translations(locale: str) -> NullTranslations:
    """WTForms' own messages ("Field cannot be longer than ...") in `locale`, read once.

    Flask-WTF reads the catalogue from disk for every request that builds a form.
    """
    return Translations.load(messages_path(), [locale], domain="wtforms")


class StepForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    """A wizard step's form; `configure` fills choices from the step's context."""

    class Meta(FlaskForm.Meta):  # type: ignore[misc]
        """Flask-WTF's settings, with WTForms' messages kept per locale.

        No CSRF field of its own: CSRFProtect checks the token of every POST before any view
        runs (a missing or foreign one is a 400), so the form checking it again would only
        verify the same signature twice.
        """

        csrf = False

        def get_translations(self, form: Any) -> Any:
            """The same catalogue Flask-WTF would load, from the per-locale cache."""
            if not has_request_context() or not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            locale = get_locale()
            return wtforms_translations(str(locale)) if locale else None

    def __init__(self, context: StepContext, **kwargs: Any) -> None:
        """Bind the form to `context`, then let the subclass set its choices."""
        self.context = context
        super().__init__(**kwargs)
        self.configure(context)

    def configure(self, context: StepContext) -> None:
        """Set choices and defaults that depend on the office and earlier steps."""


class AmountForm(StepForm):
    """Step 1: where the donor lives (it picks the office and the currency), how much, how
    often, and whether to cover the fee."""

    country = SelectField(_l("Country"), validate_choice=False)
    currency = SelectField(_l("Currency"), validate_choice=True)
    frequency = RadioField(_l("How often would you like to give?"))
    amount = RadioField(_l("Amount"), validate_choice=False)
    other_amount = StringField(_l("Your amount"))
    cover_fee = BooleanField(_l("I'll cover the processing fee"))
    # "OFFICE:CURRENCY" whose amounts the page showed: when the country or currency chosen moves
    # the gift elsewhere, the donor sees the new amounts before the step is complete.
    shown = HiddenField()

    def configure(self, context: StepContext) -> None:
        """The office's currencies, frequencies and this currency's presets; the donor's
        country preselected from the browser until they choose."""
        office = context.office
        self.country.choices = [("", _l("Choose your country")), *country_choices(context.locale)]
        if not self.country.data and context.country:
            self.country.data = context.country
        self.currency.choices = [(code, code) for code in office.currencies]
        if self.currency.data not in office.currencies:
            self.currency.data = preferred_currency(office, str(self.country.data or ""))
        self.frequency.choices = [(f, FREQUENCY_LABELS[f]) for f in office.frequencies]
        if self.frequency.data not in office.frequencies:
            self.frequency.data = office.frequencies[0]  # nothing (or nothing offered) chosen
        rules = office.currencies[self.currency.data]
        presets = [(_preset_value(m), format_money(m, context.locale)) for m in rules.presets]
        self.amount.choices = [*presets, (OTHER, _l("Other amount"))]
        self.shown_before = str(self.shown.data or "")
        self.shown.data = self.showing()

    def showing(self) -> str:
        """What this page shows: the office and the currency of its amounts."""
        return f"{self.context.office.code}:{self.currency.data}"

    @property
    def moved(self) -> bool:
        """True when the page the donor submitted showed another office or currency."""
        return bool(self.shown_before) and self.shown_before != self.showing()

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' rules; a gift that moved is shown again with its new amounts instead of
        errors the donor could not explain (the page says in one sentence what changed)."""
        valid = bool(super().validate(extra_validators))
        if not self.moved:
            return valid
        for field in (self.amount, self.other_amount, self.frequency, self.currency):
            field.errors = []
        if str(self.amount.data or "").split(":")[0] not in (self.currency.data, OTHER):
            self.amount.data = None  # a preset of the old currency: choose again
        return False

    def validate_country(self, field: SelectField) -> None:
        """A real country: it decides the office, the currency and what the receipt needs."""
        if field.data not in {code for code, _name in field.choices or [] if code}:
            raise ValidationError(_l("Please choose your country."))

    def chosen_country(self) -> str:
        """The country chosen (call after a successful validate())."""
        return str(self.country.data)

    def country_option_tags(self) -> Markup:
        """The country select's options: the prompt, then every country (cached per locale)."""
        prompt_value, prompt = (self.country.choices or [("", "")])[0]
        head = option_tag(prompt_value, prompt, selected=prompt_value == self.country.data)
        tail = country_options(self.context.locale, self.country.data)
        return Markup(f"{head}\n    {tail}")  # noqa: S704 - every part escaped in option_tag

    def validate_frequency(self, field: RadioField) -> None:
        """Only the frequencies this office offers."""
        if field.data not in self.context.office.frequencies:
            raise ValidationError(_l("Please choose how often you would like to give."))

    def validate_amount(self, field: RadioField) -> None:
        """A preset of the chosen currency, or a valid other amount within the limits."""
        if field.data == OTHER:
            return  # checked with the other amount's field, where the error belongs
        if field.data not in {value for value, _label in field.choices or []}:
            raise ValidationError(_l("Please choose an amount."))

    def validate_other_amount(self, field: StringField) -> None:
        """Parse what was typed in the donor's locale and hold it to the office's limits."""
        if self.amount.data != OTHER:
            return
        self._check_limits(self._typed_amount(field.data or ""))

    def chosen_amount(self) -> Money:
        """The gift amount (call after a successful validate())."""
        if self.amount.data == OTHER:
            return self._typed_amount(self.other_amount.data or "")
        currency, minor = str(self.amount.data).split(":")
        return Money(int(minor), currency)

    def gift(self) -> Gift:
        """The validated outcome of this step."""
        amount = self.chosen_amount()
        rules = self.context.office.currencies[amount.currency]
        fee = covered_fee(amount, rules) if self.cover_fee.data else Money.zero(amount.currency)
        return Gift(amount, str(self.frequency.data), bool(self.cover_fee.data), fee)

    def _typed_amount(self, text: str) -> Money:
        currency = str(self.currency.data)
        try:
            return parse_amount(text, currency, self.context.input_locale)
        except AmountParseError as error:
            example = format_money(self._rules().presets[0], self.context.locale)
            digits = Money(1, currency).to_decimal().as_tuple().exponent
            message = AMOUNT_ERRORS.get(error.code, AMOUNT_ERRORS["invalid"])
            raise ValidationError(message % {"example": example, "digits": -int(digits)}) from None

    def _check_limits(self, amount: Money) -> None:
        rules = self._rules()
        if amount < rules.minimum:
            minimum = format_money(rules.minimum, self.context.locale)
            raise ValidationError(
                _l("The smallest gift we can take online is %(minimum)s.", minimum=minimum)
            )
        if amount > rules.maximum:
            maximum = format_money(rules.maximum, self.context.locale)
            raise ValidationError(
                _l(
                    "Online gifts can be up to %(maximum)s. For a larger gift, please contact us.",
                    maximum=maximum,
                )
            )

    def _rules(self) -> Any:
        return self.context.office.currencies[str(self.currency.data)]


def _preset_value(amount: Money) -> str:
    """A preset's form value carries its currency, so a currency change cannot reinterpret it."""
    return f"{amount.currency}:{amount.minor}"


class MethodForm(StepForm):
    """Step 3: how to pay, among the methods the office offers for this gift."""

    method = RadioField(_l("Payment method"), validate_choice=False)

    def configure(self, context: StepContext) -> None:
        """Offer only the methods for this office, currency and frequency."""
        self.method.choices = [(m, METHOD_LABELS[m]) for m in self.offered()]

    def offered(self) -> tuple[str, ...]:
        """The methods on offer for the gift chosen so far."""
        gift = self.context.gift
        if gift is None:
            return ()
        rules = self.context.office.currencies.get(gift.currency)
        return rules.methods_for(gift.frequency) if rules else ()

    def validate_method(self, field: RadioField) -> None:
        """One of the offered methods."""
        if field.data not in self.offered():
            raise ValidationError(_l("Please choose a payment method."))

    @staticmethod
    def hint(method: str) -> Any:
        """One line on what happens with `method`."""
        return METHOD_HINTS[method]


class ReviewForm(StepForm):
    """Step 4: nothing to type here; the pay form beside it posts to the pay step."""
