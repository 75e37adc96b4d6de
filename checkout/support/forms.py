"""The support console's forms: the search, and one per action, each with a reason."""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from checkout.core.errors import AmountParseError
from checkout.core.money import Money, format_money, parse_amount
from checkout.site.i18n import lazy_gettext as _l
from checkout.staff.forms import StaffForm, reason_field


class SearchForm(StaffForm):
    """One box for anything, plus card digits with the day; read from the query string."""

    class Meta:
        """A search changes nothing: no CSRF token in its address."""

        csrf = False

    q = StringField(
        _l("Email, name, receipt number, donation or payment number, or Stripe id"),
        validators=[Optional(), Length(max=200)],
    )
    last4 = StringField(
        _l("Last four digits of the card"),
        validators=[Optional(), Regexp(r"^\d{4}$", message=_l("Enter exactly four digits."))],
    )
    day = StringField(_l("Day of the charge"), validators=[Optional(), Length(max=10)])

    def validate_day(self, field: Any) -> None:
        """Card digits alone match too many people: they need the day, as YYYY-MM-DD."""
        text = (field.data or "").strip()
        try:
            self.charge_day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            self.charge_day = None
        if (self.last4.data or text) and self.charge_day is None:
            raise ValidationError(str(_l("Enter the day of the charge, like 2026-03-31.")))

    charge_day: date | None = None

    def has_query(self) -> bool:
        """True when something was asked."""
        return bool((self.q.data or "").strip() or self.last4.data)


class NoteForm(StaffForm):
    """A note for the donor's page."""

    text = TextAreaField(
        _l("Note"),
        validators=[
            DataRequired(_l("Write the note.")),
            Length(max=2000, message=_l("Keep the note under 2,000 characters.")),
        ],
    )


class ActionForm(StaffForm):
    """An action that needs only its reason."""

    reason = reason_field()


DONOR_ADDRESS, OTHER_ADDRESS = "donor", "other"


class ResendForm(StaffForm):
    """Where the copy goes: the donor's address, or another one the donor confirms."""

    target = RadioField(
        _l("Send it to"),
        default=DONOR_ADDRESS,
        validators=[DataRequired(_l("Choose where the receipt goes."))],
    )
    address = StringField(_l("Other address"), validators=[Optional(), Length(max=320)])
    reason = reason_field()

    def __init__(self, **kwargs: Any) -> None:
        """Choices are set after binding, as the wizard's are."""
        super().__init__(**kwargs)
        self.target.choices = [
            (DONOR_ADDRESS, _l("The donor's address on file")),
            (OTHER_ADDRESS, _l("Another address (the donor confirms it by a link first)")),
        ]

    def validate_address(self, field: Any) -> None:
        """Needed, and well formed, when the copy goes elsewhere."""
        if self.target.data != OTHER_ADDRESS:
            return
        if not (field.data or "").strip():
            raise ValidationError(str(_l("Enter the other address.")))
        Email(str(_l("Enter an email address like name@example.org.")))(self, field)


class CorrectForm(StaffForm):
    """The donor's name and address as the replacement receipt prints them."""

    first_name = StringField(
        _l("First name"),
        validators=[DataRequired(_l("Enter the first name.")), Length(max=100)],
    )
    middle_initial = StringField(_l("Middle initial"), validators=[Optional(), Length(max=1)])
    last_name = StringField(
        _l("Last name"), validators=[DataRequired(_l("Enter the last name.")), Length(max=100)]
    )
    address_line1 = StringField(_l("Street and number"), validators=[Length(max=100)])
    address_line2 = StringField(_l("Address line 2"), validators=[Length(max=100)])
    postcode = StringField(_l("Postcode"), validators=[Length(max=20)])
    city = StringField(_l("Town or city"), validators=[Length(max=100)])
    reason = reason_field()


class RefundForm(StaffForm):
    """A refund of all that is left, or of part of it, typed in the person's language."""

    amount = StringField(_l("Amount to refund"), validators=[Optional(), Length(max=32)])
    reason = reason_field()

    def __init__(self, left: Money, locale: str, **kwargs: Any) -> None:
        """`left` is what may still be refunded."""
        super().__init__(**kwargs)
        self.left, self.locale = left, locale
        self.money: Money | None = None  # None: all that is left

    def validate_amount(self, field: Any) -> None:
        """A positive amount in the payment's currency, no more than is left."""
        text = (field.data or "").strip()
        if not text:
            return
        try:
            self.money = parse_amount(text, self.left.currency, self.locale)
        except AmountParseError:
            raise ValidationError(str(_l("Enter an amount as a number, like 10.50."))) from None
        if not 0 < self.money.minor <= self.left.minor:
            raise ValidationError(
                str(_l("Enter at most %(left)s.", left=format_money(self.left, self.locale)))
            )
