"""The consoles' forms: sign-in, second factors, enrolment, staff administration.

Every message goes through gettext; CSRF tokens come with every form (Flask-WTF).
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from checkout.site.i18n import lazy_gettext as _l
from checkout.staff.models import ALL_OFFICES, ROLES
from checkout.staff.passwords import MAX_LENGTH, password_problem

PASSWORD_PROBLEMS = {
    "short": _l("Use at least 12 characters."),
    "long": _l("Use at most 256 characters."),
    "guessable": _l(
        "This password is too common or too easy to guess. A few unusual words make a strong one."
    ),
}
ROLE_LABELS = {
    "support": _l("Support: find donors, resend and correct receipts, plans, notes"),
    "finance": _l("Finance: read donors, refund payments, payouts and reconciliation"),
    "admin": _l("Admin: staff accounts and the audit log"),
}


class StaffForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    """Base of the consoles' forms."""


def error_list(form: Any) -> list[dict[str, str]]:
    """The first error of each field, in page order, for the error summary at the top."""
    return [
        {"id": field.id, "message": str(field.errors[0])}
        for field in form
        if field.errors and field.type != "CSRFTokenField"
    ]


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    """Several choices as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SignInForm(StaffForm):
    """Email address and password (the first factor)."""

    email = StringField(
        _l("Email address"), validators=[DataRequired(_l("Enter your email address."))]
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_LENGTH)],
    )


class CodeForm(StaffForm):
    """The six-digit code of an authenticator app."""

    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(_l("Enter the 6-digit code from your authenticator app."))],
    )


class RecoveryForm(StaffForm):
    """One of the recovery codes shown at enrolment."""

    code = StringField(
        _l("Recovery code"), validators=[DataRequired(_l("Enter one of your recovery codes."))]
    )


class NewPasswordForm(StaffForm):
    """Choosing a password at enrolment."""

    password = PasswordField(
        _l("New password"), validators=[InputRequired(_l("Choose a password."))]
    )
    confirm = PasswordField(
        _l("The same password again"), validators=[InputRequired(_l("Type the password again."))]
    )

    def __init__(self, email: str, **kwargs: Any) -> None:
        """The account's email is checked against too (a password may not contain it)."""
        super().__init__(**kwargs)
        self.account_email = email

    def validate_password(self, field: Any) -> None:
        """Length and guessability, never composition rules."""
        problem = password_problem(field.data or "", self.account_email)
        if problem is not None:
            raise ValidationError(str(PASSWORD_PROBLEMS[problem]))

    def validate_confirm(self, field: Any) -> None:
        """Both fields the same."""
        if field.data != self.password.data:
            raise ValidationError(str(_l("The two passwords differ.")))


def reason_field() -> TextAreaField:
    """A required reason for the audit log."""
    return TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Give a reason: it goes into the audit log.")),
            Length(max=1000, message=_l("Keep the reason under 1,000 characters.")),
        ],
    )


class AccountForm(StaffForm):
    """Roles and offices of an account, with a reason."""

    roles = CheckboxesField(_l("Roles"))
    offices = CheckboxesField(_l("Offices"))
    reason = reason_field()

    def __init__(self, office_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        """The offices an admin may grant: those in their own scope."""
        super().__init__(**kwargs)
        # Set after binding, as the wizard does (choices given to the field are deprecated).
        self.roles.choices = [(role, ROLE_LABELS[role]) for role in ROLES]
        self.offices.choices = office_choices

    def validate_roles(self, field: Any) -> None:
        """At least one role."""
        if not field.data:
            raise ValidationError(str(_l("Choose at least one role.")))

    def validate_offices(self, field: Any) -> None:
        """At least one office."""
        if not field.data:
            raise ValidationError(str(_l("Choose at least one office.")))


class InviteForm(AccountForm):
    """A new account: who, with which roles and offices."""

    email = StringField(
        _l("Email address"),
        validators=[
            DataRequired(_l("Enter the person's email address.")),
            Email(_l("Enter an email address like name@example.org."), check_deliverability=False),
        ],
    )
    display_name = StringField(_l("Name"), validators=[Length(max=100)])

    field_order = ("email", "display_name", "roles", "offices", "reason")

    def __iter__(self) -> Any:
        """Fields in page order (the inherited ones would come first)."""
        return iter([self[name] for name in self.field_order] + [self["csrf_token"]])


class ReasonForm(StaffForm):
    """A reason, for actions that need nothing else."""

    reason = reason_field()


def office_choices(codes: list[str], include_all: bool) -> list[tuple[str, str]]:
    """Office checkboxes: ALL first when the admin holds it, then each office code."""
    choices = [(ALL_OFFICES, str(_l("All offices")))] if include_all else []
    return choices + [(code, code) for code in codes]
